from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.models import VersionedModel


class SecurityIncident(VersionedModel):
    """信息安全事件: a breach or threat to customers' data, handled as REQUIREMENTS §9 says:
    report, assess the level, form a team, contain, notify the customers whose data is
    involved and the authorities, review and fix the cause."""

    class Level(models.TextChoices):
        GENERAL = "general", _("General (一般)")
        LARGE = "large", _("Large (较大)")
        MAJOR = "major", _("Major (重大)")
        ESPECIALLY_MAJOR = "especially_major", _("Especially major (特别重大)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTAINED = "contained", _("Contained")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    detected_at = models.DateTimeField(_("detected at"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+")
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("response team"), blank=True, related_name="+")
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    authorities_notified_at = models.DateTimeField(_("authorities notified at"), null=True, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    fix = models.TextField(_("fix"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("security incident")
        verbose_name_plural = _("security incidents")
        ordering = ["-detected_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.title}"


class IncidentStep(models.Model):
    """The incident's response, step by step (append-only)."""

    incident = models.ForeignKey(SecurityIncident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=30)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("incident step")
        verbose_name_plural = _("incident steps")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.incident_id} {self.action}"


class AffectedCustomer(models.Model):
    """A customer whose data the incident involves, and when and how they were told."""

    incident = models.ForeignKey(SecurityIncident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="affected")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    data_involved = models.CharField(_("data involved"), max_length=200, help_text=_("e.g. name, ID number, call records"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    channel = models.CharField(_("notified by"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("affected customer")
        verbose_name_plural = _("affected customers")
        constraints = [models.UniqueConstraint(fields=["incident", "customer"], name="uniq_incident_customer")]

    def __str__(self):
        return f"{self.incident_id}: {self.customer_id}"
