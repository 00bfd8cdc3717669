"""Follow-up tasks and calls change only through followup.services: read-only here."""

from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import Attempt, FollowUpTask


class CallInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["at", "result", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(ReadOnlyAdmin):
    list_display = ["order", "reason", "status", "due_at", "next_call_at", "attempts", "outcome", "assignee"]
    list_filter = ["status", "reason", "outcome"]
    raw_id_fields = ["order"]
    inlines = [CallInline]
