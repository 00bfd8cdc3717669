"""Corrective actions (整改): a problem found by quality inspection, complaint cause analysis, a
report or an incident review, its root cause and measures, carried out by an owner by a
deadline on the SLA calendar, and checked afterwards for whether it worked (REQUIREMENTS §6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.models import VersionedModel


class CorrectiveAction(VersionedModel):
    """One corrective action: open → in progress → done → verified (effective), or back to in
    progress when the checker finds it not effective (one more round); cancelled with a reason.
    On time (整改按期完成率): verified, and done (its latest completion) by its deadline."""

    class Source(models.TextChoices):
        QA_FINDING = "qa_finding", _("QA finding")
        COMPLAINT_CAUSE = "complaint_cause", _("Complaint cause analysis")
        REPORT = "report", _("Report analysis")
        INCIDENT_REVIEW = "incident_review", _("Incident review")
        OTHER = "other", pgettext_lazy("corrective action source", "Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("corrective action status", "Open")
        IN_PROGRESS = "in_progress", pgettext_lazy("corrective action status", "In progress")
        DONE = "done", pgettext_lazy("corrective action status", "Done, awaiting verification")
        VERIFIED = "verified", pgettext_lazy("corrective action status", "Verified effective")
        CANCELLED = "cancelled", pgettext_lazy("corrective action status", "Cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, db_index=True)
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True,
                                  help_text=_('Where it came from, e.g. "inspection:42" or "period:2026-11".'))
    cause = models.ForeignKey("orders.Category", verbose_name=_("complaint cause"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("A first-level complaint cause (under the complaint category)."))
    root_cause = models.TextField(_("root cause analysis"), blank=True)
    measures = models.TextField(_("measures"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    department = models.ForeignKey("staff.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    calendar = models.CharField(_("calendar"), max_length=40,
                                help_text=_("The SLA calendar whose working days count the deadline and the escalation."))
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    evidence = models.TextField(_("evidence"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    rounds = models.PositiveSmallIntegerField(_("rounds"), default=1,
                                              help_text=_("The round of work: one more each time it is found not effective."))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    orders = models.ManyToManyField("orders.WorkOrder", verbose_name=_("linked work orders"), through="CorrectiveOrder",
                                    blank=True, related_name="+")

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["deadline", "id"]
        permissions = [("verify_correctiveaction", _("Can verify corrective actions"))]
        indexes = [models.Index(fields=["status", "deadline"], name="corrective_status_deadline")]

    def __str__(self):
        return f"{self.number} {self.title}"


class CorrectiveOrder(models.Model):
    """A work order behind a corrective action (the complaints of a cause)."""

    corrective_action = models.ForeignKey(CorrectiveAction, verbose_name=_("corrective action"), on_delete=models.CASCADE,
                                          related_name="links")
    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("linked work order")
        verbose_name_plural = _("linked work orders")
        constraints = [models.UniqueConstraint(fields=["corrective_action", "order"], name="corrective_one_link")]

    def __str__(self):
        return f"{self.corrective_action_id}: {self.order_id}"


class CorrectiveEvent(models.Model):
    """The corrective action's history, step by step (append-only)."""

    corrective_action = models.ForeignKey(CorrectiveAction, verbose_name=_("corrective action"), on_delete=models.CASCADE,
                                          related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("corrective action event")
        verbose_name_plural = _("corrective action events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.corrective_action_id} {self.action}"
