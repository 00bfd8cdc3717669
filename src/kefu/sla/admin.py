from django.contrib import admin

from .models import Calendar, CalendarDay, ClockPause, OrderClock, SlaPolicy, SlaTarget


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    fields = ["date", "kind", "name", "windows", "source"]
    extra = 0
    ordering = ["-date"]


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "time_zone", "follows_official", "official_from", "official_to"]
    readonly_fields = ["revision"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["calendar", "date", "kind", "name", "source"]
    list_filter = ["calendar", "kind", "source"]
    date_hierarchy = "date"
    search_fields = ["name"]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    fields = ["metric", "calendar", "duration", "warn_percent"]
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "priority", "kind", "category", "severity", "channel", "segment", "province", "area"]
    list_filter = ["is_active", "kind", "severity"]
    inlines = [SlaTargetInline]


class PauseInline(admin.TabularInline):
    model = ClockPause
    fields = ["started_at", "ended_at", "seconds"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(OrderClock)
class OrderClockAdmin(admin.ModelAdmin):
    """Read-only: clocks move with the order's events."""

    list_display = ["order", "metric", "round", "state", "due_at", "breached_at", "stopped_at"]
    list_filter = ["metric", "state"]
    raw_id_fields = ["order"]
    inlines = [PauseInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
