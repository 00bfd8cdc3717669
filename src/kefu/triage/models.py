import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.orders.models import Kind, Severity


def _check_pattern(value):
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Not a valid regular expression: %(e)s") % {"e": exc}) from None


class TriageRule(models.Model):
    """A keyword or pattern that overrides the model: threats to go to the regulator, the
    media or court make a complaint major and put it before a complaint coordinator."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    pattern = models.CharField(_("pattern"), max_length=500, validators=[_check_pattern],
                               help_text=_("A regular expression matched against title and description, e.g. 工信部|12300|申诉"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Rules are applied in this order."))
    set_kind = models.CharField(_("set kind"), max_length=20, blank=True, choices=Kind.choices)
    raise_severity = models.CharField(_("raise severity to"), max_length=10, blank=True, choices=Severity.choices)
    flag_coordinator = models.BooleanField(_("flag for a complaint coordinator"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name
