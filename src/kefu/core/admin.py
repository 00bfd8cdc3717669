"""Admin pieces shared by the apps (this module registers nothing itself)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are read in the admin and changed only through services, or never: audit
    entries, status histories, privacy records, SMS and sign-in records."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
