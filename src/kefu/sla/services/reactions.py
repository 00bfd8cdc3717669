"""What each order event does to the order's clocks, inside the transaction that wrote it.

Three rules, in this order: a new order, or a change of a field a policy matches on, (re)chooses
the policy (policy.py) and nothing else; a word to the customer answers the first response and
starts the update interval anew; then the action's own reaction, from the table REACTIONS.
"""

from collections.abc import Callable
from typing import Any

from ..models import RESOLUTION_SIDE, Metric
from .clocks import _cancel_live, _pause, _restart_updates, _resume, _start, _stop, refresh_due
from .policy import POLICY_FIELDS, _apply_policy, _current_policy

# Customer-visible events that are the customer's own words, not the provider's reply to them:
# they stop no response clock.
CUSTOMER_WORDS = frozenset({"answer"})
# Words to the customer that end the order's open life: they answer the first response but
# start no new update interval.
FINAL_WORDS = frozenset({"resolve", "reject", "cancel"})


def _accepted(order, at) -> None:
    _stop(order, [Metric.ACCEPTANCE], at)


def _resolved(order, at) -> None:
    # The resolution is the last update while open: no update is due after it (a word to the
    # customer or the confirmation starts no new interval; reopening does).
    _stop(order, [Metric.INVESTIGATION, Metric.RESOLUTION, Metric.FEEDBACK, Metric.UPDATE], at)


def _reopened(order, at) -> None:
    """A new round of the resolution-side and update clocks, on the order's latest policy."""
    _start(order, _current_policy(order), at, metrics=RESOLUTION_SIDE | {Metric.UPDATE}, round=order.reopen_count)


def _ended(order, at) -> None:
    _stop(order, [Metric.CLOSURE], at)
    _cancel_live(order, at)


# action → its own reaction (order, at), after the word-to-the-customer rule.
REACTIONS: dict[str, Callable[[Any, Any], None]] = {
    "accept": _accepted,
    "wait": _pause,  # the resolution side waits for the customer
    "resume": _resume,
    "answer": _resume,  # the customer's answer ends the wait
    "resolve": _resolved,
    "reopen": _reopened,
    "close": _ended,
    "reject": _ended,
    "cancel": _ended,
    "merge": _ended,
}
CLOCK_ACTIONS = frozenset({"create", *REACTIONS})


def on_order_events(pairs) -> None:
    """The hook's transaction phase: the clocks follow each (order, event) of PAIRS."""
    for order, event in pairs:
        order_event(order, event)


def order_event(order, event) -> None:
    """React to EVENT on ORDER, inside the transaction that wrote it."""
    touched = (event.action in CLOCK_ACTIONS or event.visibility == "customer"
               or bool(POLICY_FIELDS & set(event.data.get("changes", {}))))
    if touched:
        _react(order, event)
        refresh_due(order)


def _react(order, event) -> None:
    at, action = event.at, event.action
    if action == "create" or POLICY_FIELDS & set(event.data.get("changes", {})):
        _apply_policy(order, event, at)
        return
    if (event.visibility == "customer" and action not in CUSTOMER_WORDS) or action in FINAL_WORDS:
        _stop(order, [Metric.FIRST_RESPONSE], at)
        if action not in FINAL_WORDS:
            _restart_updates(order, at)
    reaction = REACTIONS.get(action)
    if reaction is not None:
        reaction(order, at)


def replay(order, events=None) -> None:
    """Build an order's clocks from its recorded history, as if they had run all along (for
    orders written without the services: demo data, imports). Wrap many calls in kefu.core.recent.batch();
    EVENTS, if given, are the order's events in order (prefetched by the caller)."""
    if events is None:
        events = order.events.order_by("at", "id")
    for event in events:
        if event.action not in ("sla_policy", "sla_escalation"):
            order_event(order, event)
