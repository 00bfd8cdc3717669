from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Channel
from kefu.customers.models import Segment
from kefu.orders.models import Kind, Severity


class DispatchRule(models.Model):
    """派单规则: the first active rule, in position order, whose criteria all match sends the
    order to its department. Empty criteria match anything; keep a catch-all rule last."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("kind"), max_length=20, blank=True, choices=Kind.choices)
    category = models.ForeignKey("orders.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, help_text=_("Matches this category and everything below it."))
    severity = models.CharField(_("severity"), max_length=10, blank=True, choices=Severity.choices)
    channel = models.CharField(_("channel"), max_length=20, blank=True, choices=Channel.choices)
    segment = models.CharField(_("customer segment"), max_length=12, blank=True, choices=Segment.choices)
    province = models.CharField(_("province"), max_length=20, blank=True)
    flagged = models.BooleanField(_("flagged for a complaint coordinator"), null=True, blank=True,
                                  help_text=_("Empty: either; yes: only orders a triage rule flagged."))
    department = models.ForeignKey("staff.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class Skill(models.Model):
    """技能组: what a handler knows. A skill with categories or a kind is what an order of that
    category or kind needs; the 'by skill' strategy gives such orders only to people who have it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, blank=True, choices=Kind.choices,
                            help_text=_("Orders of this kind need the skill; empty: any kind."))
    categories = models.ManyToManyField("orders.Category", verbose_name=_("categories"), blank=True, related_name="+",
                                        help_text=_("Orders in these categories (or below them) need the skill."))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("people with the skill"), blank=True, related_name="skills")

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self):
        return self.name


class PresenceChange(models.Model):
    """History of agents' statuses, for workforce reports and for checking what routing saw."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    presence = models.CharField(_("status"), max_length=10)
    previous = models.CharField(_("previous status"), max_length=10)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL, related_name="+")
    moved = models.PositiveIntegerField(_("orders moved"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self):
        return f"{self.user_id} {self.previous}→{self.presence}"
