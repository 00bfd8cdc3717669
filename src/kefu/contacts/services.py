"""Contacts (one interaction each) and identity verification (身份核实) on them."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.errors import Conflict, RateLimited, ValidationFailed
from kefu.core.services import find, get_or_404, lock_version, require

from . import sms
from .models import Contact, ContactOrder, IdentityVerification

MAX_FAILED_VERIFICATIONS = 3
SMS_CODE_TTL = timedelta(minutes=5)
CONTACT_FIELDS = {"summary", "outcome", "ended_at", "customer_id"}


def _contact(actor, contact_id, *, lock=False) -> Contact:
    return get_or_404(Contact, contact_id, lock=lock, queryset=scopes.restrict(actor, Contact.objects))


def _check_customer(actor, customer_id):
    from kefu.customers.models import Customer

    if customer_id is not None and not scopes.restrict(actor, Customer.objects).filter(pk=customer_id).exists():
        raise ValidationFailed(_("Unknown customer."), fields={"customer_id": _("no customer with this id")})


@transaction.atomic
def open_contact(actor, *, channel, direction="inbound", customer_id=None, caller="", summary="", started_at=None) -> Contact:
    """Record a contact as it begins. The agent is whoever records it."""
    require(actor, "contacts.add_contact")
    _check_customer(actor, customer_id)
    return Contact.objects.create(channel=channel, direction=direction, customer_id=customer_id, caller=caller,
                                  summary=summary, started_at=started_at or timezone.now(), agent=actor)


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


def _verifiable(actor, contact_id) -> Contact:
    require(actor, "contacts.add_identityverification")
    contact = _contact(actor, contact_id, lock=True)
    if contact.customer_id is None:
        raise ValidationFailed(_("Identify the customer first."), fields={"customer_id": _("the contact has no customer")})
    failed = contact.verifications.filter(result=IdentityVerification.Result.FAILED).count()
    if failed >= MAX_FAILED_VERIFICATIONS:
        raise Conflict(_("Too many failed verifications on this contact; verify on a new contact or in a store."))
    return contact


@transaction.atomic
def send_sms_code(actor, contact_id) -> IdentityVerification:
    """Send a one-time code to the customer's registered mobile number."""
    contact = _verifiable(actor, contact_id)
    _limit_sms(contact.customer_id)
    code = f"{secrets.randbelow(10**6):06d}"
    contact.verifications.filter(result=IdentityVerification.Result.PENDING).update(
        result=IdentityVerification.Result.EXPIRED, code_hash="")
    attempt = IdentityVerification.objects.create(
        contact=contact, method=IdentityVerification.Method.SMS_CODE, result=IdentityVerification.Result.PENDING,
        agent=actor, code_hash=make_password(code), expires_at=timezone.now() + SMS_CODE_TTL)
    sms.send_code(contact.customer.phone, code)
    return attempt


def _limit_sms(customer_id) -> None:
    """At most KEFU_SMS_MAX_PER_HOUR codes an hour to one customer, and one every
    KEFU_SMS_MIN_INTERVAL_SECONDS: codes cost money and can be used to harass a subscriber."""
    now = timezone.now()
    recent = list(IdentityVerification.objects.filter(contact__customer_id=customer_id, method=IdentityVerification.Method.SMS_CODE,
                                                      at__gte=now - timedelta(hours=1)).values_list("at", flat=True))
    check_sms_rate(recent, now=now)


def check_sms_rate(recent: list, *, now=None, too_many=None) -> None:
    """Raise RateLimited (with retry_after) unless one more code may go to a recipient that was
    sent codes at the times RECENT (those of the last hour): KEFU_SMS_MAX_PER_HOUR an hour, and
    KEFU_SMS_MIN_INTERVAL_SECONDS apart. TOO_MANY words the first refusal (with %(n)s)."""
    now = now or timezone.now()
    if len(recent) >= settings.KEFU_SMS_MAX_PER_HOUR:
        too_many = too_many or _("This customer has been sent %(n)s codes in the last hour; try another way to verify.")
        raise RateLimited(too_many % {"n": len(recent)},
                          retry_after=int((min(recent) + timedelta(hours=1) - now).total_seconds()) + 1)
    wait = settings.KEFU_SMS_MIN_INTERVAL_SECONDS - (now - max(recent)).total_seconds() if recent else 0
    if wait > 0:
        raise RateLimited(_("A code was sent moments ago; wait %(s)s seconds before sending another.") % {"s": int(wait) + 1},
                          retry_after=int(wait) + 1)


@transaction.atomic
def verify_identity(actor, contact_id, *, method, secret) -> IdentityVerification:
    """Check what the caller said against the customer file. Only the result is stored."""
    contact = _verifiable(actor, contact_id)
    customer = contact.customer
    secret = (secret or "").strip()
    M, R = IdentityVerification.Method, IdentityVerification.Result
    if method == M.SERVICE_PASSWORD:
        passed = customer.check_service_password(secret)
    elif method == M.ID_NUMBER:
        # Bytes: compare_digest refuses str with non-ASCII characters (TypeError, a 500).
        passed = bool(secret) and secrets.compare_digest(secret.upper().encode(), customer.id_number.upper().encode())
    elif method == M.SMS_CODE:
        pending = contact.verifications.filter(method=M.SMS_CODE, result=R.PENDING).order_by("-at").first()
        if pending is None:
            raise ValidationFailed(_("No code was sent."), fields={"method": _("send an SMS code first")})
        passed = pending.expires_at > timezone.now() and check_password(secret, pending.code_hash)
        pending.result = R.PASSED if passed else R.FAILED
        pending.code_hash = ""
        pending.save(update_fields=["result", "code_hash"])
        return pending
    else:
        raise ValidationFailed(_("Unknown method."), fields={"method": _("unknown verification method")})
    return IdentityVerification.objects.create(contact=contact, method=method, result=R.PASSED if passed else R.FAILED, agent=actor)


def current_verification(actor, contact_id, customer_id) -> IdentityVerification | None:
    """The passed verification on contact CONTACT_ID, if it is still in progress, is in the
    actor's scope and is with CUSTOMER_ID: what lets an agent see the caller's data unmasked."""
    contact = find(scopes.restrict(actor, Contact.objects), pk=contact_id)
    if contact is None or contact.customer_id != customer_id or contact.ended_at is not None:
        return None
    return contact.verifications.filter(result=IdentityVerification.Result.PASSED).last()
