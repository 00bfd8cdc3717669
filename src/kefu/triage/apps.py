from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "kefu.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self):
        from kefu.core import recent
        from kefu.orders.models import Category

        from .models import TriageRule

        recent.connect_forget("triage", TriageRule, Category)
