from django.contrib import admin

from .models import AffectedCustomer, IncidentStep, SecurityIncident


class StepInline(admin.TabularInline):
    model = IncidentStep
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "note", "data"]

    def has_add_permission(self, request, obj=None):
        return False


class AffectedInline(admin.TabularInline):
    model = AffectedCustomer
    extra = 0
    can_delete = False
    readonly_fields = ["customer", "data_involved", "notified_at", "channel", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SecurityIncident)
class SecurityIncidentAdmin(admin.ModelAdmin):
    """Read here; the response steps go through the API (services check and record each)."""

    list_display = ["number", "title", "level", "status", "detected_at", "contained_at", "authorities_notified_at", "closed_at"]
    list_filter = ["level", "status"]
    search_fields = ["number", "title"]
    inlines = [StepInline, AffectedInline]
    readonly_fields = [f.name for f in SecurityIncident._meta.fields] + ["team"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
