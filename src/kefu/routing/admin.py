from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import DispatchRule, PresenceChange, Skill


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "kind", "category", "severity", "channel", "segment", "province", "flagged",
                    "department", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]
    filter_horizontal = ["categories", "members"]


@admin.register(PresenceChange)
class PresenceChangeAdmin(ReadOnlyAdmin):
    """History only: statuses change through the API (or the user's own page), never here."""

    list_display = ["at", "user", "previous", "presence", "by", "moved", "reason"]
    list_filter = ["presence"]
    search_fields = ["user__username"]
