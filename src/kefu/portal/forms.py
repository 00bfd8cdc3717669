"""Forms of the portal: they check the shape of the input; portal.services checks the rules."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core.text import phone_digits
from kefu.customers.validators import mobile_number
from kefu.orders.models import Kind

from .services import KINDS, MAX_TEXT


class PortalForm(forms.Form):
    """Rendered with `{{ field.as_field_group }}`: Django links each input to its help text and
    errors (aria-describedby, aria-invalid) and puts radio buttons in a fieldset with a legend."""

    def fail(self, exc):
        """Show a service's refusal (ValidationFailed): its message, and its reasons on the fields it names."""
        self.add_error(None, str(exc.message))
        for name, reason in (exc.fields or {}).items():
            if name in self.fields:
                self.add_error(name, str(reason))


class PhoneForm(PortalForm):
    phone = forms.CharField(label=_("Mobile number"), max_length=30,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
                            help_text=_("The mobile number you gave us, or the number of your mobile service."))

    def clean_phone(self):
        try:
            return mobile_number(self.cleaned_data["phone"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class CodeForm(PortalForm):
    # No HTML pattern: a browser's [0-9] would refuse the full-width digits of a Chinese input method.
    code = forms.CharField(label=_("Code from the SMS"), min_length=6, max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
                           help_text=_("Six digits."))

    def clean_code(self):
        """The digits as sent (kefu.core.text.phone_digits: full-width digits, spaces)."""
        code = phone_digits(self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Enter the six digits of the code."))
        return code


class NewRequestForm(PortalForm):
    kind = forms.ChoiceField(label=_("What is it?"), choices=[(k.value, k.label) for k in KINDS], widget=forms.RadioSelect)
    subscription_id = forms.TypedChoiceField(label=_("Which service is it about?"), required=False, coerce=int, empty_value=None)
    title = forms.CharField(label=_("In a few words"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("What happened, since when, and what you would like us to do."))

    def __init__(self, *args, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_id"].choices = [("", _("Not about one service"))] + [
            (s.pk, f"{s.get_product_display()} {s.service_number}") for s in subscriptions]
        self.fields["kind"].initial = Kind.COMPLAINT


class AnswerForm(PortalForm):
    text = forms.CharField(label=_("Your answer"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))


class WithdrawForm(PortalForm):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class FeedbackForm(PortalForm):
    SCORES = [(n, str(n)) for n in range(10, 0, -1)]

    confirmed = forms.TypedChoiceField(label=_("Is your problem solved?"), widget=forms.RadioSelect, coerce=lambda v: v == "yes",
                                       choices=[("yes", _("Yes, it is solved")), ("no", _("No, it is not solved"))])
    score = forms.TypedChoiceField(label=_("How satisfied are you? (10: very satisfied, 1: not at all)"), widget=forms.RadioSelect,
                                   coerce=int, choices=SCORES)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Required if the problem is not solved: tell us what is still wrong."))
