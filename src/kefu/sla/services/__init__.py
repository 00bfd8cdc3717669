"""SLA rules: which policy an order gets, and its clocks — started, paused, resumed, stopped.

Every event of an order reaches `order_event` in the transaction that wrote it (the order-event
hook's transaction phase, orders.events, subscribed in apps.py); nothing rescans open orders.
Each clock keeps its due time and the time the worker must look next in indexed columns. Time
is counted in each target's "own time": working seconds of its calendar for wm/wh/wd targets,
natural seconds for m/h/d targets.

By concern, as Zammad's lib/escalation; callers import from here
(`from kefu.sla import services as sla`), which names the public face:

- clocks.py — own-time arithmetic (`_Clockwork`, through engine.py), starting, stopping,
  pausing and resuming clocks, and the nearest running times kept on the order
  (`refresh_due`, `refresh_due_all`); imports no other module here
- policy.py — which policy applies (`select_policy`), and recording and applying a choice of
  policy (the `sla_policy` event through orders.events)
- reactions.py — what each order event does to the clocks: `on_order_events` /
  `order_event`, the table action → reaction (`REACTIONS`), and `replay` of a recorded history
- state.py — reading: `sla_state` for the order page and the API, `breached_order_ids`,
  `due_within_order_ids`

Names starting with an underscore are the package's own, imported by its modules from where
they are defined.
"""

from .clocks import LIVE, refresh_due, refresh_due_all
from .policy import POLICY_FIELDS, select_policy
from .reactions import (
    CLOCK_ACTIONS,
    CUSTOMER_WORDS,
    FINAL_WORDS,
    on_order_events,
    order_event,
    replay,
)
from .state import breached_order_ids, due_within_order_ids, sla_state

__all__ = [
    # clocks
    "LIVE", "refresh_due", "refresh_due_all",
    # policy
    "POLICY_FIELDS", "select_policy",
    # reactions
    "CLOCK_ACTIONS", "CUSTOMER_WORDS", "FINAL_WORDS", "on_order_events", "order_event", "replay",
    # state
    "breached_order_ids", "due_within_order_ids", "sla_state",
]
