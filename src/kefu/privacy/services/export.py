"""Access requests (查阅复制): everything about the customer, as data and as a document."""

from dataclasses import dataclass
from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.audit import services as audit
from kefu.contacts.models import Contact, IdentityVerification
from kefu.customers.models import Account, Subscription
from kefu.orders.models import Feedback, OrderEvent, WorkOrder

from ..models import PrivacyRequest
from .requests import working_on


@dataclass
class Column:
    key: str
    path: str
    label: object = None  # default: the model field's verbose name


def _cols(*specs):
    return [Column(s, s) if isinstance(s, str) else Column(*s) for s in specs]


# Everything about one customer, one query per table. Never the service password's hash, an
# SMS code's hash, staff's internal notes or internal order events.
PROFILE = ["customer_no", "type", "name", "id_type", "id_number", "phone", "alt_phone", "email", "address",
           "province", "city", "district", "segment", "status", "created_at"]
SECTIONS = [
    ("accounts", gettext_lazy("Accounts"), _cols("account_no", "name", "billing", "status", "created_at")),
    ("subscriptions", gettext_lazy("Subscriptions"),
     _cols("service_number", "product", "plan", "status", "opened_on", "terminated_on", "province", "city", "area",
           ("account", "account.account_no", gettext_lazy("account")))),
    ("contacts", gettext_lazy("Contacts"), _cols("started_at", "ended_at", "channel", "direction", "caller", "summary", "outcome")),
    ("identity_verifications", gettext_lazy("Identity verifications"),
     _cols(("contact_started_at", "contact.started_at", gettext_lazy("contact started at")), "method", "result", "at")),
    ("work_orders", gettext_lazy("Work orders"),
     _cols("number", "kind", ("category", "category.name", gettext_lazy("category")), "channel", "status",
           ("service_number", "subscription.service_number", gettext_lazy("service number")),
           "title", "description", "customer_summary", "resolution", "satisfaction", "created_at", "closed_at")),
    ("order_events", gettext_lazy("Progress of the work orders"),
     _cols(("order", "order.number", gettext_lazy("work order")), "at", ("status", "to_status", gettext_lazy("status")), "reason", "note")),
    ("feedback", gettext_lazy("Feedback"),
     _cols(("order", "order.number", gettext_lazy("work order")), "at", "confirmed", "score", "comment", "channel")),
    ("privacy_requests", gettext_lazy("Privacy requests"),
     _cols("number", "kind", "channel", "status", "received_at", "due_at", "completed_at", "details", "outcome", "refusal_reason")),
]


def _collect(customer) -> dict:
    mine = {"customer": customer}
    return {
        "accounts": Account.objects.filter(**mine).order_by("id"),
        "subscriptions": Subscription.objects.filter(**mine).select_related("account").order_by("id"),
        "contacts": Contact.objects.filter(**mine).order_by("started_at", "id"),
        "identity_verifications": IdentityVerification.objects.filter(contact__customer=customer).select_related("contact").order_by("at", "id"),
        "work_orders": WorkOrder.objects.filter(**mine).select_related("category", "subscription").order_by("created_at", "id"),
        "order_events": (OrderEvent.objects.filter(order__customer=customer, visibility=OrderEvent.Visibility.CUSTOMER)
                         .select_related("order").order_by("at", "id")),
        "feedback": Feedback.objects.filter(order__customer=customer).select_related("order").order_by("at", "id"),
        "privacy_requests": PrivacyRequest.objects.filter(**mine).order_by("received_at", "id"),
    }


def _follow(obj, path):
    *hops, name = path.split(".")
    for hop in hops:
        obj = getattr(obj, hop)
        if obj is None:
            return None, None, name
    return obj, getattr(obj, name), name


def _raw(obj, path):
    value = _follow(obj, path)[1]
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shown(obj, path):
    """The value as a person reads it: choices by their label, yes/no for booleans."""
    owner, value, name = _follow(obj, path)
    if owner is not None and owner._meta.get_field(name).choices and value:
        return getattr(owner, f"get_{name}_display")()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _label(model, column):
    if column.label is not None:
        return column.label
    return model._meta.get_field(column.path).verbose_name


def _export_data(req, customer, collected) -> dict:
    return {
        "generated_at": timezone.localtime().isoformat(),
        "request": {"number": req.number, "kind": req.kind, "received_at": _raw(req, "received_at")},
        "customer": {f: _raw(customer, f) for f in PROFILE},
        **{key: [{c.key: _raw(o, c.path) for c in cols} for o in collected[key]] for key, _title, cols in SECTIONS},
    }


def _export_document(req, customer, collected) -> str:
    sections = []
    for key, title, cols in SECTIONS:
        model = collected[key].model
        sections.append({"title": title, "columns": [_label(model, c) for c in cols],
                         "rows": [[_shown(o, c.path) for c in cols] for o in collected[key]]})
    profile = [(customer._meta.get_field(f).verbose_name, _shown(customer, f)) for f in PROFILE]
    return render_to_string("privacy/export.html", {"request": req, "customer": customer, "profile": profile,
                                                     "sections": sections, "generated_at": timezone.now()})


def export(actor, request_id) -> dict:
    """Everything about the request's customer as a JSON-able dict. Unmasked, because it goes
    to the data subject; audited as an export with the request number as the reason."""
    req, customer, collected = _export(actor, request_id)
    return _export_data(req, customer, collected)


def export_document(actor, request_id) -> tuple[PrivacyRequest, str]:
    """The same as a readable HTML document (the request, and the page)."""
    req, customer, collected = _export(actor, request_id)
    return req, _export_document(req, customer, collected)


class _Rows(list):
    """Fetched rows that still know their model (for the column labels)."""

    def __init__(self, qs):
        super().__init__(qs)
        self.model = qs.model


def _export(actor, request_id):
    req, customer = working_on(actor, request_id, "export")
    collected = {key: _Rows(qs) for key, qs in _collect(customer).items()}
    audit.record(actor, "export", customer, fields=["profile"] + [key for key, _t, _c in SECTIONS], reason=req.number)
    return req, customer, collected
