"""Forms of the web pages: they check the shape of the input; the services check the rules."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.contacts.models import Channel, Contact
from kefu.orders.models import OPEN_STATUSES, Kind, Severity, Status
from kefu.orders.services import SLA_STATES

OPEN = [(s.value, s.label) for s in Status if s in OPEN_STATUSES]
SLA_LABELS = {"breached": _("Breached"), "warning": _("Warning"), "on_track": _("On track"), "none": _("No running limit")}


def _any(choices):
    return [("", _("Any"))] + list(choices)


class QueueFilters(forms.Form):
    q = forms.CharField(label=_("Number or words"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=_any(OPEN), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=_any(Kind.choices), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=_any(Severity.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_any(Channel.choices), required=False)
    sla = forms.ChoiceField(label=_("Time limit"), choices=_any((s, SLA_LABELS[s]) for s in SLA_STATES), required=False)


class CustomerSearch(forms.Form):
    q = forms.CharField(label=_("Phone or service number, ID number, customer number, name or order number"), max_length=100)


# The zones a Chinese operator's staff work in, first (then every other zone, by name).
COMMON_ZONES = [("Asia/Shanghai", _("Beijing time")), ("Asia/Urumqi", _("Xinjiang time")),
                ("Asia/Hong_Kong", _("Hong Kong")), ("Asia/Macau", _("Macao")), ("Asia/Taipei", _("Taipei"))]


def _time_zone_choices():
    common = [(zone, format_lazy(_("{name} ({zone})"), name=name, zone=zone)) for zone, name in COMMON_ZONES]
    others = [(z, z) for z in sorted(zoneinfo.available_timezones() - {zone for zone, _name in COMMON_ZONES})]
    return [("", _("Installation default")), (_("Common time zones"), common), (_("Other time zones"), others)]


class Preferences(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Installation default"))] + list(settings.LANGUAGES), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=_time_zone_choices())


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=60)


class StartContact(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HOTLINE)
    caller = forms.CharField(label=_("Caller number or address"), required=False, max_length=100)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class Verify(forms.Form):
    method = forms.ChoiceField(label=_("Verify by"), choices=[("service_password", _("Service password")), ("id_number", _("ID number")),
                                                             ("sms_code", _("SMS code"))])
    secret = forms.CharField(label=_("What the caller says"), max_length=64, widget=forms.PasswordInput(render_value=False))


class NewOrder(forms.Form):
    # Typing in these asks for the triage suggestion (class "describe", see contact.html).
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"class": "describe"}))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"class": "describe"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=_any(Kind.choices), required=False)
    category_id = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(label=_("Severity"), choices=_any(Severity.choices), required=False)
    subscription_id = forms.TypedChoiceField(label=_("Subscription"), required=False, coerce=int, empty_value=None)
    route = forms.BooleanField(label=_("Route it now (accept, dispatch, assign)"), required=False, initial=True)

    def __init__(self, *args, categories=(), subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = _any((c.pk, str(c)) for c in categories)
        self.fields["subscription_id"].choices = _any((s.pk, f"{s.masked_service_number} · {s.get_product_display()}") for s in subscriptions)


class EndContact(forms.Form):
    summary = forms.CharField(label=pgettext_lazy("resolution", "Summary"), required=False, widget=forms.Textarea)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Contact.Outcome.choices if c[0] != "open"])
