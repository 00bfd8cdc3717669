from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "kefu.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self):
        from django.db.models.signals import m2m_changed

        from kefu.core import recent

        from .models import DispatchRule, Skill

        recent.connect_forget("routing", DispatchRule, Skill)
        m2m_changed.connect(recent.forget, sender=Skill.categories.through, dispatch_uid="routing-forget-skill-categories")
