from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import ReadOnlyAdmin

from . import ivr
from .models import Call, CallEvent, Extension, IvrNode, Platform


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


class IvrNodeForm(forms.ModelForm):
    """An entry of the IVR menu, checked as kefu.cti.ivr.save_node checks it (each fault by its
    field); the key path follows from the parent and the key."""

    class Meta:
        model = IvrNode
        fields = ["platform", "parent", "key", "name", "prompt", "target", "queue", "service", "extension", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            self.fields["parent"].queryset = IvrNode.objects.filter(target=IvrNode.Target.MENU).select_related("platform")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        node = IvrNode(pk=self.instance.pk, path=self.instance.path)
        for name in self._meta.fields or []:
            setattr(node, name, cleaned.get(name))
        for name, reason in ivr.node_errors(node).items():
            self.add_error(name if name in self.fields else None, reason)
        return cleaned


@admin.register(IvrNode)
class IvrNodeAdmin(admin.ModelAdmin):
    """The menu as a tree: entries in key-path order, each indented under its menu."""

    form = IvrNodeForm
    list_display = ["tree_name", "keys", "leads_to", "platform", "position"]
    list_filter = ["platform", "target"]
    search_fields = ["name", "path"]
    ordering = ["platform", "path"]
    readonly_fields = ["path"]
    list_select_related = ["platform"]

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj):
        return "\u3000" * (len(obj.path) - 1) + obj.name

    @admin.display(description=_("key path"))
    def keys(self, obj):
        return " › ".join(obj.path)

    @admin.display(description=_("leads to"))
    def leads_to(self, obj):
        return ivr.leads_to(obj)

    def save_model(self, request, obj, form, change):
        ivr.save_node(obj)
