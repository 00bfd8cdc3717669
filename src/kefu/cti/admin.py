from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import ReadOnlyAdmin

from .models import Call, CallEvent, Extension, Platform


class PlatformForm(forms.ModelForm):
    """The signing secret is written, never shown: left empty on a change, it stays as it was."""

    secret = forms.CharField(label=_("signing secret"), required=False, max_length=200,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave empty to keep the current secret."))

    class Meta:
        model = Platform
        fields = ["code", "name", "secret", "is_active", "replay_window_seconds"]

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if not secret and not (self.instance and self.instance.pk):
            raise forms.ValidationError(_("A new platform needs a signing secret."))
        return secret or self.instance.secret


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    form = PlatformForm
    list_display = ["code", "name", "is_active", "replay_window_seconds"]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["platform", "extension", "user"]
    list_filter = ["platform"]
    search_fields = ["extension"]
    raw_id_fields = ["user"]


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdmin):
    list_display = ["call_id", "seq", "type", "occurred_at", "received_at", "outcome", "error"]
    list_filter = ["outcome", "type", "platform"]
    search_fields = ["call_id"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["call_id", "platform", "state", "queue", "agent", "offered_at", "wait_seconds", "talk_seconds",
                    "abandoned"]
    list_filter = ["state", "abandoned", "platform"]
    search_fields = ["call_id"]
    exclude = ["caller", "caller_bidx", "key_id", "recording_ref"]
