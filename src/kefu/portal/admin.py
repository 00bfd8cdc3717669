from django.contrib import admin

from kefu.core.admin import ReadOnlyAdmin

from .models import LoginCode


@admin.register(LoginCode)
class LoginCodeAdmin(ReadOnlyAdmin):
    """Sign-in requests, newest first, read-only: how often, for whom, whether used. Neither the
    number nor the code is stored."""

    list_display = ["created_at", "customer", "expires_at", "tries", "used_at"]
    fields = list_display
    readonly_fields = list_display
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_select_related = ["customer"]
