from django.contrib import admin

from .models import TriageRule


@admin.register(TriageRule)
class TriageRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "pattern", "set_kind", "raise_severity", "flag_coordinator", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "pattern"]
