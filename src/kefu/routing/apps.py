from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "kefu.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import m2m_changed

        from kefu.core import recent
        from kefu.orders import extensions

        from . import services
        from .models import DispatchRule, Skill

        # The orders' API registers and acts through routing (orders.extensions): registration is
        # classified, accepted, dispatched and assigned; these actions are followed by assignment.
        for action in ("register", "assign", "dispatch", "auto_assign", "escalate", "deescalate", "transfer"):
            extensions.takes_over(action, getattr(services, action))

        recent.connect_forget("routing", DispatchRule, Skill)
        m2m_changed.connect(recent.forget, sender=Skill.categories.through, dispatch_uid="routing-forget-skill-categories")
        user_logged_out.connect(_offline_on_logout, dispatch_uid="routing-offline-on-logout")


def _offline_on_logout(sender, request, user, **kwargs):
    """Someone who signs out of the web front takes no more work: offline, with their
    department's offline policy, as if they had set it themselves."""
    from django.utils.translation import gettext as _

    from .services import set_presence

    if user is not None and user.is_authenticated and user.presence != user.Presence.OFFLINE:
        set_presence(user, user.pk, user.Presence.OFFLINE, reason=_("Signed out."))
