from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "origin"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username", "reason"]
    date_hierarchy = "at"
