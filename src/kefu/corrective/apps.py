from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorrectiveConfig(AppConfig):
    name = "kefu.corrective"
    verbose_name = _("Corrective actions")
