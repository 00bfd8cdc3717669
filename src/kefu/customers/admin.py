from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kefu.audit import services as audit
from kefu.core.errors import ValidationFailed
from kefu.scopes import ScopedAdminMixin

from . import services
from .models import Account, Customer, RevealReason, Subscription
from .services import IDENTITY_FIELDS


def reveal_reason(request) -> str | None:
    """The audit reason when this request reveals identity data: ?reveal_reason=CODE from the
    list (GET /customers/reveal-reasons), with &reveal_note=… where the code needs one, by
    someone with customers.view_identity; None otherwise (and a message says what was wrong).
    Worked out once per request: the form, the inline and the view all ask."""
    if not hasattr(request, "_kefu_reveal_reason"):
        request._kefu_reveal_reason = _reveal_reason(request)
    return request._kefu_reveal_reason


def _reveal_reason(request):
    code = request.GET.get("reveal_reason", "").strip()
    if not code or not request.user.has_perm("customers.view_identity"):
        return None
    try:
        return services.reveal_reason(code, request.GET.get("reveal_note", ""), via="admin")
    except ValidationFailed as exc:
        if request.method == "GET":
            messages.error(request, "; ".join([str(exc.message), *map(str, exc.fields.values())]))
        return None


class RevealAdminMixin:
    """Fields that give a customer's identity or phone away are left out of an existing row's
    form unless revealed with a reason from the list (as the API's identity reveal); a new row's
    form asks for them. Each reveal is an audit entry with the reason's code."""

    revealed_fields: list[str] = []
    audited_fields: tuple | None = None  # what a reveal shows, when more than revealed_fields (inlines)

    def get_exclude(self, request, obj=None):
        hidden = list(super().get_exclude(request, obj) or [])
        if obj is not None and reveal_reason(request) is None:
            hidden += self.revealed_fields
        return hidden

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reason = reveal_reason(request)
        if request.method == "GET" and reason is None and request.user.has_perm("customers.view_identity"):
            codes = ", ".join(f"{r.code} ({r.name})" for r in services.reveal_reasons())
            messages.info(request, _("Identity data is hidden. To see or correct it, add ?reveal_reason=CODE to this page's "
                                     "address, one of: %(codes)s; add &reveal_note=… to explain (required for some codes). "
                                     "The reveal is recorded in the audit log.") % {"codes": codes})
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = (getattr(response, "context_data", None) or {}).get("original")  # the row shown
        if obj is not None and request.method == "GET" and reason is not None:
            audit.record(request.user, "read_identity", obj, fields=self.audited_fields or self.revealed_fields, reason=reason)
        return response


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    show_change_link = True

    def get_fields(self, request, obj=None):
        number = "service_number" if reveal_reason(request) is not None else "masked_service_number"
        return [number, "product", "plan", "status", "opened_on"]

    def get_readonly_fields(self, request, obj=None):
        return [] if reveal_reason(request) is not None else ["masked_service_number"]

    def has_add_permission(self, request, obj=None):
        # A new line needs its number, which is shown only when revealed.
        return reveal_reason(request) is not None and super().has_add_permission(request, obj)

    @admin.display(description=_("service number"))
    def masked_service_number(self, obj):
        return obj.masked_service_number


@admin.register(Customer)
class CustomerAdmin(RevealAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["customer_no", "masked_name", "type", "segment", "masked_phone", "masked_id", "province", "city"]
    list_filter = ["type", "segment", "province", "status"]
    search_fields = ["customer_no", "name"]
    exclude = ["service_password_hash"]
    inlines = [SubscriptionInline]
    revealed_fields = ["name", "id_number", "phone", "alt_phone", "email", "address"]
    audited_fields = IDENTITY_FIELDS  # with the subscriptions' numbers in the inline

    def get_search_results(self, request, queryset, search_term):
        # Phone and ID numbers are encrypted: they are found through their blind indexes.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if term := search_term.strip():
            found |= queryset.filter(services.by_identity_number(term))
        return found, may_have_duplicates

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
class AccountAdmin(RevealAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["account_no", "customer", "masked_name", "billing", "status"]
    search_fields = ["account_no"]
    raw_id_fields = ["customer"]
    revealed_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return obj.masked_name


@admin.register(Subscription)
class SubscriptionAdmin(RevealAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["masked_service_number", "customer", "product", "plan", "status", "opened_on", "province", "city"]
    list_filter = ["product", "status", "province"]
    search_fields = ["=service_number"]
    raw_id_fields = ["customer", "account"]
    revealed_fields = ["service_number"]

    @admin.display(description=_("service number"), ordering="service_number")
    def masked_service_number(self, obj):
        return obj.masked_service_number


@admin.register(RevealReason)
class RevealReasonAdmin(admin.ModelAdmin):
    """The reasons to choose from when revealing identity data. A code is stable once saved
    (audit entries carry it); a reason is retired by deactivating it, never deleted."""

    list_display = ["code", "name", "name_en", "needs_text", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
