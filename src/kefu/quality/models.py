"""Quality inspection (质检, issue 17). This first part: the automatic checks of every contact's
text (checks.py) — the rules administrators keep, and the hits that flag a contact for an
inspector with the rule and the words that fired."""

from django.db import models
from django.utils.translation import gettext_lazy as _

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
