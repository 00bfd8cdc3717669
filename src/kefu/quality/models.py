"""Quality inspection (质检, issue 17). This first part: the automatic checks of every contact's
text (checks.py) — the rules administrators keep, and the hits that flag a contact for an
inspector with the rule and the words that fired."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import checks


class CheckRule(models.Model):
    """One automatic check (seeded in Chinese; administrators edit the words and switch rules off)."""

    class Kind(models.TextChoices):
        FORBIDDEN = checks.FORBIDDEN, _("Forbidden phrase")
        GREETING = checks.GREETING, _("Standard greeting missing")
        CLOSING = checks.CLOSING, _("Standard closing missing")
        NUMBER = checks.NUMBER, _("Mobile or ID number in free text")
        REVEAL = checks.REVEAL, _("Identity revealed without verification")
        TIME_LIMIT = checks.TIME_LIMIT, _("Time limit breached")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    words = models.JSONField(_("words"), default=list, blank=True,
                             help_text=_("Forbidden phrases, or the greetings and closings one of which a reply must contain."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("automatic check")
        verbose_name_plural = _("automatic checks")
        ordering = ["code"]

    def __str__(self):
        return self.name


class ContactCheck(models.Model):
    """That a contact was checked, when, and how many hits it had (a flagged contact: hits > 0)."""

    contact = models.OneToOneField("contacts.Contact", verbose_name=_("contact"), primary_key=True,
                                   on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    hits = models.PositiveSmallIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("contact checked")
        verbose_name_plural = _("contacts checked")
        indexes = [models.Index(fields=["-checked_at"], condition=models.Q(hits__gt=0), name="quality_flagged")]

    def __str__(self):
        return f"{self.contact_id}: {self.hits}"


class CheckHit(models.Model):
    """What one rule found on one contact: where (a summary, a note on an order) and the words."""

    contact = models.ForeignKey("contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE,
                                related_name="+")
    rule = models.ForeignKey(CheckRule, verbose_name=_("automatic check"), on_delete=models.CASCADE, related_name="+")
    where = models.CharField(_("where"), max_length=200)
    words = models.CharField(_("words"), max_length=200, blank=True)
    found_at = models.DateTimeField(_("found at"))

    class Meta:
        verbose_name = _("check hit")
        verbose_name_plural = _("check hits")
        ordering = ["contact", "id"]

    def __str__(self):
        return f"{self.rule} · {self.where}"


class CheckState(models.Model):
    """The automatic checks' watermark: contacts that ended up to AT have been checked."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("check watermark")
        verbose_name_plural = _("check watermarks")

    def __str__(self):
        return f"{self.name}: {self.at}"


# --- scorecards and inspections -------------------------------------------------------------

class Scorecard(models.Model):
    """One version of the inspection scorecard (质检评分表): items in sections, each worth points
    or pass/fail, some fatal (致命项: a failed one sets the score to 0), and the pass mark. A
    draft is edited; publishing makes it the one in use and retires the one before (whose
    inspections stay tied to it)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("scorecard status", "In use")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1, default=80)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"),
                                               name="quality_one_active_scorecard")]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ScorecardItem(models.Model):
    class Kind(models.TextChoices):
        POINTS = "points", _("Points")
        PASS_FAIL = "pass_fail", _("Pass or fail")

    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    section = models.CharField(_("section"), max_length=40)
    text = models.CharField(_("item"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.POINTS)
    points = models.PositiveSmallIntegerField(_("points"), default=0)  # what the item is worth (0 for a fatal item)
    fatal = models.BooleanField(_("fatal"), default=False)
    allow_na = models.BooleanField(_("may be not applicable"), default=False)
    rule = models.ForeignKey(CheckRule, verbose_name=_("automatic check"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             help_text=_("A hit of this check pre-fills the item as failed."))

    class Meta:
        verbose_name = _("scorecard item")
        verbose_name_plural = _("scorecard items")
        ordering = ["scorecard", "position"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "position"], name="quality_item_position")]

    def __str__(self):
        return self.text


class Inspection(models.Model):
    """One inspector's scoring of one contact on a scorecard: drafted, published to the agent,
    appealed within KEFU_QUALITY_APPEAL_DAYS working days, decided by the QA lead."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being scored")
        PUBLISHED = "published", pgettext_lazy("inspection status", "Published")
        APPEALED = "appealed", _("Appealed")
        FINAL = "final", _("Final")

    contact = models.ForeignKey("contacts.Contact", verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+")
    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT,
                                  related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    fatal = models.BooleanField(_("fatal error"), default=False)
    passed = models.BooleanField(_("passed"), null=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    appeal_until = models.DateTimeField(_("appeal until"), null=True, blank=True)
    final_at = models.DateTimeField(_("final at"), null=True, blank=True)
    calibration = models.ForeignKey("Calibration", verbose_name=_("calibration"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="inspections",
                                    help_text=_("Scored for a calibration: never published to the agent nor counted."))

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.UniqueConstraint(fields=["contact", "inspector"], condition=models.Q(calibration__isnull=True),
                                    name="quality_one_inspection_each"),
            models.UniqueConstraint(fields=["calibration", "contact", "inspector"], condition=models.Q(calibration__isnull=False),
                                    name="quality_one_calibration_score_each")]
        indexes = [models.Index(fields=["agent", "status"], name="quality_inspection_agent"),
                   # The worker's closing of inspections whose appeal window ended; the reports' watermark.
                   models.Index(fields=["status", "appeal_until"], name="quality_inspection_window"),
                   models.Index(fields=["final_at"], name="quality_inspection_final")]

    def __str__(self):
        return f"{self.contact_id} · {self.inspector}"


class InspectionItem(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        PARTIAL = "partial", _("Part of the points")
        NA = "na", _("Not applicable")

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(ScorecardItem, verbose_name=_("scorecard item"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PASS)
    points = models.PositiveSmallIntegerField(_("points awarded"), default=0)
    prefilled = models.BooleanField(_("pre-filled by an automatic check"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("inspection item")
        verbose_name_plural = _("inspection items")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="quality_one_result_per_item")]

    def __str__(self):
        return f"{self.item_id}: {self.result}"


class Appeal(models.Model):
    """The agent's appeal (申诉) of a published inspection, and the QA lead's decision."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Upheld: the score stands")
        CHANGED = "changed", _("Score changed")

    inspection = models.OneToOneField(Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE,
                                      related_name="appeal")
    reason = models.TextField(_("reason"))
    filed_at = models.DateTimeField(_("filed at"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    score_before = models.DecimalField(_("score before"), max_digits=5, decimal_places=1, null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        permissions = [("arbitrate_appeal", _("Can decide appeals of inspections"))]

    def __str__(self):
        return f"{self.inspection_id}: {self.decision or '…'}"


# --- sampling plans ----------------------------------------------------------------------------

class SamplingPlan(models.Model):
    """Which contacts inspectors score (抽检方案): PER_AGENT contacts of each agent per PERIOD,
    stratified by channel and kind, plus every contact behind a low satisfaction score, a repeat
    complaint or a regulator transfer when the plan says so."""

    class Period(models.TextChoices):
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")

    name = models.CharField(_("name"), max_length=100)
    per_agent = models.PositiveSmallIntegerField(_("contacts per agent"), default=5)
    period = models.CharField(_("period"), max_length=5, choices=Period.choices, default=Period.WEEK)
    channels = models.JSONField(_("channels"), default=list, blank=True, help_text=_("Empty: every channel."))
    low_score = models.BooleanField(_("every contact behind a low satisfaction score"), default=True)
    repeat = models.BooleanField(_("every contact behind a repeat complaint"), default=True)
    regulator = models.BooleanField(_("every contact behind a regulator transfer"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")

    def __str__(self):
        return self.name


class SamplingRun(models.Model):
    """One period's draw of a plan, reproducible from its seed."""

    plan = models.ForeignKey(SamplingPlan, verbose_name=_("sampling plan"), on_delete=models.PROTECT, related_name="runs")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    seed = models.BigIntegerField(_("seed"))
    picked = models.PositiveIntegerField(_("contacts picked"), default=0)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("sampling run")
        verbose_name_plural = _("sampling runs")
        constraints = [models.UniqueConstraint(fields=["plan", "first_day"], name="quality_one_run_per_period")]

    def __str__(self):
        return f"{self.plan} {self.first_day}"


class Sample(models.Model):
    """A contact picked for inspection, why, and the inspector it went to. A contact is picked
    once, whatever the plan or period (the database refuses a second)."""

    class Reason(models.TextChoices):
        SAMPLED = "sampled", _("Sampled")
        LOW_SCORE = "low_score", _("Low satisfaction score")
        REPEAT = "repeat", _("Repeat complaint")
        REGULATOR = "regulator", _("Regulator transfer")

    run = models.ForeignKey(SamplingRun, verbose_name=_("sampling run"), on_delete=models.CASCADE, related_name="samples")
    contact = models.OneToOneField("contacts.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("sampled contact")
        verbose_name_plural = _("sampled contacts")
        indexes = [models.Index(fields=["inspector", "run"], name="quality_sample_inspector")]

    def __str__(self):
        return f"{self.contact_id} ({self.reason})"


# --- calibration (校准) ---------------------------------------------------------------------------

class Calibration(models.Model):
    """Several inspectors score the same contacts on the same scorecard without seeing each
    other's scores; when the QA lead closes it, everyone sees the spread per item and per
    inspector."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("calibration status", "Scoring")
        CLOSED = "closed", pgettext_lazy("calibration status", "Closed")

    title = models.CharField(_("title"), max_length=100)
    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="+")
    contacts = models.ManyToManyField("contacts.Contact", verbose_name=_("contacts"), related_name="+")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calibration")
        verbose_name_plural = _("calibrations")

    def __str__(self):
        return self.title
