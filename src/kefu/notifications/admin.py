from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read only: notifications are written by the services and read by their recipients."""

    list_display = ("created_at", "recipient", "message", "read_at")
    list_filter = ("read_at",)
    search_fields = ("recipient__username",)
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
