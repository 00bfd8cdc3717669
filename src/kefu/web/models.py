from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A queue with its filters, saved under a name by one user (their own shortcut)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=60)
    queue = models.CharField(_("queue"), max_length=20)
    query = models.CharField(_("filters"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_saved_view_name")]
        ordering = ["name"]

    def __str__(self):
        return self.name


class WorkerBeat(models.Model):
    """One `kefu worker` process, and when it last said it was alive (decision 0019).

    A task result left RUNNING by a worker whose beat is older than KEFU_WORKER_LEASE_SECONDS
    (or that stopped) is taken back and run again; /healthz counts the live workers."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"), db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self):
        return f"{self.host}:{self.pid}"


class PeriodicRun(models.Model):
    """The last start, success and failure of one periodic task, so /healthz reads four rows
    instead of searching the ever-growing task results."""

    task = models.CharField(_("task"), max_length=200, primary_key=True)
    last_started_at = models.DateTimeField(_("last started at"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last succeeded at"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic task run")
        verbose_name_plural = _("periodic task runs")

    def __str__(self):
        return self.task
