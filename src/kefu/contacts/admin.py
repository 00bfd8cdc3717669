from django.contrib import admin

from kefu.scopes import ScopedAdminMixin

from .models import Contact, IdentityVerification


class VerificationInline(admin.TabularInline):
    model = IdentityVerification
    fields = ["at", "method", "result", "agent"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Contact)
class ContactAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "channel", "direction", "agent", "customer", "outcome"]
    list_filter = ["channel", "direction", "outcome"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "agent"]
    inlines = [VerificationInline]

    def get_exclude(self, request, obj=None):
        # The caller's number is contact data: only for those who may see it unmasked.
        return [] if request.user.has_perm("customers.view_identity") else ["caller"]
