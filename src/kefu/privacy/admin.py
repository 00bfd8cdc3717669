from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin import ReadOnlyAdmin
from kefu.scopes import ScopedAdminMixin

from .models import Anonymisation, PrivacyRequest, PurgeRun


# Read here; requests are handled through the API, whose services check, lock and audit each
# step. The purge and anonymisations are records and never edited.
@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["number", "customer_no", "kind", "status", "channel", "received_at", "due_at", "is_overdue", "completed_at"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["number"]
    date_hierarchy = "received_at"
    list_select_related = ["customer"]
    # The customer by number only: the file's name is identity data, revealed elsewhere and audited.
    exclude = ["customer"]
    readonly_fields = ["customer_no"] + [f.name for f in PrivacyRequest._meta.fields if f.name != "customer"]

    @admin.display(description=_("customer number"), ordering="customer__customer_no")
    def customer_no(self, obj):
        return obj.customer.customer_no

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, obj):
        return obj.overdue


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "realname_before", "contacts_before", "verifications_before",
                    "customers_anonymised", "contacts_cleared", "verifications_deleted"]


@admin.register(Anonymisation)
class AnonymisationAdmin(ReadOnlyAdmin):
    list_display = ["customer_id", "scope", "at", "request", "run", "real_name_kept_until"]
    list_filter = ["scope"]
    exclude = ["customer"]
    readonly_fields = ["customer_id", "scope", "at", "request", "run", "real_name_kept_until"]
