"""PIPL data-subject requests (查阅复制, 更正, 删除) and the retention purge.

A request is received (with the date its answer is due), started once the requester's
identity is checked, and completed or refused; each step locks the request, checks the
version the caller read and is audited. Access requests are answered with an export of
everything about the customer; corrections go through the customer file's own service;
deletions anonymise what lawful retention lets go. `purge` is the daily retention job.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.audit import services as audit
from kefu.contacts.models import Channel, Contact, IdentityVerification
from kefu.core.errors import InvalidTransition, NotFound, ValidationFailed
from kefu.core.fields import index_fields
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import get_or_404, lock_version, require
from kefu.customers import services as customers
from kefu.customers import validators
from kefu.customers.models import Account, Customer, Subscription
from kefu.orders.models import TERMINAL_STATUSES, Feedback, OrderEvent, WorkOrder

from .models import Anonymisation, PrivacyRequest, PurgeRun

ADD = "privacy.add_privacyrequest"
VIEW = "privacy.view_privacyrequest"
CHANGE = "privacy.change_privacyrequest"
HANDLE = "privacy.handle_privacyrequest"
R = PrivacyRequest.Status
K = PrivacyRequest.Kind

# Written in the installation's language, not the requester's (see _placeholder_name).
ANONYMOUS_NAME = gettext_lazy("Deregistered customer")
# What the customer asks to correct: personal data only; segment and status are the
# operator's own attributes, the service password has its own procedure.
CORRECTABLE = ("type", "name", "id_type", "id_number", "phone", "alt_phone", "email", "address", "province", "city", "district")
# Audited field lists. Real-name data (name, ID number, address, contact phone) stays for the
# service life plus KEFU_RETENTION_REALNAME_YEARS; id_type, a document category, identifies
# nobody and keeps the record valid, so it is never cleared.
PERSONAL_FIELDS = ["email", "alt_phone", "contacts.caller", "contacts.summary", "feedback.comment"]
FULL_FIELDS = PERSONAL_FIELDS + ["name", "id_number", "phone", "address", "district", "service_password", "status",
                                 "accounts.name", "subscriptions.service_number"]


# --- reading -------------------------------------------------------------------------------

def _overdue_q(now=None):
    return Q(status__in=PrivacyRequest.OPEN_STATUSES, due_at__lt=now or timezone.now())


def requests(user, *, status=None, kind=None, customer=None, overdue=None):
    """The work list, soonest due first. Each filter is served by the (status, due_at) or
    (customer, received_at) index."""
    require(user, VIEW)
    qs = scopes.restrict(user, PrivacyRequest.objects.select_related("customer"))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if customer:
        qs = qs.filter(customer_id=customer)
    if overdue is True:
        qs = qs.filter(_overdue_q())
    elif overdue is False:
        qs = qs.exclude(_overdue_q())
    return qs.order_by("due_at", "id")


def get_request(user, request_id) -> PrivacyRequest:
    require(user, VIEW)
    return scopes.get(user, PrivacyRequest.objects.select_related("customer"), request_id)


# --- the request's life --------------------------------------------------------------------

def due_for(received_at: datetime) -> datetime:
    # Calendar days, not working days: GB/T 35273 asks for an answer within a set period and
    # operators commit to 15 days (KEFU_PRIVACY_DUE_DAYS).
    return received_at + timedelta(days=settings.KEFU_PRIVACY_DUE_DAYS)


@transaction.atomic
def open_request(actor, *, customer_id, kind, channel, details="", received_at=None, identity_verified="") -> PrivacyRequest:
    """Receive a request. Whoever may receive requests (front office, coordinators) opens it;
    the answer is due KEFU_PRIVACY_DUE_DAYS after it was received."""
    require(actor, ADD)
    _check_choice("kind", kind, K.values)
    _check_choice("channel", channel, Channel.values)
    _check_choice("identity_verified", identity_verified or "", PrivacyRequest.IdentityCheck.values + [""])
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):  # a few minutes for clocks that differ
        raise ValidationFailed(_("The input is invalid."), fields={"received_at": _("must not be in the future")})
    try:
        customer = customers.get_customer_quietly(actor, customer_id)
    except NotFound:
        raise ValidationFailed(_("Unknown customer."), fields={"customer_id": _("no customer with this id")}) from None
    req = PrivacyRequest.objects.create(number=temporary_number(), customer=customer, kind=kind, channel=channel, details=details or "",
                                        received_at=received_at, due_at=due_for(received_at), identity_verified=identity_verified or "",
                                        received_by=actor)
    assign_number(req, "number", f"PR{timezone.localtime(req.created_at):%Y%m%d}{req.pk:04d}")
    audit.record(actor, "create", req, fields=["customer", "kind", "channel", "received_at", "details", "identity_verified"])
    return req


@transaction.atomic
def start(actor, request_id, *, version, identity_verified=None) -> PrivacyRequest:
    """Begin handling. Nothing about the customer goes out or changes before the requester
    was checked to be the customer, so the identity check is required here."""
    require(actor, CHANGE)
    req = _locked(actor, request_id, version)
    if req.status != R.RECEIVED:
        raise _invalid(req, _("Only a received request can be started."))
    if identity_verified:
        _check_choice("identity_verified", identity_verified, PrivacyRequest.IdentityCheck.values)
        req.identity_verified = identity_verified
    if not req.identity_verified:
        raise ValidationFailed(_("Check the requester's identity first."),
                               fields={"identity_verified": _("is required before the request is handled")})
    req.status, req.handled_by = R.IN_PROGRESS, actor
    return _save(req, actor, ["status", "identity_verified", "handled_by"])


@transaction.atomic
def complete(actor, request_id, *, version, outcome) -> PrivacyRequest:
    require(actor, CHANGE)
    req = _open(actor, request_id, version)
    _required(outcome, "outcome")
    return _finish(req, actor, outcome=outcome.strip())


@transaction.atomic
def refuse(actor, request_id, *, version, reason) -> PrivacyRequest:
    """Refused with the reason the customer is told (e.g. identity not proven, the law
    requires keeping the data)."""
    require(actor, CHANGE)
    req = _open(actor, request_id, version)
    _required(reason, "reason")
    req.status, req.refusal_reason, req.completed_at, req.handled_by = R.REFUSED, reason.strip(), timezone.now(), actor
    return _save(req, actor, ["status", "refusal_reason"], reason=reason.strip())


# --- access: the export --------------------------------------------------------------------

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
    require(actor, HANDLE)
    require(actor, "customers.view_identity")
    req, customer = _working_on(actor, request_id, K.ACCESS)
    collected = {key: _Rows(qs) for key, qs in _collect(customer).items()}
    audit.record(actor, "export", customer, fields=["profile"] + [key for key, _t, _c in SECTIONS], reason=req.number)
    return req, customer, collected


# --- correction ----------------------------------------------------------------------------

@transaction.atomic
def correct(actor, request_id, *, version, changes: dict, customer_version=None, note="") -> PrivacyRequest:
    """Apply the corrections to the customer file through customers.update_customer (its
    checks, version and audit), then complete the request naming the fields changed.
    CUSTOMER_VERSION is the file's version the handler read; without it, the current one."""
    require(actor, HANDLE)
    req, customer = _working_on(actor, request_id, K.CORRECTION, version=version)
    changes = _clean_corrections(changes)
    before = {f: getattr(customer, f) for f in changes}
    updated = customers.update_customer(actor, customer.pk, version=customer.version if customer_version is None else customer_version,
                                        changes=dict(changes))
    changed = [f for f in changes if getattr(updated, f) != before[f]]
    names = ", ".join(str(type(customer)._meta.get_field(f).verbose_name) for f in changed)
    outcome = (_("Corrected in the customer file: %(fields)s.") % {"fields": names} if changed
               else _("The customer file already held these values; nothing changed."))
    return _finish(req, actor, outcome=_with_note(outcome, note))


def _clean_corrections(changes: dict) -> dict:
    if not changes:
        raise ValidationFailed(_("The input is invalid."), fields={"changes": _("name at least one field to correct")})
    errors = {f: _("cannot be corrected here") for f in changes if f not in CORRECTABLE}
    clean = {}
    for field, value in changes.items():
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        try:
            if field in ("phone", "alt_phone") and value:
                value = validators.phone_number(value)
        except ValueError as exc:
            errors[field] = str(exc)
        if field in ("name", "phone", "province", "city", "id_number") and not value:
            errors[field] = _("must not be empty")
        if field == "type" and value not in Customer.Type.values:
            errors[field] = _("must be one of %(v)s") % {"v": ", ".join(Customer.Type.values)}
        if field == "id_type" and value not in Customer.IdType.values:
            errors[field] = _("must be one of %(v)s") % {"v": ", ".join(Customer.IdType.values)}
        if field == "email" and value and ("@" not in value or " " in value):
            errors[field] = _("must be an e-mail address")
        clean[field] = value
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    return clean


# --- deletion: anonymise what retention lets go --------------------------------------------

@transaction.atomic
def erase(actor, request_id, *, version, note="") -> PrivacyRequest:
    """Delete what the law lets go. Within real-name retention (a live subscription, one
    ended less than KEFU_RETENTION_REALNAME_YEARS ago, or unfinished work orders) only the
    other personal data goes and the outcome says what was kept and until when; after it,
    the real-name data is anonymised too. Work orders stay as service records."""
    require(actor, HANDLE)
    require(actor, "customers.change_customer")
    req, customer = _working_on(actor, request_id, K.DELETION, version=version)
    customer = get_or_404(Customer, customer.pk, lock=True)
    now = timezone.now()
    before = realname_limit(timezone.localdate(now))
    if past_retention(Customer.objects.filter(pk=customer.pk), before).exists():
        fields = _anonymise([customer.pk], Anonymisation.Scope.FULL, now)
        kept_until = None
        outcome = _("Anonymised in full: name, ID number, address, phones, e-mail, service password, account names, "
                    "service numbers, contacts' numbers and summaries, feedback comments. Work orders are kept as "
                    "service records.")
        scope = Anonymisation.Scope.FULL
    else:
        fields = _anonymise([customer.pk], Anonymisation.Scope.PERSONAL, now)
        kept_until, outcome = _kept(customer)
        scope = Anonymisation.Scope.PERSONAL
    Anonymisation.objects.update_or_create(customer_id=customer.pk, defaults={
        "scope": scope, "at": now, "request": req, "run": None, "real_name_kept_until": kept_until})
    audit.record(actor, "anonymise", customer, fields=fields, reason=req.number)
    return _finish(req, actor, outcome=_with_note(outcome, note))


def _kept(customer) -> tuple[date | None, str]:
    """Until when the real-name data stays, and the outcome sentence that says so."""
    years = settings.KEFU_RETENTION_REALNAME_YEARS
    deleted = _("Deleted: e-mail, other phone, contacts' numbers and summaries, feedback comments.")
    subs = Subscription.objects.filter(customer=customer).aggregate(
        live=Count("pk", filter=~Q(status=Subscription.Status.TERMINATED) | Q(terminated_on__isnull=True)),
        ended=Max("terminated_on"), n=Count("pk"))
    if subs["live"]:
        return None, f"{deleted} " + _("Name, ID type and number, address and contact phone are kept for real-name "
                                       "registration while the service continues and for %(n)s years after it ends.") % {"n": years}
    if subs["n"]:
        ended = subs["ended"]
    else:
        last_order = WorkOrder.objects.filter(customer=customer).aggregate(m=Max("created_at"))["m"]
        ended = timezone.localdate(max(filter(None, [customer.created_at, last_order])))
    until = shift_years(ended, years)
    if until < timezone.localdate():
        # Retention is over, yet past_retention said no: unfinished work orders hold it.
        return until, f"{deleted} " + _("Name, ID type and number, address and contact phone are kept until the "
                                        "customer's open work orders are finished; the daily purge anonymises them then.")
    return until, f"{deleted} " + _("Name, ID type and number, address and contact phone are kept for real-name registration "
                                    "until %(date)s, %(n)s years after the service ended.") % {"date": until.isoformat(), "n": years}


def _placeholder_name() -> str:
    # One language for every anonymised file, whoever's browser asked.
    with translation.override(settings.LANGUAGE_CODE):
        return str(ANONYMOUS_NAME)


def _with_indexes(model, values: dict) -> dict:
    """VALUES plus the blind index of every encrypted field they empty: update() runs no
    pre_save, and a stale index would still find the customer by the old number."""
    return values | {f.name: "" for f in index_fields(model) if values.get(f.source, None) == ""}


def _anonymise(customer_ids, scope, now) -> list:
    """Clear the personal data of these customers in a few bulk UPDATEs; return the audited
    field list. Only empty values are written to encrypted columns (stored as they are,
    kefu.core.crypto), with their blind indexes emptied alongside."""
    bump = {"version": F("version") + 1, "updated_at": now}
    changes = {"email": "", "alt_phone": ""}
    if scope == Anonymisation.Scope.FULL:
        changes |= {"name": _placeholder_name(), "id_number": "", "phone": "", "address": "", "district": "",
                    "service_password_hash": "", "status": Customer.Status.INACTIVE}
        Account.objects.filter(customer_id__in=customer_ids).update(name="", **bump)
        # Every subscription has ended (that is what the retention check asked), so the
        # number can go without touching the uniqueness of live numbers.
        Subscription.objects.filter(customer_id__in=customer_ids).update(service_number="", **bump)
    Customer.objects.filter(pk__in=customer_ids).update(**_with_indexes(Customer, changes), **bump)
    Contact.objects.filter(customer_id__in=customer_ids).update(**_with_indexes(Contact, {"caller": "", "summary": ""}), **bump)
    Feedback.objects.filter(order__customer_id__in=customer_ids).update(comment="")
    return FULL_FIELDS if scope == Anonymisation.Scope.FULL else PERSONAL_FIELDS


# --- retention -----------------------------------------------------------------------------

SCAN_BATCHES = 10

def shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def realname_limit(today: date) -> date:
    """Service that ended before this day is past real-name retention."""
    return shift_years(today, -settings.KEFU_RETENTION_REALNAME_YEARS)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def past_retention(qs, before: date):
    """The customers of QS whose real-name retention is over: every subscription
    terminated before BEFORE (one without a termination date counts as live), no work order
    unfinished; a customer who never had a subscription counts from the file's creation and
    their latest work order."""
    start = _start_of(before)
    subs = Subscription.objects.filter(customer=OuterRef("pk"))
    unended = subs.filter(~Q(status=Subscription.Status.TERMINATED) | Q(terminated_on__isnull=True) | Q(terminated_on__gte=before))
    orders = WorkOrder.objects.filter(customer=OuterRef("pk"))
    unfinished = orders.exclude(status__in=TERMINAL_STATUSES)
    return qs.filter(~Exists(unended), ~Exists(unfinished),
                     Exists(subs) | (Q(created_at__lt=start) & ~Exists(orders.filter(created_at__gte=start))))


def purge(now=None, *, batch_size=500, dry_run=False, all_contacts=False) -> dict:
    """The retention job (daily from `kefu worker`, or `kefu privacy purge`):

    - customers past real-name retention and not yet anonymised in full are anonymised
      (none with an open privacy request: its answer may need the data);
    - contacts older than KEFU_RETENTION_CONTACT_DAYS lose the caller's number and summary;
    - identity verification attempts older than KEFU_RETENTION_VERIFICATION_DAYS are deleted.

    Each table is walked in primary-key windows of BATCH_SIZE with bulk UPDATEs or DELETEs,
    one transaction per window. Contacts are taken from where the last finished run stopped
    (those aged past the limit since, and those recorded since), so the contacts of the years
    before are not rewritten every day; ALL_CONTACTS sweeps every contact older than the
    limit once more. The run is recorded (PurgeRun) and audited once, with each anonymised
    customer audited too. DRY_RUN counts what would be done and writes nothing. Returns the
    counts."""
    now = now or timezone.now()
    before = realname_limit(timezone.localdate(now))
    contacts_before = now - timedelta(days=settings.KEFU_RETENTION_CONTACT_DAYS)
    verifications_before = now - timedelta(days=settings.KEFU_RETENTION_VERIFICATION_DAYS)
    last = None if all_contacts else PurgeRun.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-id").first()
    upto = _newest_contact()
    run = None
    if not dry_run:
        run = PurgeRun.objects.create(started_at=timezone.now(), realname_before=before, contacts_before=contacts_before,
                                      contacts_upto=upto, verifications_before=verifications_before)
    counts = {
        "customers": _purge_customers(run, before, now, batch_size),
        "contacts": sum(_clear_contacts(run, qs, now, batch_size) for qs in _contacts_due(last, contacts_before, upto)),
        "verifications": _delete_verifications(run, verifications_before, batch_size),
    }
    if run is not None:
        run.customers_anonymised, run.contacts_cleared, run.verifications_deleted = counts.values()
        run.finished_at = timezone.now()
        run.save()
        audit.record(None, "purge", run, fields=FULL_FIELDS + ["identity_verifications"],
                     reason=" ".join(f"{k}={n}" for k, n in counts.items()))
    return counts | {"dry_run": dry_run}


def _windows(qs, batch_size):
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    for lo in range(bounds["lo"], bounds["hi"] + 1, batch_size):
        yield qs.filter(pk__gte=lo, pk__lt=lo + batch_size)


def _purge_customers(run, before, now, batch_size) -> int:
    # Anonymised in full and not changed since; a file brought back into use is looked at again.
    fully = Anonymisation.objects.filter(customer=OuterRef("pk"), scope=Anonymisation.Scope.FULL, at__gte=OuterRef("updated_at"))
    pending = PrivacyRequest.objects.filter(customer=OuterRef("pk"), status__in=PrivacyRequest.OPEN_STATUSES)

    def eligible(qs):
        return past_retention(qs, before).filter(~Exists(fully), ~Exists(pending))

    done = 0
    # Read in windows of SCAN_BATCHES batches (building the query costs more than running
    # it), write in batches, each its own transaction.
    for window in _windows(Customer.objects.all(), batch_size * SCAN_BATCHES):
        ids = list(eligible(window).values_list("pk", flat=True))
        if run is None:
            done += len(ids)
            continue
        for chunk in batched(ids, batch_size):
            with transaction.atomic():
                # Checked again under the rows' locks: a subscription opened meanwhile (its
                # foreign key check needs the customer's row) waits for this or is seen here.
                locked = list(eligible(Customer.objects.filter(pk__in=chunk)).select_for_update().values_list("pk", flat=True))
                if not locked:
                    continue
                fields = _anonymise(locked, Anonymisation.Scope.FULL, now)
                Anonymisation.objects.bulk_create(
                    [Anonymisation(customer_id=pk, scope=Anonymisation.Scope.FULL, at=now, run=run) for pk in locked],
                    update_conflicts=True, unique_fields=["customer"], update_fields=["scope", "at", "run", "request", "real_name_kept_until"])
                audit.record_many(None, "anonymise", [Customer(pk=pk) for pk in locked], fields=fields, reason=f"retention purge {run.pk}")
                done += len(locked)
    return done


def _newest_contact():
    return Contact.objects.aggregate(m=Max("pk"))["m"]


def _contacts_due(last, before, upto) -> list:
    """The contacts to clear, as querysets with tight primary-key ranges: after a finished
    run LAST, those that aged past the limit since, and those recorded since with a start
    before the limit (back-dated, imported); without one, every contact before the limit."""
    old = Contact.objects.filter(started_at__lt=before, pk__lte=upto or 0)
    if last is None or last.contacts_upto is None:
        return [old]
    return [old.filter(started_at__gte=last.contacts_before, pk__lte=last.contacts_upto),
            old.filter(pk__gt=last.contacts_upto)]


def _clear_contacts(run, qs, now, batch_size) -> int:
    if run is None:
        return qs.count()
    done = 0
    for window in _windows(qs, batch_size):
        with transaction.atomic():
            done += window.update(**_with_indexes(Contact, {"caller": "", "summary": ""}), version=F("version") + 1, updated_at=now)
    return done


def _delete_verifications(run, before, batch_size) -> int:
    qs = IdentityVerification.objects.filter(at__lt=before)
    if run is None:
        return qs.count()
    done = 0
    while True:
        with transaction.atomic():
            ids = list(qs.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return done
            done += IdentityVerification.objects.filter(pk__in=ids).delete()[0]


# --- the machinery -------------------------------------------------------------------------

def _locked(actor, request_id, version) -> PrivacyRequest:
    # One locked read: 404 outside the actor's data scope, 409 on a stale version.
    return lock_version(PrivacyRequest, request_id, version, queryset=scopes.restrict(actor, PrivacyRequest.objects))


def _open(actor, request_id, version) -> PrivacyRequest:
    req = _locked(actor, request_id, version)
    if req.status not in PrivacyRequest.OPEN_STATUSES:
        raise _invalid(req, _("The request has been answered already."))
    return req


def _working_on(actor, request_id, kind, *, version=None):
    """The request in progress of KIND, locked when VERSION is given, and its customer as
    the actor may see it."""
    if version is None:
        req = get_request(actor, request_id)
    else:
        req = _locked(actor, request_id, version)
    if req.kind != kind:
        raise _invalid(req, _("This is a request of another kind (%(kind)s).") % {"kind": req.get_kind_display()})
    if req.status != R.IN_PROGRESS:
        raise _invalid(req, _("Start the request (with the requester's identity checked) first.")
                       if req.status == R.RECEIVED else _("The request has been answered already."))
    return req, customers.get_customer_quietly(actor, req.customer_id)


def _finish(req, actor, *, outcome) -> PrivacyRequest:
    req.status, req.outcome, req.completed_at, req.handled_by = R.COMPLETED, outcome, timezone.now(), actor
    return _save(req, actor, ["status", "outcome"])


def _save(req, actor, fields, reason=""):
    req.version += 1
    req.save()
    audit.record(actor, "transition", req, fields=fields, reason=reason or req.status)
    return req


def _invalid(req, message):
    return InvalidTransition(message, state=req.status)


def _with_note(outcome, note):
    note = (note or "").strip()
    return f"{outcome}\n{note}" if note else outcome


def _check_choice(field, value, allowed):
    if value not in allowed:
        raise ValidationFailed(_("The input is invalid."), fields={field: _("must be one of %(v)s") % {"v": ", ".join(a for a in allowed if a)}})


def _required(value, field):
    if not (value or "").strip():
        raise ValidationFailed(_("The input is invalid."), fields={field: _("is required")})
