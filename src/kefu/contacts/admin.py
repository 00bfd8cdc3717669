from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core import crypto
from kefu.core.admin import ReadOnlyAdmin
from kefu.core.masking import mask_phone
from kefu.customers.admin import RevealAdminMixin
from kefu.scopes import ScopedAdminMixin
from kefu.staff import roles

from .models import Contact, IdentityVerification, SmsMessage


class VerificationInline(admin.TabularInline):
    model = IdentityVerification
    fields = ["at", "method", "result", "agent"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Contact)
class ContactAdmin(ScopedAdminMixin, RevealAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "channel", "direction", "agent", "customer", "outcome"]
    list_filter = ["channel", "direction", "outcome"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "agent"]
    inlines = [VerificationInline]
    # The caller's number is a phone number: shown as the customer's identity is, with a reason
    # from the list (?reveal_reason=CODE), audited.
    revealed_fields = ["caller"]

    def get_exclude(self, request, obj=None):
        hidden = list(super().get_exclude(request, obj) or [])
        return hidden if request.user.has_perm("customers.view_identity") else [*hidden, "caller"]


@admin.register(SmsMessage)
class SmsOutboxAdmin(ReadOnlyAdmin):
    """The `outbox` SMS backend's messages, newest first: read-only, for administrators only
    (they hold one-time codes). Search takes a whole number (matched by its blind index)."""

    list_display = ["created_at", "masked_to", "purpose", "text"]
    list_filter = ["purpose"]
    date_hierarchy = "created_at"
    fields = ["created_at", "masked_to", "purpose", "text"]
    readonly_fields = fields
    search_fields = ["=to_bidx"]
    search_help_text = _("A whole mobile number.")
    ordering = ["-created_at", "-id"]

    @admin.display(description=pgettext_lazy("sms recipient", "to"))
    def masked_to(self, obj):
        return mask_phone(obj.to)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(to_bidx__in=crypto.lookup_hashes(search_term.strip(), "phone")), False

    def _administrator(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or user.groups.filter(name=roles.ADMINISTRATOR).exists())

    def has_view_permission(self, request, obj=None):
        return self._administrator(request)
