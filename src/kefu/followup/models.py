"""Follow-up calls (回访): a task per order the rules pick after its resolution, the calls made
for it (attempts) and its outcome."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Reason(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint resolved")
    REOPENED = "reopened", _("Resolved after reopening")
    LOW_SCORE = "low_score", _("Low satisfaction score")
    KEY_CUSTOMER = "key_customer", _("VIP or enterprise customer")
    SAMPLE = "sample", _("Sampled")


class Outcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    RECURRED = "recurred", _("Problem recurred")
    UNREACHABLE = "unreachable", _("Unreachable")
    REFUSED = "refused", _("Refused follow-up")


class FollowUpTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("To call")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE,
                              related_name="+")
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"))
    due_at = models.DateTimeField(_("due at"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    # When the task was given to its assignee (routed or claimed): round-robin reads it.
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_call_at = models.DateTimeField(_("next call at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        constraints = [models.UniqueConstraint(fields=["order"], condition=models.Q(status="open"),
                                               name="followup_one_open_task")]
        indexes = [models.Index(fields=["status", "next_call_at"], name="followup_queue"),
                   # Each follow-up agent's open tasks (their load when tasks are routed).
                   models.Index(fields=["assignee", "status"], name="followup_assignee"),
                   # The rollups' worker reads the tasks made since its last turn.
                   models.Index(fields=["created_at"], name="followup_task_created"),
                   # … and the open tasks that came due since (followup_done_rate counts them then).
                   models.Index(fields=["status", "due_at"], name="followup_task_due")]

    def __str__(self):
        return f"{self.order_id} ({self.get_reason_display()})"


class Attempt(models.Model):
    class Result(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", pgettext_lazy("call result", "Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    task = models.ForeignKey(FollowUpTask, verbose_name=_("follow-up task"), on_delete=models.CASCADE,
                             related_name="calls")
    at = models.DateTimeField(_("at"))
    result = models.CharField(_("result"), max_length=15, choices=Result.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("called by"), on_delete=models.PROTECT,
                           related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.task_id} {self.at:%Y-%m-%d %H:%M} {self.result}"
