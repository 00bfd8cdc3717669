from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "kefu.training"
    verbose_name = _("Knowledge tests")
