from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message to one member of staff (e-mail and SMS come later). Moved from the
    sla app with its rows and its table (migration 0001)."""

    recipient = models.ForeignKey("staff.User", verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications")
    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), null=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(_("message"), max_length=300)
    # Where the notification takes its reader: a path on this site ("/reports/?period=2026-11"),
    # or "" (then its order's page, if it has an order). Only services.site_path() values are
    # stored: never another host, which in an inbox would be a phishing link.
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        db_table = "sla_notification"  # its name from before the move (migration 0001)
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="sla_notification_inbox")]

    def __str__(self):
        return self.message
