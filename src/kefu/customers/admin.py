from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kefu.audit import services as audit
from kefu.scopes import ScopedAdminMixin

from . import services
from .models import Account, Customer, Subscription
from .services import IDENTITY_FIELDS


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ["service_number", "product", "plan", "status", "opened_on"]
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["customer_no", "masked_name", "type", "segment", "masked_phone", "masked_id", "province", "city"]
    list_filter = ["type", "segment", "province", "status"]
    search_fields = ["customer_no", "name"]
    inlines = [SubscriptionInline]

    def get_search_results(self, request, queryset, search_term):
        # Phone and ID numbers are encrypted: they are found through their blind indexes.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if term := search_term.strip():
            found |= queryset.filter(services.by_identity_number(term))
        return found, may_have_duplicates

    def get_exclude(self, request, obj=None):
        # Identity data is hidden on an existing customer unless revealed with a reason (as the
        # API's identity reveal); a new customer's form asks for it.
        hidden = ["service_password_hash"]
        if obj is not None and self._reveal_reason(request) is None:
            hidden += ["name", "id_number", "phone", "alt_phone", "address"]
        return hidden

    @staticmethod
    def _reveal_reason(request):
        reason = request.GET.get("reveal_reason", "").strip()
        if request.user.has_perm("customers.view_identity") and len(reason) >= services.MIN_REASON_LENGTH:
            return reason
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reason = self._reveal_reason(request)
        if request.method == "GET" and reason is None and request.user.has_perm("customers.view_identity"):
            messages.info(request, _("Identity data is hidden. To see or correct it, add ?reveal_reason=… (why you need it) "
                                     "to this page's address; the reveal is recorded in the audit log."))
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")  # the customer shown
        if obj is not None and request.method == "GET" and reason is not None:
            audit.record(request.user, "read_identity", obj, fields=IDENTITY_FIELDS, reason=f"admin: {reason}")
        return response

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return obj.masked_name

    @admin.display(description=_("contact phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number


@admin.register(Account)
class AccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["account_no", "customer", "billing", "status"]
    search_fields = ["account_no"]
    raw_id_fields = ["customer"]


@admin.register(Subscription)
class SubscriptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["service_number", "customer", "product", "plan", "status", "opened_on", "province", "city"]
    list_filter = ["product", "status", "province"]
    search_fields = ["=service_number"]
    raw_id_fields = ["customer", "account"]
