"""PIPL data-subject requests (查阅复制, 更正, 删除): received, started, answered.

A request is received (with the date its answer is due), started once the requester's
identity is checked, and completed or refused; each step checks the permission, locks the
request, checks the version the caller read and its status (states.py, through
kefu.core.transitions) and is audited. Corrections go through the customer file's own
service; deletions anonymise what lawful retention lets go (retention.py).
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.audit import services as audit
from kefu.contacts.models import Channel
from kefu.core import transitions
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import get_or_404, require
from kefu.customers import services as customers
from kefu.customers import validators
from kefu.customers.models import Customer, Subscription
from kefu.orders.models import WorkOrder

from ..models import Anonymisation, PrivacyRequest
from ..states import ADD, REFUSALS, TRANSITIONS, VIEW
from .retention import anonymise, past_retention, realname_limit, shift_years

K = PrivacyRequest.Kind

# What the customer asks to correct: personal data only; segment and status are the
# operator's own attributes, the service password has its own procedure.
CORRECTABLE = ("type", "name", "id_type", "id_number", "phone", "alt_phone", "email", "address", "province", "city", "district")


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
    req = _begin(actor, request_id, "start", version)
    if identity_verified:
        _check_choice("identity_verified", identity_verified, PrivacyRequest.IdentityCheck.values)
        req.identity_verified = identity_verified
    if not req.identity_verified:
        raise ValidationFailed(_("Check the requester's identity first."),
                               fields={"identity_verified": _("is required before the request is handled")})
    req.handled_by = actor
    return transitions.finish(MACHINE, req, actor, "start", fields=["status", "identity_verified", "handled_by"])


@transaction.atomic
def complete(actor, request_id, *, version, outcome) -> PrivacyRequest:
    req = _begin(actor, request_id, "complete", version)
    _required(outcome, "outcome")
    return _finish(req, actor, "complete", outcome=outcome.strip())


@transaction.atomic
def refuse(actor, request_id, *, version, reason) -> PrivacyRequest:
    """Refused with the reason the customer is told (e.g. identity not proven, the law
    requires keeping the data)."""
    req = _begin(actor, request_id, "refuse", version)
    _required(reason, "reason")
    req.refusal_reason, req.completed_at, req.handled_by = reason.strip(), timezone.now(), actor
    return transitions.finish(MACHINE, req, actor, "refuse", fields=["status", "refusal_reason"], reason=reason.strip())


# --- correction ----------------------------------------------------------------------------

@transaction.atomic
def correct(actor, request_id, *, version, changes: dict, customer_version=None, note="") -> PrivacyRequest:
    """Apply the corrections to the customer file through customers.update_customer (its
    checks, version and audit), then complete the request naming the fields changed.
    CUSTOMER_VERSION is the file's version the handler read; without it, the current one."""
    req, customer = working_on(actor, request_id, "correct", version=version)
    changes = _clean_corrections(changes)
    before = {f: getattr(customer, f) for f in changes}
    updated = customers.update_customer(actor, customer.pk, version=customer.version if customer_version is None else customer_version,
                                        changes=dict(changes))
    changed = [f for f in changes if getattr(updated, f) != before[f]]
    names = ", ".join(str(type(customer)._meta.get_field(f).verbose_name) for f in changed)
    outcome = (_("Corrected in the customer file: %(fields)s.") % {"fields": names} if changed
               else _("The customer file already held these values; nothing changed."))
    return _finish(req, actor, "correct", outcome=_with_note(outcome, note))


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
    req, customer = working_on(actor, request_id, "erase", version=version)
    customer = get_or_404(Customer, customer.pk, lock=True)
    now = timezone.now()
    before = realname_limit(timezone.localdate(now))
    if past_retention(Customer.objects.filter(pk=customer.pk), before).exists():
        fields = anonymise([customer.pk], Anonymisation.Scope.FULL, now)
        kept_until = None
        outcome = _("Anonymised in full: name, ID number, address, phones, e-mail, service password, account names, "
                    "service numbers, contacts' numbers and summaries, feedback comments. Work orders are kept as "
                    "service records.")
        scope = Anonymisation.Scope.FULL
    else:
        fields = anonymise([customer.pk], Anonymisation.Scope.PERSONAL, now)
        kept_until, outcome = _kept(customer)
        scope = Anonymisation.Scope.PERSONAL
    Anonymisation.objects.update_or_create(customer_id=customer.pk, defaults={
        "scope": scope, "at": now, "request": req, "run": None, "real_name_kept_until": kept_until})
    audit.record(actor, "anonymise", customer, fields=fields, reason=req.number)
    return _finish(req, actor, "erase", outcome=_with_note(outcome, note))


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


# --- the machinery -------------------------------------------------------------------------

def _record(req, actor, action, from_status, *, fields, reason=""):
    audit.record(actor, "transition", req, fields=fields, reason=reason or req.status)


MACHINE = transitions.Machine(PrivacyRequest, TRANSITIONS, scope=scopes.restrict, record=_record, refusals=REFUSALS)


def _begin(actor, request_id, action, version):
    # One locked read: 404 outside the actor's data scope, 409 on a stale version or status.
    return transitions.begin(MACHINE, actor, request_id, action, version=version)


def working_on(actor, request_id, action, *, version=None):
    """The request in progress that ACTION (export, correct, erase) answers, locked when
    VERSION is given, and its customer as the actor may see it."""
    req = transitions.begin(MACHINE, actor, request_id, action, version=version, lock=version is not None)
    return req, customers.get_customer_quietly(actor, req.customer_id)


def _finish(req, actor, action, *, outcome) -> PrivacyRequest:
    req.outcome, req.completed_at, req.handled_by = outcome, timezone.now(), actor
    return transitions.finish(MACHINE, req, actor, action, fields=["status", "outcome"])


def _with_note(outcome, note):
    note = (note or "").strip()
    return f"{outcome}\n{note}" if note else outcome


def _check_choice(field, value, allowed):
    if value not in allowed:
        raise ValidationFailed(_("The input is invalid."), fields={field: _("must be one of %(v)s") % {"v": ", ".join(a for a in allowed if a)}})


def _required(value, field):
    if not (value or "").strip():
        raise ValidationFailed(_("The input is invalid."), fields={field: _("is required")})
