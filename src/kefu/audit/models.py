from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One recorded access or change. Append-only: never updated, never deleted by Kefu."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        TRANSITION = "transition", _("Transition")
        READ = "read", _("View")
        READ_IDENTITY = "read_identity", _("Read identity data")
        EXPORT = "export", _("Export")
        ANONYMISE = "anonymise", _("Anonymise")
        PURGE = "purge", _("Retention purge")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=50)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    origin = models.CharField(_("origin"), max_length=100, blank=True, help_text=_("Client address or process"))
    # The hash chain (audit/chain.py): position, the previous entry's hash, this entry's hash,
    # and the audit key it is an HMAC under ("": plain SHA-256, written before decision 0020).
    # A plain CharField, not core's KeyIdField: `kefu keys rotate` must never re-sign entries.
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)
    key_id = models.CharField(_("audit key"), max_length=16, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit entries are append-only")


class ChainHead(models.Model):
    """The last link of the audit chain. Its row lock orders the writers of audit entries.

    The seal pins the entries chained before the chain was keyed (1..legacy_seq): an HMAC over
    their count and the last one's hash, written once and never again (audit/chain.py)."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    legacy_seq = models.PositiveBigIntegerField(_("unkeyed entries"), default=0, editable=False)
    seal_key_id = models.CharField(_("seal key"), max_length=16, blank=True, default="", editable=False)
    seal = models.CharField(_("seal"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self):
        return f"{self.seq} {self.hash[:12]}…"
