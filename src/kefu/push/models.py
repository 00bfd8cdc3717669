"""The embedded broker's outbox (brokers.DatabaseBroker): messages for browsers, kept a few
minutes, read by each server process's one listener. Unused with the Redis broker."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PushMessage(models.Model):
    channel = models.CharField(_("channel"), max_length=64)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("push message")
        verbose_name_plural = _("push messages")

    def __str__(self):
        return f"{self.pk} {self.channel}"
