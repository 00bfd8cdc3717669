"""Staff assessment (考核, issue 17): schemes of weighted indicators per role, and each period's
results per person, ranked, published to staff on a date and frozen from then on."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Scheme(models.Model):
    """An assessment scheme (考核方案): which indicators of the registry assess the people of one
    role, with what weight (points out of 100) and scoring bands, monthly or quarterly."""

    class Period(models.TextChoices):
        MONTH = "month", pgettext_lazy("assessment period", "Monthly")
        QUARTER = "quarter", pgettext_lazy("assessment period", "Quarterly")

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role assessed"), max_length=40)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.MONTH)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SchemeItem(models.Model):
    """One indicator of a scheme. BANDS: [[threshold, percent of the weight], …], best first, the
    threshold in the indicator's unit as shown (percent as percent: 85 = 85 %): the first band the
    value reaches (at or above it for an indicator where higher is better, at or below for one
    where lower is better) gives its percent; below every band, 0."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("assessment scheme"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    indicator = models.CharField(_("indicator"), max_length=40)
    weight = models.PositiveSmallIntegerField(_("weight (points)"))
    bands = models.JSONField(_("scoring bands"), default=list)

    class Meta:
        verbose_name = _("scheme indicator")
        verbose_name_plural = _("scheme indicators")
        ordering = ["scheme", "position"]
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator"], name="assessment_item_once")]

    def __str__(self):
        return f"{self.indicator} ({self.weight})"


class Run(models.Model):
    """One scheme's assessment of one period: computed (and recomputed) as a draft from the
    rollups, published to staff on a date and frozen: its results are never recomputed."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("assessment status", "Draft")
        PUBLISHED = "published", pgettext_lazy("assessment status", "Published")

    scheme = models.ForeignKey(Scheme, verbose_name=_("assessment scheme"), on_delete=models.PROTECT, related_name="runs")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    items = models.JSONField(_("indicators as computed"), default=list)  # the scheme's items when computed
    people = models.PositiveIntegerField(_("people assessed"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    publish_on = models.DateField(_("publish on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    definitions_version = models.CharField(_("definitions version"), max_length=40, blank=True)
    sha256 = models.CharField(_("SHA-256 of the results"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [models.UniqueConstraint(fields=["scheme", "first_day"], name="assessment_one_run_per_period")]
        permissions = [("publish_run", _("Can publish an assessment to staff"))]

    def __str__(self):
        return f"{self.scheme} {self.first_day:%Y-%m}"


class Result(models.Model):
    """One person's assessment sheet: each indicator's value and points, the total out of 100,
    the rank among everyone assessed and in the team (department)."""

    run = models.ForeignKey(Run, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="results")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("staff.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    total = models.DecimalField(_("total"), max_digits=5, decimal_places=1, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    team_rank = models.PositiveIntegerField(_("rank in the team"), null=True, blank=True)
    team_size = models.PositiveIntegerField(_("team size"), default=0)
    items = models.JSONField(_("indicators"), default=list)  # [{code, value, weight, percent, points}]

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        constraints = [models.UniqueConstraint(fields=["run", "person"], name="assessment_one_result_each")]
        indexes = [models.Index(fields=["run", "department", "rank"], name="assessment_result_team"),
                   models.Index(fields=["person", "run"], name="assessment_result_person")]

    def __str__(self):
        return f"{self.run_id} {self.person_id}: {self.total}"
