from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class WebConfig(AppConfig):
    name = "kefu.web"
    label = "web"
    default = True  # this module also holds the configs of two third-party apps (below)
    verbose_name = _("Web")

    def ready(self):
        from django.contrib import admin

        from . import third_party_i18n  # noqa: F401  (keeps their strings in Kefu's catalogue)

        # Kefu's own name on the admin, in the user's language (Django's reads "Django 管理").
        admin.site.site_header = _("Kefu administration")
        admin.site.site_title = _("Kefu administration")
        admin.site.index_title = _("Site administration")


class AxesConfig(AxesAppConfig):
    """django-axes under a name administrators read in their language (it has none)."""

    verbose_name = _("Login attempts")


class TasksConfig(TasksAppConfig):
    """django-tasks-db under a translated name (its own is plain English)."""

    verbose_name = _("Background tasks")
