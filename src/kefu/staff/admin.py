from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "tier", "assignment", "offline_policy", "escalates_to", "lead", "is_active"]
    list_filter = ["kind", "tier", "assignment", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["lead", "escalates_to"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "department", "presence", "capacity", "is_active", "is_staff"]
    list_filter = ["department", "groups", "presence", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "employee_no", "email"]
    # Status is set by the person (or a supervisor) through routing, which applies the offline
    # policy; here it is shown, not edited.
    readonly_fields = ["presence", "presence_since", "last_assigned_at"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Kefu"), {"fields": ("display_name", "employee_no", "department")}),
        (_("Routing"), {"fields": ("presence", "presence_since", "capacity", "last_assigned_at")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    search_fields = ["user__username", "prefix", "name"]

    def has_add_permission(self, request):
        # Tokens are issued with `kefu token USERNAME`, which is the only time one is shown.
        return False
