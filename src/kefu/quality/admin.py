from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import CheckHit, CheckRule, Inspection, Scorecard, ScorecardItem


@admin.register(CheckRule)
class CheckRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(CheckHit)
class CheckHitAdmin(ReadOnlyAdmin):
    list_display = ["contact", "rule", "where", "words", "found_at"]
    list_filter = ["rule"]


class ScorecardItemInline(admin.TabularInline):
    model = ScorecardItem
    extra = 0
    fields = ["position", "section", "text", "kind", "points", "fatal", "allow_na", "rule"]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "pass_mark", "published_at"]
    inlines = [ScorecardItemInline]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["contact", "agent", "inspector", "status", "score", "fatal", "passed", "published_at"]
    list_filter = ["status", "fatal", "passed"]
