from django.contrib import admin

from .models import Contact, IdentityVerification


class VerificationInline(admin.TabularInline):
    model = IdentityVerification
    fields = ["at", "method", "result", "agent"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["started_at", "channel", "direction", "agent", "customer", "outcome"]
    list_filter = ["channel", "direction", "outcome"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "agent"]
    inlines = [VerificationInline]
