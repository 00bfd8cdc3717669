from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kefu.core.admin import ReadOnlyAdmin

from . import services
from .models import Result, Run, Scheme, SchemeItem


class SchemeItemForm(forms.ModelForm):
    """Each indicator checked as the scheme service checks it (services.check_items)."""

    class Meta:
        model = SchemeItem
        fields = ["position", "indicator", "weight", "bands"]

    def clean(self):
        data = super().clean()
        _clean, errors = services.check_items([{"indicator": data.get("indicator"), "weight": data.get("weight"),
                                                "bands": data.get("bands")}], whole=False)
        for key, message in errors.items():
            field = key.rsplit(".", 1)[-1]
            self.add_error(field if field in self.fields else None, message)
        return data


class SchemeItemFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        weights = [f.cleaned_data.get("weight") or 0 for f in self.forms
                   if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if weights and sum(weights) != 100:
            raise ValidationError(services.weights_message(sum(weights)))


class SchemeItemInline(admin.TabularInline):
    model = SchemeItem
    form = SchemeItemForm
    formset = SchemeItemFormSet
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "period", "is_active"]
    list_filter = ["period", "is_active"]
    inlines = [SchemeItemInline]


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "first_day", "last_day", "status", "people", "published_at"]
    list_filter = ["status", "scheme"]


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "person", "department", "total", "rank", "team_rank"]
    list_filter = ["run"]
