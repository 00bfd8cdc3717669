"""The hotline's call events (docs/cti.md): receiving a signed event, the call record it
re-derives, the hotline contact it opens and ends, and reading calls."""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.contacts.models import Channel, Contact, IdentityVerification
from kefu.contacts.services import default_outcome, normalise_caller
from kefu.core.errors import NotFound, ServiceError, ValidationFailed
from kefu.core.services import find, require
from kefu.customers import services as customers
from kefu.customers.models import Customer
from kefu.staff.models import DataScope

from . import validation
from .fold import Event, fold
from .models import Call, CallEvent, EventType, Extension, Platform

log = logging.getLogger(__name__)

MAX_STORED_BODY = 20_000
"""The characters of an invalid event's body kept for inspection."""


class SignatureRefused(ServiceError):
    """The platform is unknown or inactive, the signature does not match, or the timestamp lies
    outside the platform's replay window: answered 401, nothing stored."""

    status = 401
    code = "unauthenticated"

    def __init__(self):
        super().__init__(gettext_lazy("The event's platform, timestamp or signature was refused."))


@dataclass(frozen=True)
class Receipt:
    event_id: int
    call_id: str
    outcome: str
    duplicate: bool


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a platform sends: hex HMAC-SHA256 of `<timestamp>.` + BODY under SECRET."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def authenticate(platform_code: str, body: bytes, signature: str, timestamp: str, now: datetime) -> Platform:
    """The active platform PLATFORM_CODE if SIGNATURE signs TIMESTAMP and BODY with its secret and
    TIMESTAMP (Unix seconds) is within its replay window of NOW; else SignatureRefused."""
    platform = find(Platform.objects.filter(is_active=True), code=platform_code or "")
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        sent = None
    signature = (signature or "").removeprefix("sha256=").strip().lower()
    expected = sign(platform.secret if platform else "-", timestamp or "", body)
    good = hmac.compare_digest(expected, signature)  # compared even for an unknown platform: same time
    if platform is None or not good or sent is None or abs(now.timestamp() - sent) > platform.replay_window_seconds:
        log.warning("cti: event refused (platform %r, timestamp %r)", platform_code, timestamp)
        raise SignatureRefused()
    return platform


def receive(platform_code: str, body: bytes, signature: str, timestamp: str, now: datetime | None = None) -> Receipt:
    """Take one event as posted. Refused (SignatureRefused, not stored) unless authenticated. An
    invalid event is stored as invalid with its faults, changes nothing else and raises
    ValidationFailed naming each field (with its event_id). A repeat of an applied event (same
    platform, call id and sequence) is stored as a duplicate and changes nothing. Otherwise, in
    one transaction, the call's row is locked (created if new), the event stored as applied, the
    call re-derived from all its applied events (fold) and its hotline contact opened or ended."""
    now = now or timezone.now()
    platform = authenticate(platform_code, body, signature, timestamp, now)
    try:
        event, call_id, payload = validation.parse(body)
    except validation.Invalid as exc:
        stored = CallEvent.objects.create(
            platform=platform, call_id=exc.partial.get("call_id", ""), seq=exc.partial.get("seq"),
            type=exc.partial.get("type", ""), occurred_at=exc.partial.get("occurred_at"), received_at=now,
            body=body.decode("utf-8", "replace").replace("\x00", "\ufffd")[:MAX_STORED_BODY],
            outcome=CallEvent.Outcome.INVALID, error=str(exc))
        raise ValidationFailed(_("The call event is invalid; it was kept for inspection."), fields=exc.fields,
                               event_id=stored.pk) from None
    with transaction.atomic():
        call = _locked_call(platform, call_id)
        applied = find(CallEvent.objects.filter(platform=platform, call_id=call_id, outcome=CallEvent.Outcome.APPLIED),
                       seq=event.seq)
        if applied is not None:
            differs = applied.payload != payload
            CallEvent.objects.create(platform=platform, call_id=call_id, seq=event.seq, type=event.type,
                                     occurred_at=event.occurred_at, payload=payload, received_at=now,
                                     outcome=CallEvent.Outcome.DUPLICATE,
                                     error=_("differs from the event applied first, which stands") if differs else "")
            return Receipt(applied.pk, call_id, CallEvent.Outcome.DUPLICATE, True)
        stored = CallEvent.objects.create(platform=platform, call_id=call_id, seq=event.seq, type=event.type,
                                          occurred_at=event.occurred_at, payload=payload, received_at=now,
                                          outcome=CallEvent.Outcome.APPLIED)
        _rederive(call)
        if event.type == EventType.SURVEY and call.caller and call.survey_score is not None:
            _survey_answer(call, now)
    return Receipt(stored.pk, call_id, CallEvent.Outcome.APPLIED, False)


def _locked_call(platform: Platform, call_id: str) -> Call:
    """The call's row, locked for the transaction; created first if it is new. Two first events
    of a call at once both try the INSERT: the unique constraint lets one through, and the other
    then waits for that row's lock like any later event."""
    rows = Call.objects.select_for_update().filter(platform=platform)
    call = find(rows, call_id=call_id)
    if call is None:
        try:
            with transaction.atomic():
                Call.objects.create(platform=platform, call_id=call_id)
        except IntegrityError:
            pass  # created by a parallel event of the same call
        call = rows.get(call_id=call_id)
    return call


def _rederive(call: Call) -> None:
    events = CallEvent.objects.filter(platform_id=call.platform_id, call_id=call.call_id,
                                      outcome=CallEvent.Outcome.APPLIED).values_list("type", "seq", "occurred_at", "payload")
    fields = fold(Event(kind, seq or 0, at or timezone.now(), (payload or {}).get("data", {}))  # applied: both set
                  for kind, seq, at, payload in events)
    fields["caller"] = normalise_caller(fields["caller"]) if fields["caller"] else ""
    for name, value in fields.items():
        setattr(call, name, value)
    call.agent = None
    if call.answered_at is not None and call.extension:
        mapped = find(Extension.objects.select_related("user"), platform_id=call.platform_id, extension=call.extension)
        call.agent = mapped.user if mapped else None
    if call.customer_id is None and call.caller:
        call.customer = caller_customer(call.caller)
    _sync_contact(call)
    call.save()


class _Platform:
    """The telephone platform as the actor of the customers' lookup by number and of the post-call
    score: the system itself (every customer, kefu.scopes), allowed those and nothing else."""

    is_superuser = False
    is_authenticated = True
    data_scope = DataScope.ALL

    def has_perm(self, perm: str) -> bool:
        return perm in ("customers.view_customer", "surveys.add_optout", "orders.view_workorder")


def _survey_answer(call: Call, now: datetime) -> None:
    """The post-call IVR score as a survey answer (surveys.receive_ivr_score: the caller's latest
    resolved order, refusals honoured, a retried score of the same call stored once)."""
    from kefu.surveys import services as surveys

    assert call.survey_score is not None  # the caller checked it
    surveys.receive_ivr_score(_Platform(), call.caller, call.survey_score, scale=call.survey_scale or 10,
                              called_at=call.offered_at or call.answered_at or now, call_id=call.call_id, now=now)


def caller_customer(number: str) -> Customer | None:
    """The one customer whose number NUMBER is (customers.services.search_customers: contact or
    other phone, or a service number they hold); nobody when several are (we cannot tell)."""
    found = list(customers.search_customers(_Platform(), phone=number)[:2])
    return found[0] if len(found) == 1 else None


def _sync_contact(call: Call) -> None:
    """The hotline contact of an answered call: opened at the answer (the agent, the caller's
    number, the customer matched), ended with the call. Written in the event's transaction."""
    if call.answered_at is None:
        return
    contact = call.contact
    if contact is None:
        contact = Contact.objects.create(channel=Channel.HOTLINE, direction=Contact.Direction.INBOUND,
                                         started_at=call.answered_at, agent=call.agent, customer=call.customer,
                                         caller=call.caller)
        call.contact = contact
    changed: list[str] = []
    if contact.agent_id is None and call.agent is not None:
        contact.agent, changed = call.agent, [*changed, "agent"]
    if contact.customer_id is None and call.customer is not None:
        contact.customer, changed = call.customer, [*changed, "customer"]
    if call.ended_at is not None and contact.ended_at is None:
        contact.ended_at, contact.outcome = max(call.ended_at, contact.started_at), default_outcome(contact)
        changed += ["ended_at", "outcome"]
    if changed:
        contact.version += 1
        contact.save(update_fields=[*changed, "version", "updated_at"])
    if call.verified_in_ivr and contact.customer_id is not None and not contact.verifications.filter(
            method=IdentityVerification.Method.IVR_PASSWORD).exists():
        # The caller keyed in the service password in the IVR: verified on this contact, as if at the desk.
        IdentityVerification.objects.create(contact=contact, method=IdentityVerification.Method.IVR_PASSWORD,
                                            result=IdentityVerification.Result.PASSED)


# --- reading calls ------------------------------------------------------------------------------

def _visible(user) -> models.QuerySet:
    """The calls USER may read: with cti.view_any_call, those of their data scope (every call for
    an organisation-wide scope; else their own, their department's, their scope's customers' and
    the calls no agent took); with cti.view_call alone, the calls they answered."""
    require(user, "cti.view_call")
    qs = Call.objects.select_related("platform", "agent", "customer")
    if not user.has_perm("cti.view_any_call"):
        return qs.filter(agent=user)
    if scopes.condition(user, Customer) is None:
        return qs
    q = models.Q(agent=user) | models.Q(agent__isnull=True) | models.Q(
        customer__in=scopes.restrict(user, Customer.objects.all()).values("pk"))
    if user.department_id:
        q |= models.Q(agent__department_id=user.department_id)
    return qs.filter(q)


def calls(user, *, state: str | None = None, agent: int | None = None, queue: str | None = None,
          abandoned: bool | None = None) -> models.QuerySet:
    """The calls USER may read, newest first, filtered as asked."""
    qs = _visible(user)
    if state:
        qs = qs.filter(state=state)
    if agent is not None:
        qs = qs.filter(agent_id=agent)
    if queue:
        qs = qs.filter(queue=queue)
    if abandoned is not None:
        qs = qs.filter(abandoned=abandoned)
    return qs.order_by("-offered_at", "-id")


def get_call(user, call_id: str, *, platform: str = "") -> Call:
    """The call the platform named CALL_ID (on PLATFORM, by its code, if given) as USER may read
    it; NotFound alike when it is missing or out of their reach; ValidationFailed naming the
    platform when two platforms used the same call id."""
    qs = _visible(user).filter(call_id=call_id)
    if platform:
        qs = qs.filter(platform__code=platform)
    found = list(qs[:2])
    if len(found) > 1:
        raise ValidationFailed(_("Several platforms used this call id."),
                               fields={"platform": _("is required: several platforms used this call id")})
    if not found:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": _("Call"), "id": call_id})
    return found[0]
