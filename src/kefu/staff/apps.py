from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "kefu.staff"
    label = "staff"
    verbose_name = _("Staff and departments")

    def ready(self):
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from kefu.core import recent

        from . import backends, roles
        from .models import User

        # Roles are data every installation needs, so they follow the code on each migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
        # Any change to who holds which permission retires the cached permission sets.
        for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(backends.invalidate, sender=through, dispatch_uid=f"perm-cache-{through.__name__}")
        for model in (Group, Permission):
            post_delete.connect(backends.invalidate, sender=model, dispatch_uid=f"perm-cache-del-{model.__name__}")
        post_save.connect(backends.invalidate, sender=User, dispatch_uid="perm-cache-user")
        # Who is a system user (services.system_user_ids) follows group membership.
        m2m_changed.connect(recent.forget, sender=User.groups.through, dispatch_uid="staff-forget-system-users")
