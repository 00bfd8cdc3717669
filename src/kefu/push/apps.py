from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PushConfig(AppConfig):
    name = "kefu.push"
    verbose_name = _("Push to browsers")
    default_auto_field = "django.db.models.BigAutoField"
