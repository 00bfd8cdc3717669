from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import CheckHit, CheckRule


@admin.register(CheckRule)
class CheckRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(CheckHit)
class CheckHitAdmin(ReadOnlyAdmin):
    list_display = ["contact", "rule", "where", "words", "found_at"]
    list_filter = ["rule"]
