"""Forms of the web pages: they check the shape of the input; the services check the rules."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.contacts.models import Channel, Contact
from kefu.orders.models import CUSTOMER_SUMMARY_MAX, OPEN_STATUSES, Kind, Severity, Status
from kefu.orders.services import SLA_STATES
from kefu.staff.models import User

OPEN = [(s.value, s.label) for s in Status if s in OPEN_STATUSES]
SLA_LABELS = {"breached": _("Breached"), "warning": _("Warning"), "on_track": _("On track"), "none": _("No running limit")}


def _any(choices):
    return [("", _("Any"))] + list(choices)


def _suggested(choices):
    """A new order's choice left to the triage suggestion (and the routing) when nobody picks one."""
    return [("", _("(as triage suggests)"))] + list(choices)


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
    customer_summary = forms.CharField(label=_("Customer-visible summary"), required=False, max_length=CUSTOMER_SUMMARY_MAX,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text=_("The customer reads this in self-service. Left empty, they read the kind, "
                                                   "category and number of the order."))
    kind = forms.ChoiceField(label=_("Kind"), choices=_suggested(Kind.choices), required=False)
    category_id = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(label=_("Severity"), choices=_suggested(Severity.choices), required=False)
    subscription_id = forms.TypedChoiceField(label=_("Subscription"), required=False, coerce=int, empty_value=None)
    route = forms.BooleanField(label=_("Route it now (accept, dispatch, assign)"), required=False, initial=True)

    def __init__(self, *args, categories=(), subscriptions=(), kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = _suggested((c.pk, str(c)) for c in categories)
        self.fields["subscription_id"].choices = [("", pgettext_lazy("service", "None named"))] + [
            (s.pk, f"{s.masked_service_number} · {s.get_product_display()}") for s in subscriptions]
        if kinds is not None:  # only these kinds for this customer (an unidentified caller: consultation, complaint)
            self.fields["kind"].choices, self.fields["kind"].required = kinds, True


class RegisterCaller(forms.Form):
    """An unidentified caller's name and number, for a consultation or complaint (decision 0023)."""

    name = forms.CharField(label=_("Name the caller gives"), max_length=100)
    phone = forms.CharField(label=_("Caller's number"), max_length=40)


class MatchCaller(forms.Form):
    """The customer file an unidentified caller turned out to have, by its customer number."""

    customer_no = forms.CharField(label=_("Their customer number"), max_length=40)


class EndContact(forms.Form):
    summary = forms.CharField(label=pgettext_lazy("resolution", "Summary"), required=False, widget=forms.Textarea)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Contact.Outcome.choices if c[0] != "open"])


# Why someone steps away (暂离): a short list, and "other" with words of their own.
AWAY_REASONS = [("break", pgettext_lazy("stepping away", "Short break")), ("meal", pgettext_lazy("stepping away", "Meal")),
                ("training", pgettext_lazy("stepping away", "Training")), ("meeting", pgettext_lazy("stepping away", "Meeting")),
                ("other", pgettext_lazy("stepping away", "Other"))]


class Presence(forms.Form):
    """The header's status control (坐席状态): stepping away asks why, which the status history
    keeps (routing.services.set_presence)."""

    presence = forms.ChoiceField(label=_("Status"), choices=User.Presence.choices)
    reason = forms.ChoiceField(label=_("Reason for stepping away"), choices=[("", "—")] + AWAY_REASONS, required=False)
    detail = forms.CharField(label=_("In your own words"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("presence") == User.Presence.AWAY and not data.get("reason"):
            self.add_error("reason", _("Say why you step away."))
        if data.get("reason") == "other" and not data.get("detail"):
            self.add_error("detail", _("Say why, when the reason is Other."))
        return data

    def reason_text(self) -> str:
        """The reason as the status history records it, in the words the person chose."""
        reason, detail = self.cleaned_data.get("reason"), self.cleaned_data.get("detail", "")
        if self.cleaned_data["presence"] != User.Presence.AWAY or not reason:
            return detail
        if reason == "other":
            return detail
        label = str(dict(AWAY_REASONS)[reason])
        return _("%(reason)s: %(detail)s") % {"reason": label, "detail": detail} if detail else label
