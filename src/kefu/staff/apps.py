from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "kefu.staff"
    label = "staff"
    verbose_name = _("Staff and departments")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import roles

        # Roles are data every installation needs, so they follow the code on each migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
