from django.contrib import admin

from .models import LoginCode


@admin.register(LoginCode)
class LoginCodeAdmin(admin.ModelAdmin):
    """Sign-in requests, newest first, read-only: how often, for whom, whether used. Neither the
    number nor the code is stored."""

    list_display = ["created_at", "customer", "expires_at", "tries", "used_at"]
    fields = list_display
    readonly_fields = list_display
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    list_select_related = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
