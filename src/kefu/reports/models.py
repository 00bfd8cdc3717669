"""The measurement layer's tables: daily and monthly rollups, each order's share of them, the
subscriber counts, indicator targets, frozen period reports and report subscriptions.

Reports read `Rollup` and `SubscriberFlow`, never the live order tables (decision 0027).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


class Rollup(models.Model):
    """One pre-aggregated figure: MEASURE summed over the work orders of a department and a
    province on a day (or in a month), in total (DIM "") or for one value KEY of a breakdown
    dimension DIM (channel, kind, category, severity, city, segment, agent, policy…).

    The department and the province are columns of every row because the data scopes (their
    department, their region) filter on them; the other dimensions are one at a time, which is
    what a report breaks down by. Values are sums of the orders' shares (`OrderFact`), kept
    by adding differences, so a late change lands on the day it belongs to."""

    grain = models.CharField(_("grain"), max_length=1, choices=Grain.choices)
    period = models.DateField(_("period"))  # the day, or the first day of the month
    department_id = models.IntegerField(_("department"), default=0)  # 0: none
    province = models.CharField(_("province"), max_length=20, default="", blank=True)
    dim = models.CharField(_("dimension"), max_length=12, default="", blank=True)
    key = models.CharField(_("value"), max_length=40, default="", blank=True)
    measure = models.CharField(_("measure"), max_length=40)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [models.UniqueConstraint(
            fields=["grain", "period", "dim", "measure", "key", "department_id", "province"], name="reports_rollup_cell")]
        # A report reads some measures of one grain and dimension over a run of periods (one
        # short range per measure); a department's readers that department's rows. On PostgreSQL
        # both indexes carry the columns summed and grouped by, so reports are index-only scans
        # (migration 0002; bench/reports.py).
        indexes = [models.Index(fields=["grain", "dim", "measure", "period"], name="reports_rollup_read"),
                   models.Index(fields=["grain", "dim", "department_id", "period"], name="reports_rollup_dept")]

    def __str__(self):
        return f"{self.period} {self.measure} {self.dim}={self.key}: {self.value}"


class Share(models.Model):
    """What one row (an order, a contact) has added to the rollups, so that any change to it is
    applied as the difference between its new share and this one (incremental = rebuilt)."""

    dims = models.JSONField(_("dimensions"), default=dict)
    atoms = models.JSONField(_("shares"), default=list)  # [day ordinal, agent, extra dims, measure, value]
    first_day = models.DateField(_("first day"), null=True)
    last_day = models.DateField(_("last day"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True


class OrderFact(Share):
    order_id = models.BigIntegerField(_("work order"), primary_key=True)

    class Meta:
        verbose_name = _("order's share of the rollups")
        verbose_name_plural = _("orders' shares of the rollups")
        indexes = [models.Index(fields=["last_day", "first_day"], name="reports_fact_days")]

    def __str__(self):
        return f"{self.order_id}"


class ContactFact(Share):
    """A contact's share (first-contact resolution)."""

    contact_id = models.BigIntegerField(_("contact"), primary_key=True)

    class Meta:
        verbose_name = _("contact's share of the rollups")
        verbose_name_plural = _("contacts' shares of the rollups")
        indexes = [models.Index(fields=["last_day", "first_day"], name="reports_contactfact_days")]

    def __str__(self):
        return f"{self.contact_id}"


class InspectionFact(Share):
    """A final quality inspection's share (质检: its score, fatal error, pass)."""

    inspection_id = models.BigIntegerField(_("inspection"), primary_key=True)

    class Meta:
        verbose_name = _("inspection's share of the rollups")
        verbose_name_plural = _("inspections' shares of the rollups")

    def __str__(self):
        return f"{self.inspection_id}"


class ActionFact(Share):
    """A corrective action's share (整改: due, and done on time and verified effective)."""

    action_id = models.BigIntegerField(_("corrective action"), primary_key=True)

    class Meta:
        verbose_name = _("corrective action's share of the rollups")
        verbose_name_plural = _("corrective actions' shares of the rollups")

    def __str__(self):
        return f"{self.action_id}"


class ExamFact(Share):
    """A knowledge test's share (培训考试: taken, its score, passed)."""

    assignment_id = models.BigIntegerField(_("test assignment"), primary_key=True)

    class Meta:
        verbose_name = _("test's share of the rollups")
        verbose_name_plural = _("tests' shares of the rollups")

    def __str__(self):
        return f"{self.assignment_id}"


class CallFact(Share):
    """A hotline call's share (呼入: offered, answered, abandoned, waits, handling, transfers), on the
    day and interval it was offered; its dims keep the thresholds it was counted with."""

    call_id = models.BigIntegerField(_("call"), primary_key=True)

    class Meta:
        verbose_name = _("call's share of the rollups")
        verbose_name_plural = _("calls' shares of the rollups")
        indexes = [models.Index(fields=["last_day", "first_day"], name="reports_callfact_days")]

    def __str__(self):
        return f"{self.call_id}"


class AgentTimeFact(Share):
    """An agent state change's share (占用率): the seconds of the state it began, until the next
    change, by day — available (signed in, not on a break) and busy (on a call, after-call work)."""

    change_id = models.BigIntegerField(_("agent state change"), primary_key=True)

    class Meta:
        verbose_name = _("agent time's share of the rollups")
        verbose_name_plural = _("agent time's shares of the rollups")
        indexes = [models.Index(fields=["last_day", "first_day"], name="reports_agenttime_days")]

    def __str__(self):
        return f"{self.change_id}"


class SubscriberFlow(models.Model):
    """Subscriptions opened (+) and terminated (−) on a day, by region and product: the number
    active on any day is the running sum (万户投诉率, 百万用户申诉率).

    Two sources. "kefu" rows are Kefu's own subscriptions (those of the customers who have
    contacted the service centre), rewritten by `subscribers.refresh()`. "billing" rows are the
    subscribers Kefu does not hold itself, as the billing system (BSS) reports them: a base on
    some day and the net changes after it, loaded by `subscribers.record_billing` (`kefu reports
    subscribers FILE`) and never touched by `refresh()`. The count the indicators divide by is
    the sum of both sources."""

    class Source(models.TextChoices):
        KEFU = "kefu", _("Kefu's subscriptions")
        BILLING = "billing", _("billing system")

    day = models.DateField(_("day"))
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    product = models.CharField(_("product type"), max_length=12)
    delta = models.IntegerField(_("change"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.KEFU)

    class Meta:
        verbose_name = _("subscriber change")
        verbose_name_plural = _("subscriber changes")
        indexes = [models.Index(fields=["day"], name="reports_subscriber_day")]

    def __str__(self):
        return f"{self.day} {self.province} {self.product} {self.delta:+d}"


class RebuildRun(models.Model):
    """One `kefu reports rebuild`: its range and how far it got, so that it resumes."""

    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    cleared = models.BooleanField(_("range cleared"), default=False)
    last_order_id = models.BigIntegerField(_("last work order done"), default=0)
    last_contact_id = models.BigIntegerField(_("last contact done"), default=0)
    orders_done = models.BigIntegerField(_("work orders done"), default=0)
    # How far the other sources got (inspections, corrective actions, tests, calls, agent states):
    # {source: last id}.
    positions = models.JSONField(_("positions"), default=dict, blank=True)
    # A rebuild of everything reads every order after the order events up to this id committed:
    # when it finishes, the "reports" consumer need not handle them again (events.covered).
    events_upto = models.BigIntegerField(_("order events covered up to"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollup rebuild")
        verbose_name_plural = _("rollup rebuilds")

    def __str__(self):
        return f"{self.date_from or '…'} – {self.date_to or '…'}"


class ReportState(models.Model):
    """Named watermarks of the periodic work (e.g. up to when clocks that came due without an
    event were brought into the rollups)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("report watermark")
        verbose_name_plural = _("report watermarks")

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """A target for an indicator from a date on (versioned: a new target is a new row, earlier
    periods keep the target they had)."""

    indicator = models.CharField(_("indicator"), max_length=40)
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=4,
                                help_text=_("Percentages as percent (85 for 85 %), durations in the indicator's unit "
                                            "(minutes or hours; seconds for the hotline's)."))
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        ordering = ["indicator", "-valid_from", "-id"]
        indexes = [models.Index(fields=["indicator", "valid_from"], name="reports_target_from")]

    def __str__(self):
        return f"{self.indicator} {self.value} ({self.valid_from})"


class Snapshot(models.Model):
    """A closed period's report, frozen: the figures as they were computed, the version of the
    indicators' definitions, and a hash recorded in the audit chain. A later change of the data
    makes a new version; a version is never rewritten."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    version = models.PositiveIntegerField(_("version"))
    figures = models.JSONField(_("figures"))
    definitions_version = models.CharField(_("definitions version"), max_length=80)
    sha256 = models.CharField(_("hash of the figures"), max_length=64)
    audit_entry_id = models.BigIntegerField(_("audit entry"), null=True, blank=True)
    created_at = models.DateTimeField(_("frozen at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("frozen by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("closed report")
        verbose_name_plural = _("closed reports")
        ordering = ["-start", "period", "-version"]
        constraints = [models.UniqueConstraint(fields=["period", "start", "version"], name="reports_snapshot_version")]
        permissions = [
            ("view_report", _("Can view reports of the data scope")),
            ("view_own_figures", _("Can view one's own figures")),
            ("close_period", _("Can close a period's report")),
        ]

    def __str__(self):
        return f"{self.period} {self.start} v{self.version}"


class ReportSubscription(models.Model):
    """A user's standing order for a report by e-mail and in-app notification."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="report_subscriptions")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    email = models.BooleanField(_("by e-mail"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_period_start = models.DateField(_("last period sent"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "frequency"], name="reports_subscription_once")]

    def __str__(self):
        return f"{self.user} {self.get_frequency_display()}"
