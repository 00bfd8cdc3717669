"""Agents' states (坐席状态) on the hotline: set by the agent herself from the header (ready, not
ready with a reason, signed out) and by the telephone platform's call events (on a call, after-call
work, ready again). Each change is kept (AgentStateChange) and drives routing's presence, so that
work orders flow to the agents who are ready and not to those on a break:

    ready → available · on a call, after-call work → busy · not ready → away · signed out → offline
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.services import find, require
from kefu.push import services as push
from kefu.routing import services as routing
from kefu.staff.models import User

from . import extensions
from .models import AgentState, AgentStateChange, AgentStatus, Call, Extension, NotReadyReason

PRESENCE = {AgentState.READY: User.Presence.AVAILABLE, AgentState.ON_CALL: User.Presence.BUSY,
            AgentState.AFTER_CALL_WORK: User.Presence.BUSY, AgentState.NOT_READY: User.Presence.AWAY,
            AgentState.LOGGED_OUT: User.Presence.OFFLINE}
CHOSEN = (AgentState.READY, AgentState.NOT_READY, AgentState.LOGGED_OUT)
"""The states an agent sets herself; the platform's calls set the others."""

def is_hotline_agent(user) -> bool:
    """Whether USER sits at an extension of a telephone platform (the header shows the hotline's
    states to them, the plain status to others)."""
    return user.is_authenticated and Extension.objects.filter(user_id=user.pk, platform__is_active=True).exists()


def status_of(user_id: int) -> AgentStatus:
    """USER_ID's state now (signed out if they never had one); not saved."""
    found = find(AgentStatus.objects.all(), user_id=user_id)
    return found or AgentStatus(user_id=user_id, state=AgentState.LOGGED_OUT, since=timezone.now())


def set_state(actor, state: str, *, reason: str = "", now: datetime | None = None) -> AgentStatus:
    """The agent ACTOR sets her own state: ready, not ready (with a reason) or signed out. On a
    call she cannot (the call ends it); choosing ready during after-call work ends it."""
    require(actor, "cti.view_call")
    fields = {}
    if state not in CHOSEN:
        fields["state"] = _("must be one of: %(states)s") % {
            "states": "、".join(str(AgentState(s).label) for s in CHOSEN)}
    if state == AgentState.NOT_READY and reason not in NotReadyReason.values:
        fields["reason"] = _("is required when not ready: one of %(reasons)s") % {
            "reasons": "、".join(str(label) for label in NotReadyReason.labels)}
    if fields:
        raise ValidationFailed(_("The agent state cannot be set."), fields=fields)
    with transaction.atomic():
        status = _locked(actor.pk, now)
        if status.state == AgentState.ON_CALL:
            raise ValidationFailed(_("You are on a call: your state changes when it ends."),
                                   fields={"state": _("cannot change during a call")})
        return _change(status, state, reason if state == AgentState.NOT_READY else "",
                       AgentStateChange.Source.AGENT, by=actor, now=now)


def follow_call(call: Call, now: datetime | None = None) -> None:
    """The state of the agent at CALL's extension as the call stands after an event that
    happened at NOW (inside the event's transaction): ringing, talking or on hold → on a call;
    ended → after-call work; after-call work ended → ready; a call that rang and was not
    answered → ready again. An event older than her current state changes nothing."""
    user_id = extensions.user_at(call.platform_id, call.extension)
    if user_id is None:
        return
    status = _locked(user_id, now)
    if now is not None and now < status.since:
        return  # older than her state now: an imported or late event does not rewrite it
    C = Call.State
    if call.state in (C.RINGING, C.TALKING, C.HELD):
        target = AgentState.ON_CALL
    elif call.state == C.AFTER_CALL_WORK:
        target = AgentState.AFTER_CALL_WORK
    elif call.state in (C.FINISHED, C.ABANDONED):
        # Back to ready only from this call's own states: a later call or her own choice stands.
        if status.call_id != call.pk or status.state not in (AgentState.ON_CALL, AgentState.AFTER_CALL_WORK):
            return
        target = AgentState.READY
    else:
        return
    if status.state == target and status.call_id == call.pk:
        return
    _change(status, target, "", AgentStateChange.Source.PLATFORM, call=call, now=now)


def _locked(user_id: int, now: datetime | None) -> AgentStatus:
    """Her state's row, locked; created signed out as of the real now (so that events of the
    past do not make a state for someone who never had one)."""
    status, _created = AgentStatus.objects.select_for_update().get_or_create(
        user_id=user_id, defaults={"state": AgentState.LOGGED_OUT, "since": timezone.now()})
    return status


def _change(status: AgentStatus, state: str, reason: str, source: str, *, by=None, call: Call | None = None,
            now: datetime | None = None) -> AgentStatus:
    now = now or timezone.now()
    previous = status.state
    if previous == state and status.reason == reason and (call is None or status.call_id == call.pk):
        return status
    status.state, status.reason, status.since, status.call = state, reason, now, call
    status.save()
    AgentStateChange.objects.create(user_id=status.user_id, at=now, previous=previous, state=state, reason=reason,
                                    source=source, by=by, call=call)
    presence = PRESENCE[AgentState(state)]
    person = User.objects.only("presence").get(pk=status.user_id)
    if person.presence != presence:
        label = str(NotReadyReason(reason).label) if reason else str(AgentState(state).label)
        routing.set_presence(by or _Switchboard(), status.user_id, presence, reason=label)
    # Her header and the wallboard hear of it once it commits.
    push.to_user(status.user_id, "agent_state", state=state, label=label_of(status))
    push.to_wallboard("agents")
    return status


def label_of(status: AgentStatus) -> str:
    """The state as the header shows it: 未就绪（用餐） for a reason."""
    label = str(AgentState(status.state).label)
    if status.state == AgentState.NOT_READY and status.reason:
        return _("%(state)s (%(reason)s)") % {"state": label, "reason": NotReadyReason(status.reason).label}
    return label


class _Switchboard:
    """The hotline as the actor that moves an agent's routing presence with her state."""

    pk = None
    is_superuser = False
    is_authenticated = True

    def has_perm(self, perm: str) -> bool:
        return perm == "orders.manage_any_workorder"


def transferred_away(call: Call, extension: str, now: datetime | None = None) -> None:
    """The agent at EXTENSION passed CALL on (a transfer): her part of it ends, and her
    after-call work starts, as if the call had ended for her."""
    user_id = extensions.user_at(call.platform_id, extension)
    if user_id is None:
        return
    status = _locked(user_id, now)
    if now is not None and now < status.since:
        return
    if status.call_id == call.pk and status.state == AgentState.ON_CALL:
        _change(status, AgentState.AFTER_CALL_WORK, "", AgentStateChange.Source.PLATFORM, call=call, now=now)
