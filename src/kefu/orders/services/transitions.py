"""The machinery every order action goes through; the bottom of the package (it imports no
other module of it). `_begin` locks the order in the actor's scope and checks the state
(states.TRANSITIONS), the permission, who may act and the reason, or raises; `_finish` moves
the order, stamps its milestone times (states.STAMPS), bumps its version and records the
event; `_event` records one event through the hook (orders.events), which publishes it. Also
what the checks read: `allowed_actions` (what the API lists and every 409 names) and who
resolved an order (`resolver_id`, `note_resolvers`), who may therefore not confirm it."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.contacts.models import Channel
from kefu.core.errors import Forbidden, InvalidTransition, ValidationFailed

from .. import events
from ..models import TERMINAL_STATUSES, OrderEvent, Status, WorkOrder
from ..states import PUBLIC_ACTIONS, TRANSITIONS, stamp

TERMINAL = set(TERMINAL_STATUSES)


def channel_problem(channel) -> str | None:
    """What is wrong with CHANNEL, the way the customer's word came (an answer, a confirmation,
    feedback), or None."""
    if not channel:
        return _("is required")
    if channel not in Channel.values:
        return _("must be one of %(keys)s") % {"keys": ", ".join(Channel.values)}
    return None


def allowed_actions(order: WorkOrder, user) -> list[str]:
    """The actions USER may take on ORDER now (what the API lists, and what 409s name)."""
    return [a for a in PUBLIC_ACTIONS if _refusal(order, user, a) is None]


def resolver_id(order) -> int | None:
    """Who resolved ORDER last: the actor of its latest resolve event (None: nobody yet, or the
    system). Read once per order object; note_resolvers reads it for a whole list at once."""
    if not hasattr(order, "_resolver_id"):
        order._resolver_id = (order.events.filter(action="resolve").order_by("-at", "-id")
                              .values_list("actor_id", flat=True).first())
    return order._resolver_id


def note_resolvers(orders) -> None:
    """resolver_id for each resolved order of ORDERS in one query (allowed_actions on a list)."""
    resolved = {o.pk: o for o in orders if o.status == Status.RESOLVED and not hasattr(o, "_resolver_id")}
    if not resolved:
        return
    latest = {}
    for order_id, actor_id in (OrderEvent.objects.filter(order_id__in=resolved, action="resolve")
                               .order_by("order_id", "at", "id").values_list("order_id", "actor_id")):
        latest[order_id] = actor_id  # the last one of each order wins
    for pk, order in resolved.items():
        order._resolver_id = latest.get(pk)


RESOLVER_CANNOT_CONFIRM = gettext_lazy("The person who resolved the order cannot confirm it for the customer.")


def _locked(order_id, actor=None) -> WorkOrder:
    return scopes.get(actor, WorkOrder, order_id, lock=True)


def _refusal(order, user, action):
    """Why USER may not take ACTION on ORDER now: None, or (kind, message)."""
    t = TRANSITIONS[action]
    if order.status not in t.sources:
        return "state", None
    if user is None:  # the system itself
        return None
    if not user.has_perm(t.permission):
        return "permission", None
    manage_any = user.has_perm("orders.manage_any_workorder")
    if t.actor == "handler" and order.handler_id != user.pk and not manage_any:
        return "permission", _("Only the current handler may do this.")
    if t.actor == "owner" and order.owner_id != user.pk and not manage_any:
        return "permission", _("Only the first-contact owner may do this.")
    if action == "claim":
        if order.handler_id is not None:
            return "state", _("Already claimed by %(name)s.") % {"name": order.handler}
        if order.department_id and order.department_id != user.department_id and not manage_any:
            return "permission", _("The order belongs to another department.")
    if action in {"release", "start", "requeue"} and order.handler_id is None:
        return "state", _("Nobody handles this order yet.")
    if action == "confirm" and resolver_id(order) == user.pk:
        return "permission", RESOLVER_CANNOT_CONFIRM
    return None


def _invalid(order, user, detail=None):
    msg = _("Not allowed while the work order is %(state)s.") % {"state": order.get_status_display()}
    if detail:
        msg = f"{msg} {detail}"
    return InvalidTransition(msg, state=order.status, allowed_actions=allowed_actions(order, user))


def _begin(actor, order_id, action, *, reason=None):
    order = _locked(order_id, actor)
    refusal = _refusal(order, actor, action)
    if refusal is not None:
        kind, detail = refusal
        if kind == "state":
            raise _invalid(order, actor, detail)
        raise Forbidden(detail)
    if TRANSITIONS[action].needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), fields={"reason": _("is required for this action")})
    return order


def _finish(order, actor, action, *, reason="", note="", visibility="internal", data=None, disputes=None):
    from_status = order.status
    target = TRANSITIONS[action].target
    if target is not None:
        order.status = target
    stamp(order, action, timezone.now())  # accepted_at, resolved_at, closed_at (states.STAMPS)
    order.version += 1
    order.save()
    order.last_event = _event(order, actor, action, from_status, order.status, reason=reason, note=note,
                              visibility=visibility, data=data, disputes=disputes)
    return order


def _event(order, actor, action, from_status, to_status, *, reason="", note="", visibility="internal", data=None, disputes=None):
    # Every event is recorded and published through the hook (orders.events): the SLA clocks
    # follow the order without rescanning anything, and the people concerned hear of it, in
    # this transaction; the "after" consumers once it has committed.
    return events.record(order, actor, action, from_status, to_status, reason=reason, note=note, visibility=visibility,
                         data=data, disputes=disputes)


def _reopen(order, actor, reason, note, data=None):
    disputed = order.events.filter(action="resolve").order_by("-at", "-id").first()
    order.reopen_count += 1
    order.needs_review = False
    return _finish(order, actor, "reopen", reason=str(reason), note=note, visibility="customer",
                   data=(data or {}) | {"reopen_count": order.reopen_count}, disputes=disputed)
