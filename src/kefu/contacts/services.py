"""Contacts (one interaction each) and identity verification (身份核实) on them."""

import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core import crypto, text
from kefu.core.errors import Conflict, RateLimited, ValidationFailed
from kefu.core.services import find, lock_version, require

from . import sms, throttle
from .models import Contact, ContactOrder, IdentityVerification, Throttle

if TYPE_CHECKING:
    from kefu.customers.models import Customer

MAX_FAILED_VERIFICATIONS = 3  # per contact; per customer: KEFU_VERIFY_MAX_FAILURES a window
SMS_CODE_TTL = timedelta(minutes=5)
SMS_WINDOW = timedelta(hours=1)  # KEFU_SMS_MAX_PER_HOUR
# What a caller can guess, so capped per customer as well (KEFU_VERIFY_MAX_FAILURES).
GUESSABLE = {IdentityVerification.Method.SERVICE_PASSWORD, IdentityVerification.Method.ID_NUMBER}
CONTACT_FIELDS = {"summary", "outcome", "ended_at", "customer_id"}


def _contact(actor, contact_id, *, lock=False) -> Contact:
    return scopes.get(actor, Contact, contact_id, lock=lock)


def _check_customer(actor, customer_id):
    from kefu.customers.models import Customer

    if customer_id is None:
        return
    customer = scopes.find(actor, Customer, customer_id)
    if customer is None:
        raise ValidationFailed(_("Unknown customer."), fields={"customer_id": _("no customer with this id")})
    if customer.status == Customer.Status.MATCHED:
        raise ValidationFailed(_("This unidentified caller's file was matched to a customer file; use that file."),
                               fields={"customer_id": _("was matched to another customer file")})


_NUMBER = re.compile(r"\+?\d+", re.ASCII)


def normalise_caller(caller: str | None) -> str:
    """The caller's number as the lookups compare numbers (kefu.customers.validators.phone_number,
    else kefu.core.text.phone_digits: full-width digits, +86 / 86- prefixes, spaces, dashes);
    an address that is no number (an e-mail address, a WeChat id) as typed, made half-width."""
    from kefu.customers import validators

    try:
        return validators.phone_number(caller or "")
    except ValueError:
        number = text.phone_digits(caller)
        return number if _NUMBER.fullmatch(number) else text.nfkc(caller)


def caller_from_search(q: str | None) -> str:
    """The caller's number to pre-fill when the agent looked the caller up by Q: Q as a stored
    number if it is a mobile or fixed-line number, else '' (a name, an ID or customer number)."""
    from kefu.customers import validators

    try:
        return validators.phone_number(q or "")
    except ValueError:
        return ""


@transaction.atomic
def open_contact(actor, *, channel, direction="inbound", customer_id=None, caller="", summary="", started_at=None) -> Contact:
    """Record a contact as it begins. The agent is whoever records it. The caller's number is
    kept as the lookups compare it (normalise_caller)."""
    require(actor, "contacts.add_contact")
    _check_customer(actor, customer_id)
    return Contact.objects.create(channel=channel, direction=direction, customer_id=customer_id, caller=normalise_caller(caller),
                                  summary=summary, started_at=started_at or timezone.now(), agent=actor)


def open_contact_of(user) -> Contact | None:
    """The contact USER has in progress (taken by them, not ended), the newest if several: the
    call their pages link back to."""
    if not user.is_authenticated or not user.has_perm("contacts.view_contact"):
        return None
    return Contact.objects.filter(agent=user, ended_at__isnull=True).order_by("-started_at", "-id").first()


def default_outcome(contact) -> str:
    """What ending CONTACT records unless the agent says otherwise: a work order registered in
    it (order created), else answered at first contact."""
    raised = ContactOrder.objects.filter(contact=contact, role=ContactOrder.Role.RAISED).exists()
    return Contact.Outcome.ORDER_CREATED if raised else Contact.Outcome.ANSWERED


def orders_of_contact(user, contact) -> list:
    """The work orders registered or touched in CONTACT that USER may see, oldest first, each
    with its `contact_role` (raised, touched): the contact screen's orders of this call."""
    from kefu.orders.models import WorkOrder

    links = dict(ContactOrder.objects.filter(contact=contact).values_list("order_id", "role"))
    rows = scopes.restrict(user, WorkOrder.objects.only("id", "number", "title", "status", "kind")).filter(pk__in=list(links))
    found = sorted(rows, key=lambda o: o.pk)
    for order in found:
        order.contact_role = links[order.pk]
    return found


def contacts_of_order(user, order) -> list:
    """The contacts ORDER was registered or followed in that USER may see, oldest first, with
    their agents: the order page's 接触记录."""
    if not user.has_perm("contacts.view_contact"):
        return []
    qs = scopes.restrict(user, Contact.objects.filter(contactorder__order=order).select_related("agent"))
    return list(qs.order_by("started_at", "id")[:50])


@transaction.atomic
def update_contact(actor, contact_id, *, version: int, changes: dict) -> Contact:
    """Fill in the summary and outcome, identify the customer, or end the contact."""
    require(actor, "contacts.change_contact")
    contact = lock_version(Contact, contact_id, version, queryset=scopes.restrict(actor, Contact.objects))
    unknown = set(changes) - CONTACT_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), fields={f: _("cannot be changed") for f in unknown})
    if "customer_id" in changes:
        if contact.customer_id is not None and changes["customer_id"] != contact.customer_id:
            raise Conflict(_("The contact is already attached to another customer."))
        _check_customer(actor, changes["customer_id"])
    if changes.get("ended_at") and changes["ended_at"] < contact.started_at:
        raise ValidationFailed(_("The end is before the start."), fields={"ended_at": _("must not be before started_at")})
    for field, value in changes.items():
        setattr(contact, field, value)
    contact.version += 1
    contact.save()
    return contact


def get_contact(user, contact_id) -> Contact:
    require(user, "contacts.view_contact")
    return _contact(user, contact_id)


def search_contacts(user, *, customer=None, agent=None, channel=None, started_from=None, started_to=None):
    require(user, "contacts.view_contact")
    qs = scopes.restrict(user, Contact.objects.all())
    for field, value in (("customer_id", customer), ("agent_id", agent), ("channel", channel)):
        if value:
            qs = qs.filter(**{field: value})
    if started_from:
        qs = qs.filter(started_at__gte=started_from)
    if started_to:
        qs = qs.filter(started_at__lt=started_to)
    return qs.order_by("-started_at", "-id")


@transaction.atomic
def touch_order(actor, contact_id, order_id) -> ContactOrder:
    """Record that this contact concerned an existing work order (a follow-up, a chase…)."""
    from kefu.orders.models import WorkOrder

    require(actor, "contacts.change_contact")
    contact = _contact(actor, contact_id)
    order = find(scopes.restrict(actor, WorkOrder.objects), pk=order_id)
    if order is None:
        raise ValidationFailed(_("Unknown work order."), fields={"order_id": _("no work order with this id")})
    if contact.customer_id is not None and contact.customer_id != order.customer_id:
        raise ValidationFailed(_("The work order is another customer's."), fields={"order_id": _("belongs to another customer")})
    link, _created = ContactOrder.objects.get_or_create(contact=contact, order=order, defaults={"role": ContactOrder.Role.TOUCHED})
    return link


def _verifiable(actor, contact_id) -> tuple[Contact, "Customer"]:
    require(actor, "contacts.add_identityverification")
    contact = _contact(actor, contact_id, lock=True)
    customer = contact.customer
    if customer is None:
        raise ValidationFailed(_("Identify the customer first."), fields={"customer_id": _("the contact has no customer")})
    if customer.is_provisional:
        # An unidentified caller's file holds only what the caller said: nothing to check it against.
        raise ValidationFailed(_("An unidentified caller cannot be verified; match the caller to their customer file first."),
                               fields={"customer_id": _("is an unidentified caller's file")})
    failed = contact.verifications.filter(result=IdentityVerification.Result.FAILED).count()
    if failed >= MAX_FAILED_VERIFICATIONS:
        raise Conflict(_("Too many failed verifications on this contact; verify on a new contact or in a store."))
    return contact, customer


@transaction.atomic
def send_sms_code(actor, contact_id) -> IdentityVerification:
    """Send a one-time code to the customer's registered mobile number."""
    contact, customer = _verifiable(actor, contact_id)
    phone = customer.phone
    if not phone:
        raise ValidationFailed(_("The customer has no mobile number on file."),
                               fields={"customer_id": _("no mobile number on file")})
    take_sms_slot(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    contact.verifications.filter(result=IdentityVerification.Result.PENDING).update(
        result=IdentityVerification.Result.EXPIRED, code_hash="")
    attempt = IdentityVerification.objects.create(
        contact=contact, method=IdentityVerification.Method.SMS_CODE, result=IdentityVerification.Result.PENDING,
        agent=actor, code_hash=make_password(code), expires_at=timezone.now() + SMS_CODE_TTL)
    sms.send_code(phone, code)
    return attempt


def take_sms_slot(phone: str, *, too_many=None) -> None:
    """Count one more code to PHONE, or raise RateLimited (check_sms_rate). Codes cost money and
    can be used to harass a subscriber, so the limit is per recipient, whoever sends: agents on
    a contact and sign-in requests on the portal share it, and a number that is nobody's is
    limited exactly as a customer's (the portal must not tell them apart). Call it inside the
    transaction that records the code: the recipient's counter stays locked until it ends, so
    parallel requests are counted one after the other (decision 0021)."""
    row = throttle.hold(Throttle.Kind.SMS, crypto.blind_index(phone, "phone"), SMS_WINDOW)
    now = timezone.now()
    check_sms_rate(throttle.recent(row, now, SMS_WINDOW), now=now, too_many=too_many)
    throttle.add(row, now, SMS_WINDOW)


def check_sms_rate(recent: list, *, now=None, too_many=None) -> None:
    """Raise RateLimited (with retry_after) unless one more code may go to a recipient that was
    sent codes at the times RECENT (those of the last hour): KEFU_SMS_MAX_PER_HOUR an hour, and
    KEFU_SMS_MIN_INTERVAL_SECONDS apart. TOO_MANY words the first refusal (with %(n)s). Only
    the window's arithmetic: take_sms_slot makes it atomic."""
    now = now or timezone.now()
    if len(recent) >= settings.KEFU_SMS_MAX_PER_HOUR:
        too_many = too_many or _("This customer has been sent %(n)s codes in the last hour; try another way to verify.")
        raise RateLimited(too_many % {"n": len(recent)},
                          retry_after=int((min(recent) + SMS_WINDOW - now).total_seconds()) + 1)
    wait = settings.KEFU_SMS_MIN_INTERVAL_SECONDS - (now - max(recent)).total_seconds() if recent else 0
    if wait > 0:
        raise RateLimited(_("A code was sent moments ago; wait %(s)s seconds before sending another.") % {"s": int(wait) + 1},
                          retry_after=int(wait) + 1)


@transaction.atomic
def verify_identity(actor, contact_id, *, method, secret) -> IdentityVerification:
    """Check what the caller said against the customer file. Only the result is stored. A wrong
    service password or ID number also counts against the customer's cap (_failure_counter)."""
    contact, customer = _verifiable(actor, contact_id)
    secret = (secret or "").strip()
    M, R = IdentityVerification.Method, IdentityVerification.Result
    if method == M.SMS_CODE:
        return _check_sms_code(contact, secret)
    if method not in GUESSABLE:
        raise ValidationFailed(_("Unknown method."), fields={"method": _("unknown verification method")})
    counter = _failure_counter(customer.pk)
    if method == M.SERVICE_PASSWORD:
        passed = customer.check_service_password(secret)
    else:
        # Bytes: compare_digest refuses str with non-ASCII characters (TypeError, a 500).
        passed = bool(secret) and secrets.compare_digest(secret.upper().encode(), customer.id_number.upper().encode())
    if not passed:
        throttle.add(counter, timezone.now(), _verify_window())
    return IdentityVerification.objects.create(contact=contact, method=method, result=R.PASSED if passed else R.FAILED, agent=actor)


def _check_sms_code(contact, secret) -> IdentityVerification:
    """The contact's pending code, checked once: one guess per code, and codes are rate-limited."""
    M, R = IdentityVerification.Method, IdentityVerification.Result
    pending = contact.verifications.filter(method=M.SMS_CODE, result=R.PENDING).order_by("-at").first()
    if pending is None:
        raise ValidationFailed(_("No code was sent."), fields={"method": _("send an SMS code first")})
    passed = pending.expires_at > timezone.now() and check_password(secret, pending.code_hash)
    pending.result = R.PASSED if passed else R.FAILED
    pending.code_hash = ""
    pending.save(update_fields=["result", "code_hash"])
    return pending


def _verify_window() -> timedelta:
    return timedelta(minutes=settings.KEFU_VERIFY_WINDOW_MINUTES)


def _failure_counter(customer_id) -> Throttle:
    """The customer's counter of failed checks, held; RateLimited if it is full. Each contact
    allows MAX_FAILED_VERIFICATIONS, but contacts are cheap to open: across all of them a
    customer's service password and ID number may be guessed wrong KEFU_VERIFY_MAX_FAILURES
    times a KEFU_VERIFY_WINDOW_MINUTES. A success does not empty the window: passing with a
    leaked ID number must not buy more guesses at the service password. An SMS code to the
    customer's own mobile still verifies (it cannot be guessed), so the cap does not lock the
    real customer out."""
    window = _verify_window()
    row = throttle.hold(Throttle.Kind.VERIFY, str(customer_id), window)
    now = timezone.now()
    failed = throttle.recent(row, now, window)
    if len(failed) >= settings.KEFU_VERIFY_MAX_FAILURES:
        raise RateLimited(_("This customer's identity checks failed too often in the last %(minutes)s minutes; "
                            "verify by SMS code or in a store, or try again later.") % {"minutes": settings.KEFU_VERIFY_WINDOW_MINUTES},
                          retry_after=int((min(failed) + window - now).total_seconds()) + 1)
    return row


def current_verification(actor, contact_id, customer_id) -> IdentityVerification | None:
    """The passed verification on contact CONTACT_ID, if it is still in progress, is in the
    actor's scope and is with CUSTOMER_ID: what lets an agent see the caller's data unmasked."""
    contact = find(scopes.restrict(actor, Contact.objects), pk=contact_id)
    if contact is None or contact.customer_id != customer_id or contact.ended_at is not None:
        return None
    return contact.verifications.filter(result=IdentityVerification.Result.PASSED).last()
