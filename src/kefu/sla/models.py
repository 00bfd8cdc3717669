import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Channel
from kefu.customers.models import Segment, Subscription
from kefu.orders.models import Kind, Severity

from .engine import Duration, DurationError


def new_revision() -> str:
    return uuid.uuid4().hex


def _check_windows(value):
    """[["09:00", "12:00"], ["13:30", "18:00"]]: sorted, non-overlapping, within one day."""
    from .calendars import parse_windows

    try:
        parse_windows(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _check_weekly(value):
    if not isinstance(value, dict) or any(k not in {str(d) for d in range(7)} for k in value):
        raise ValidationError(_('Use weekday numbers "0" (Monday) to "6" (Sunday) as keys.'))
    for windows in value.values():
        _check_windows(windows)


def _check_duration(value):
    try:
        Duration.parse(value)
    except DurationError as exc:
        raise ValidationError(str(exc)) from None


class Calendar(models.Model):
    """Working time: a time zone, weekly windows and dated exceptions (holidays, 调休)."""

    name = models.SlugField(_("name"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    weekly = models.JSONField(_("weekly working windows"), validators=[_check_weekly],
                              help_text=_('Weekday "0" (Monday) to "6" (Sunday) → list of ["HH:MM", "HH:MM"] windows.'))
    follows_official = models.BooleanField(_("follows the official calendar"), default=False,
                                           help_text=_("Public holidays and make-up working days of mainland China apply."))
    official_from = models.PositiveSmallIntegerField(_("official data from year"), null=True, blank=True)
    official_to = models.PositiveSmallIntegerField(_("official data to year"), null=True, blank=True)
    # A new random token on every change of the calendar or its days. Random, not a counter: a
    # counter bumped in a rolled-back transaction could come back later naming other data.
    revision = models.CharField(_("revision"), max_length=32, default=new_revision, editable=False)

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["name"]

    def __str__(self):
        return self.title or self.name

    def clean(self):
        if self.follows_official and not (self.official_from and self.official_to):
            raise ValidationError(_("A calendar that follows the official calendar needs the years it covers."))


class CalendarDay(models.Model):
    """A dated exception: a rest day (public holiday) or a working day (make-up day, special hours)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Rest day (holiday)")
        WORKDAY = "workday", _("Working day (make-up day 调休)")

    class Source(models.TextChoices):
        OFFICIAL = "official", _("Official calendar")
        IMPORT = "import", _("Imported")
        MANUAL = "manual", _("Entered by hand")

    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    windows = models.JSONField(_("working windows"), default=list, blank=True, validators=[_check_windows],
                               help_text=_("For a working day: its windows; empty means the calendar's Monday windows."))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="uniq_calendar_day")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Metric(models.TextChoices):
    """The time limits a policy can set (REQUIREMENTS.md §5)."""

    ACCEPTANCE = "acceptance", _("Acceptance")
    FIRST_RESPONSE = "first_response", _("First response to the customer")
    INVESTIGATION = "investigation", _("Investigation")
    RESOLUTION = "resolution", _("Solution or service restored")
    FEEDBACK = "feedback", _("Result fed back to the customer")
    CLOSURE = "closure", _("Closure")
    UPDATE = "update", _("Update to the customer while open")


# Waiting for the customer stops these clocks; acceptance and first response are ours alone.
RESOLUTION_SIDE = {Metric.INVESTIGATION, Metric.RESOLUTION, Metric.FEEDBACK, Metric.CLOSURE}


class SlaPolicy(models.Model):
    """Time limits for the orders it matches. Empty criteria match anything; of the policies
    that match an order, the one with the most criteria wins (then the higher priority)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.IntegerField(_("priority"), default=0, help_text=_("Breaks ties between equally specific policies."))
    kind = models.CharField(_("kind"), max_length=20, blank=True, choices=Kind.choices)
    category = models.ForeignKey("orders.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, help_text=_("Matches this category and everything below it."))
    severity = models.CharField(_("severity"), max_length=10, blank=True, choices=Severity.choices)
    channel = models.CharField(_("channel"), max_length=20, blank=True, choices=Channel.choices)
    segment = models.CharField(_("customer segment"), max_length=12, blank=True, choices=Segment.choices)
    province = models.CharField(_("province"), max_length=20, blank=True)
    area = models.CharField(_("area"), max_length=10, blank=True, choices=Subscription.Area.choices)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+")
    duration = models.CharField(_("duration"), max_length=12, validators=[_check_duration],
                                help_text=_("e.g. 15m, 24h, 2wh (working hours), 3wd (working days), 15d"))
    warn_percent = models.PositiveSmallIntegerField(_("warning threshold (percent of the time elapsed)"), default=80)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "metric"], name="uniq_policy_metric")]

    def __str__(self):
        return f"{self.get_metric_display()}: {self.duration} ({self.calendar.name})"


class OrderClock(models.Model):
    """One running time limit of one work order. Its due time lives in an indexed column, so
    the worker finds what is due without scanning open orders."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Stopped")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey("orders.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=0, help_text=_("0, then one more per reopening"))
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), null=True, on_delete=models.SET_NULL, related_name="+")
    # The target as it was when the clock started: later policy edits do not rewrite history.
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+")
    duration = models.CharField(_("duration"), max_length=12)
    warn_percent = models.PositiveSmallIntegerField(_("warning threshold (percent of the time elapsed)"), default=80)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warn at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (seconds of the target's own time)"), default=0)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    taken_seconds = models.PositiveIntegerField(_("time taken (seconds of the target's own time)"), null=True, blank=True)
    # When the worker must look next (warning, then breach); null once nothing is left to do.
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(fields=["next_check_at"], name="sla_clock_next_check", condition=models.Q(next_check_at__isnull=False)),
            models.Index(fields=["state", "due_at"], name="sla_clock_state_due"),
            models.Index(fields=["order", "metric", "round"], name="sla_clock_order_metric"),
        ]

    def __str__(self):
        return f"{self.order_id} {self.metric} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None or (self.stopped_at is not None and self.stopped_at > self.due_at)


class ClockPause(models.Model):
    clock = models.ForeignKey(OrderClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    seconds = models.PositiveIntegerField(_("paused (seconds of the target's own time)"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock pause")
        verbose_name_plural = _("SLA clock pauses")
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.clock_id} {self.started_at:%Y-%m-%d %H:%M}"


class EscalationStep(models.Model):
    """What happens as a time limit approaches or passes: who is told, and when."""

    class Trigger(models.TextChoices):
        WARNING = "warning", _("Warning threshold reached")
        BREACH = "breach", _("Due time passed")

    class Notify(models.TextChoices):
        HANDLER = "handler", _("The handler (or the owner while nobody handles it)")
        DEPARTMENT_LEAD = "department_lead", _("The department lead")
        SUPERVISORS = "supervisors", _("The supervisors")

    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    delay_minutes = models.PositiveIntegerField(_("minutes after the trigger"), default=0)
    notify = models.CharField(_("notify"), max_length=20, choices=Notify.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["level"]

    def __str__(self):
        return f"{self.level}: {self.get_trigger_display()} +{self.delay_minutes} min → {self.get_notify_display()}"


class Escalation(models.Model):
    """A step carried out for a clock. The unique pair makes each step happen once, however
    many workers race for it."""

    clock = models.ForeignKey(OrderClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="escalations")
    step = models.ForeignKey(EscalationStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["clock", "step"], name="uniq_clock_step")]

    def __str__(self):
        return f"{self.clock_id} level {self.step_id}"
