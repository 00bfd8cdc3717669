"""Forms of the web pages: they check the shape of the input; the services check the rules."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Channel
from kefu.orders.models import Kind, Severity, Status
from kefu.orders.services import SLA_STATES

OPEN = [(s.value, s.label) for s in Status if s.value in ("new", "accepted", "assigned", "in_progress", "waiting_customer")]
SLA_LABELS = {"breached": _("Breached"), "warning": _("Warning"), "on_track": _("On track"), "none": _("No running limit")}


def _any(choices):
    return [("", _("Any"))] + list(choices)


class QueueFilters(forms.Form):
    q = forms.CharField(label=_("Number or title"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=_any(OPEN), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=_any(Kind.choices), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=_any(Severity.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_any(Channel.choices), required=False)
    sla = forms.ChoiceField(label=_("Time limit"), choices=_any((s, SLA_LABELS[s]) for s in SLA_STATES), required=False)


class CustomerSearch(forms.Form):
    q = forms.CharField(label=_("Phone, ID number, customer number or name"), max_length=100)


class Preferences(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Installation default"))] + list(settings.LANGUAGES), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  choices=[("", _("Installation default"))] + [(z, z) for z in sorted(zoneinfo.available_timezones())])


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=60)
