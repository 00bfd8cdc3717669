from django.contrib import admin

from .models import CorrectiveAction, CorrectiveEvent


class EventInline(admin.TabularInline):
    model = CorrectiveEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "note", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    """Read here; the steps go through the pages and the API (services check and record each)."""

    list_display = ["number", "title", "source", "owner", "department", "deadline", "status", "escalation_level"]
    list_filter = ["status", "source", "department"]
    search_fields = ["number", "title"]
    inlines = [EventInline]
    readonly_fields = [f.name for f in CorrectiveAction._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
