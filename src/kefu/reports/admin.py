from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from . import indicators as reg
from .models import IndicatorTarget, ReportSubscription, Snapshot, SubscriberFlow


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    """Targets are versioned: a change is a new row from a date on; rows are never edited, so
    a closed period keeps the target it was measured against."""

    list_display = ["indicator_name", "value", "valid_from", "note", "created_by", "created_at"]
    list_filter = ["indicator"]
    fields = ["indicator", "value", "valid_from", "note"]

    @admin.display(description=IndicatorTarget._meta.get_field("indicator").verbose_name)
    def indicator_name(self, obj):
        ind = reg.REGISTRY.get(obj.indicator)
        return ind.name if ind else obj.indicator

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            from django import forms

            return forms.ChoiceField(label=db_field.verbose_name, choices=[(i.code, i.name) for i in reg.REGISTRY.values()])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from . import services

        services.set_target(request.user, obj.indicator, obj.value, obj.valid_from, obj.note)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period", "start", "end", "version", "definitions_version", "sha256", "created_at"]
    list_filter = ["period"]


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "email", "is_active", "last_period_start", "last_sent_at"]
    list_filter = ["frequency", "is_active"]


@admin.register(SubscriberFlow)
class SubscriberFlowAdmin(ReadOnlyAdmin):
    """Kefu's rows are rewritten from the subscriptions, the billing system's are loaded with
    `kefu reports subscribers FILE`: neither is edited here."""

    list_display = ["day", "source", "province", "city", "product", "delta"]
    list_filter = ["source", "product", "province"]
    date_hierarchy = "day"
    ordering = ["-day", "province", "city", "product"]
