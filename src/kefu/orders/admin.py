from django.contrib import admin

from kefu.scopes import ScopedAdminMixin

from .models import Category, Feedback, OrderEvent, OrderLink, WorkOrder


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "kind", "problem_class", "is_active", "sort_order"]
    list_filter = ["kind", "problem_class", "is_active"]
    search_fields = ["code", "name", "name_en"]
    list_editable = ["is_active", "sort_order"]


class EventInline(admin.TabularInline):
    model = OrderEvent
    fields = ["at", "actor", "action", "from_status", "to_status", "reason", "note", "visibility"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: orders change through the services (state machine, events), not here."""

    list_display = ["number", "kind", "severity", "status", "title", "department", "handler", "owner", "created_at"]
    list_filter = ["status", "kind", "severity", "channel", "department"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    list_select_related = ["department", "handler", "owner"]
    raw_id_fields = ["customer", "subscription", "parent", "owner", "handler"]
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["order", "confirmed", "score", "satisfied", "channel", "at"]
    list_filter = ["confirmed", "satisfied", "channel"]
    raw_id_fields = ["order", "resolution_event", "recorded_by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrderLink)
class OrderLinkAdmin(admin.ModelAdmin):
    list_display = ["source", "type", "target", "created_at"]
    raw_id_fields = ["source", "target", "created_by"]
