"""The hotline's call events (docs/cti.md): receiving a signed event, the call record it
re-derives, the hotline contact it opens and ends, and reading calls."""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.contacts.models import Channel, Contact, IdentityVerification
from kefu.contacts.services import default_outcome, normalise_caller
from kefu.core.errors import NotFound, ServiceError, ValidationFailed
from kefu.core.masking import mask_name, mask_phone
from kefu.core.services import find, require
from kefu.customers import services as customers
from kefu.customers.models import Customer
from kefu.push import services as push
from kefu.staff.models import DataScope

from . import agents, extensions, ivr, validation
from . import events as hooks
from .fold import Event, fold
from .models import AgentState, AgentStatus, Call, CallEvent, EventType, Platform

log = logging.getLogger(__name__)

MAX_STORED_BODY = 20_000
SCREEN_POP_WITHIN = timedelta(seconds=60)
STALE_WAIT, STALE_TALK = timedelta(hours=1), timedelta(hours=12)
"""A call that rang or was answered longer ago than this (an import, a backlog) pops no screen."""
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
        _rederive(call, event.occurred_at, now)
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


def _rederive(call: Call, at: datetime, now: datetime) -> None:
    """CALL anew from its applied events, the latest applied having happened AT. The agents'
    states follow it as of AT (an event older than an agent's current state changes nothing:
    an import of old records, a late event); the screen pop only for what happens now. Only the
    fields that changed are written (the caller's number is encrypted again only when it changes)."""
    events = CallEvent.objects.filter(platform_id=call.platform_id, call_id=call.call_id,
                                      outcome=CallEvent.Outcome.APPLIED).values_list("type", "seq", "occurred_at", "payload")
    fields = fold(Event(kind, seq or 0, when or now, (payload or {}).get("data", {}))  # applied: both set
                  for kind, seq, when, payload in events)
    fields["caller"] = normalise_caller(fields["caller"]) if fields["caller"] else ""
    old = {name: getattr(call, name) for name in [*fields, "agent_id", "customer_id", "contact_id"]}
    for name, value in fields.items():
        setattr(call, name, value)
    call.agent_id = None
    if call.answered_at is not None and call.extension:
        call.agent_id = extensions.user_at(call.platform_id, call.extension)
    if call.customer_id is None and call.caller and call.caller != old["caller"]:
        call.customer = caller_customer(call.caller)  # looked up when the number is new, not on every event
    _sync_contact(call)
    ivr.sync_self_service(call)
    changed = [name.removesuffix("_id") for name, value in old.items() if getattr(call, name) != value]
    if changed:
        call.save(update_fields=[*changed, "updated_at"])
    if old["extension"] and old["extension"] != call.extension:
        agents.transferred_away(call, old["extension"], at)  # the agent who passed the call on: her after-call work
    agents.follow_call(call, at)
    if call.state != old["state"] or call.extension != old["extension"]:
        hooks.publish([call.pk])
        if call.extension and call.state in (Call.State.RINGING, Call.State.TALKING) and now - at < SCREEN_POP_WITHIN:
            screen_pop(call)
        push.to_wallboard("calls")


def screen_pop(call: Call) -> None:
    """Tell the agent at CALL's extension's browser (after the commit): ringing, who is calling
    (the number masked, the customer's name when matched); answered, the contact screen to open."""
    user_id = extensions.user_at(call.platform_id, call.extension)
    if user_id is None:
        return
    if call.state == Call.State.TALKING and call.contact_id is not None:
        push.to_user(user_id, "screen_pop", call=call.call_id, url=reverse("web:contact", args=[call.contact_id]))
    elif call.state == Call.State.RINGING:
        push.to_user(user_id, "ringing", call=call.call_id, caller=mask_phone(call.caller),
                     customer=mask_name(call.customer.name) if call.customer is not None else "")


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
                                         started_at=call.answered_at, agent_id=call.agent_id, customer_id=call.customer_id,
                                         caller=call.caller)
        call.contact = contact
    changed: list[str] = []
    if contact.agent_id is None and call.agent_id is not None:
        contact.agent_id, changed = call.agent_id, [*changed, "agent"]
    if contact.customer_id is None and call.customer_id is not None:
        contact.customer_id, changed = call.customer_id, [*changed, "customer"]
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


def call_detail(user, pk: int) -> Call:
    """The call PK as USER may read it (NotFound alike when missing or out of reach), its queue's
    name as the IVR menu gives it in `queue_label`."""
    found = find(_visible(user).select_related("contact"), pk=pk)
    if found is None:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": _("Call"), "id": pk})
    found.queue_label = ivr.queue_names().get(found.queue, found.queue)
    return found


def call_events(user, pk: int) -> list[CallEvent]:
    """The applied events of call PK, in the order they happened (its timeline)."""
    call = call_detail(user, pk)
    return list(CallEvent.objects.filter(platform_id=call.platform_id, call_id=call.call_id,
                                         outcome=CallEvent.Outcome.APPLIED).order_by("occurred_at", "seq"))


def recording_address(call: Call) -> str:
    """Where CALL's recording is opened: its reference if that is an address, else the reference
    put into KEFU_CTI_RECORDING_URL ("{ref}" replaced); "" when there is none to open here."""
    ref = call.recording_ref
    if ref.startswith(("https://", "http://")):
        return ref
    if ref and settings.KEFU_CTI_RECORDING_URL:
        return settings.KEFU_CTI_RECORDING_URL.replace("{ref}", quote(ref, safe=""))
    return ""


def can_open_recording(user, call: Call) -> bool:
    """Whether USER, who reads CALL, may open its recording (cti.open_recording) and there is one."""
    return user.has_perm("cti.open_recording") and bool(recording_address(call))


def open_recording(user, pk: int) -> str:
    """The address of call PK's recording for USER, who needs cti.open_recording besides
    reading the call; each opening is audited. NotFound when there is none to open here."""
    from kefu.audit import services as audit

    call = call_detail(user, pk)
    require(user, "cti.open_recording")
    address = recording_address(call)
    if not address:
        raise NotFound(_("This call has no recording that can be opened here."))
    audit.record(user, "read", call, fields=["recording_ref"], reason=_("Recording opened"))
    return address


def wallboard_now(user, now: datetime | None = None) -> dict:
    """What the hotline is doing now, for USER's wallboard (cti.view_wallboard): the calls
    waiting (queued or ringing, by queue, with the longest wait) and the agents by state. Reads
    only the calls in progress (indexed by state) and the agents' current states."""
    require(user, "cti.view_wallboard")
    now = now or timezone.now()
    # A call whose end the platform never sent would wait for ever: nobody waits an hour in a queue
    # or talks for half a day, so older ones are left out.
    waiting = Call.objects.filter(state__in=(Call.State.QUEUED, Call.State.RINGING), queued_at__gte=now - STALE_WAIT)
    queues: dict[str, dict] = {}
    for queue, n, first in waiting.values_list("queue").annotate(n=models.Count("id"), first=models.Min("queued_at")).order_by("queue"):
        queues[queue] = {"queue": queue, "waiting": n, "longest_wait": max(0, round((now - first).total_seconds()))}
    talking = dict(Call.objects.filter(state__in=(Call.State.TALKING, Call.State.HELD), answered_at__gte=now - STALE_TALK)
                   .values_list("queue")
                   .annotate(n=models.Count("id")).order_by())
    for queue, n in talking.items():
        queues.setdefault(queue, {"queue": queue, "waiting": 0, "longest_wait": 0})["talking"] = n
    agents_qs = AgentStatus.objects.exclude(state=AgentState.LOGGED_OUT)
    if not user.has_perm("staff.data_scope_all") and user.department_id and scopes.condition(user, Customer) is not None:
        agents_qs = agents_qs.filter(user__department_id=user.department_id)
    by_state = dict(agents_qs.values_list("state").annotate(n=models.Count("user")).order_by())
    people = [{"name": str(s.user), "state": s.state,
               "label": agents.label_of(s), "seconds": max(0, round((now - s.since).total_seconds()))}
              for s in agents_qs.select_related("user").order_by("state", "since")[:200]]
    names = ivr.queue_names()
    for q in queues.values():
        q["label"] = names.get(q["queue"], q["queue"])
    return {"queues": sorted(queues.values(), key=lambda q: q["queue"]),
            "waiting": sum(q["waiting"] for q in queues.values()),
            "longest_wait": max((q["longest_wait"] for q in queues.values()), default=0),
            "agents": {state: by_state.get(state, 0) for state in AgentState.values if state != AgentState.LOGGED_OUT},
            "people": people}
