"""The orders actions that routing carries on: moving between tiers (升级, 降级), 派单 by hand
and 转派, each followed by the new department's strategy when it assigns automatically; and
`intake` (classify, register, accept, dispatch, assign) with `register`, which routes a new
order from the API or registers it as given."""

from django.conf import settings
from django.db import transaction

from kefu.core.errors import ValidationFailed
from kefu.core.services import require
from kefu.orders import services as orders

from .dispatching import MANUAL, _assign_queued, dispatch


def escalate(actor, order_id, *, reason, department_id=None, note=""):
    """升级 to a higher tier, then, if that desk assigns automatically, to a person there. Two
    steps: should nobody have room, the order waits in the new desk's queue."""
    order = orders.escalate(actor, order_id, reason=reason, department_id=department_id, note=note)
    return _assign_if_possible(order)


def deescalate(actor, order_id, *, reason, department_id=None, note=""):
    order = orders.deescalate(actor, order_id, reason=reason, department_id=department_id, note=note)
    return _assign_if_possible(order)


def assign(actor, order_id, *, department_id=None, handler_id=None, note=""):
    """派单 by hand: to a department (and a person, if named). Sent to a department alone, the
    order goes on to a person there by that department's strategy."""
    order = orders.assign(actor, order_id, department_id=department_id, handler_id=handler_id, note=note)
    return order if handler_id is not None else _assign_if_possible(order)


def transfer(actor, order_id, *, department_id, reason, handler_id=None, note=""):
    """转派 to another department; without a named person, its strategy picks one."""
    order = orders.transfer(actor, order_id, department_id=department_id, handler_id=handler_id, reason=reason, note=note)
    # The person the department's strategy picks hears why the order came (kefu.notifications.services._given).
    return order if handler_id is not None else _assign_if_possible(order, routing={"transfer_reason": order.last_event.reason})


def _assign_if_possible(order, routing=None):
    if order.department is None or order.department.assignment == MANUAL:
        return order
    with transaction.atomic():
        assigned = _assign_queued(None, order.pk, routing=routing)
    return assigned or orders.order_queryset().get(pk=order.pk)


def register(actor, *, route=None, by_system=False, **fields):
    """A new order from the API: routed on arrival if asked (ROUTE) or, when the client does
    not say, if KEFU_AUTO_ROUTE is on; registered as given otherwise. BY_SYSTEM: see intake."""
    if route if route is not None else settings.KEFU_AUTO_ROUTE:
        return intake(actor, by_system=by_system, **fields)
    return orders.create_order(actor, **fields)


def intake(actor, *, title, customer_id, channel, kind=None, description="", category_id=None, severity=None,
           by_system=False, **fields):
    """A new order, routed as it arrives: the classifier fills what the agent left open (kind,
    a confident category, severity), the triage rules raise severity and flag threats, and the
    order is registered and accepted in one transaction, then dispatched and assigned in a
    second. If no dispatch rule matches, the order stays accepted for a person to dispatch:
    a routing failure never loses the order.

    BY_SYSTEM: ACTOR only registers (the self-service portal, which takes nothing on); the
    routing itself accepts and dispatches, as the system, and the first person it assigns
    becomes the first-contact owner (orders.services.ownership._adopt)."""
    from kefu.triage import services as triage

    router = None if by_system else actor
    for perm in ("orders.add_workorder",) + (() if by_system else ("orders.accept_workorder", "orders.dispatch_workorder")):
        require(actor, perm)
    suggestion = triage.suggest(title, description, kind=kind, severity=severity)
    kind = suggestion["kind"]["final"]
    if category_id is None:
        category_id = triage.suggested_category(suggestion, kind)
    summary = {"kind": suggestion["kind"], "category": suggestion["category"], "severity": suggestion["severity"],
               "rules": [r["rule"] for r in suggestion["rules"]], "model": suggestion["model"]["version"]}
    with transaction.atomic():
        order = orders.create_order(actor, kind=kind, title=title, description=description, customer_id=customer_id,
                                    channel=channel, category_id=category_id, severity=suggestion["severity"]["final"],
                                    flagged=bool(suggestion["flags"]), triage=summary, **fields)
        orders.accept(router, order.pk)
    try:
        return dispatch(router, order.pk)
    except ValidationFailed:
        return orders.order_queryset().get(pk=order.pk)
