"""Which SLA policy an order gets: the most specific active policy its facts match
(orders.matching), chosen on creation and again when a field a policy matches on changes. Each
choice is recorded as an `sla_policy` event through orders.events, saying what matched; on a
change of policy the live clocks move to the new policy's targets.
"""

from kefu.core.recent import remember as _remember
from kefu.orders import events as order_events
from kefu.orders.matching import matched_criteria, order_facts

from ..models import Metric, OrderClock, SlaPolicy
from .clocks import LIVE, _schedule, _start

POLICY_FIELDS = {"kind", "category_id", "severity", "channel", "subscription_id"}


def _active_policies() -> list:
    return _remember("policies", lambda: list(SlaPolicy.objects.filter(is_active=True).prefetch_related("targets__calendar")))


def select_policy(order):
    """(policy, criteria it matched on) — the most specific active match, or (None, {})."""
    facts = order_facts(order)
    best, best_key, best_reasons = None, None, {}
    policies = _active_policies()
    for policy in policies:
        reasons = matched_criteria(policy, facts)
        if reasons is not None:
            key = (len(reasons), policy.priority, -policy.pk)
            if best_key is None or key > best_key:
                best, best_key, best_reasons = policy, key, reasons
    return best, best_reasons


def _current_policy(order, clocks=None):
    """The policy of the order's latest clock; CLOCKS, if the caller already read them (id order)."""
    if clocks is None:
        policy_id = OrderClock.objects.filter(order=order, policy__isnull=False).order_by("-id").values_list("policy_id", flat=True).first()
    else:
        policy_id = next((c.policy_id for c in reversed(clocks) if c.policy_id is not None), None)
    if policy_id is None:
        return None
    found = next((p for p in _active_policies() if p.pk == policy_id), None)
    return found or SlaPolicy.objects.prefetch_related("targets__calendar").filter(pk=policy_id).first()


def _apply_policy(order, event, at):
    """Choose the policy; on a change of policy, move the live clocks to the new targets."""
    policy, reasons = select_policy(order)
    fresh = event.action == "create"  # a new order has no clocks and no policy yet
    # One read of the order's clocks serves the current policy, the live ones and this round's.
    clocks = [] if fresh else list(OrderClock.objects.filter(order=order).select_related("calendar").order_by("id"))
    previous = None if fresh else _current_policy(order, clocks)
    if not fresh and policy == previous:
        return
    order_events.record(order, event.actor_id, "sla_policy", event.to_status, event.to_status, at=at,
                        data={"policy": policy.name if policy else None, "policy_id": policy.pk if policy else None,
                              "matched_on": {k: v if not isinstance(v, set) else sorted(v) for k, v in reasons.items()},
                              "previous": previous.name if previous else None})
    if policy is None:
        return
    if fresh:
        _start(order, policy, at, metrics=set(Metric.values), round=order.reopen_count)
        return
    targets = {t.metric: t for t in policy.targets.all()}
    moved = [c for c in clocks if c.state in LIVE]
    for clock in moved:
        target = targets.get(clock.metric)
        if target is None:
            clock.state, clock.stopped_at, clock.next_check_at = OrderClock.State.CANCELLED, at, None
        else:
            clock.policy, clock.calendar, clock.duration, clock.warn_percent = policy, target.calendar, target.duration, target.warn_percent
            _schedule(clock)
        # Row by row: Django's bulk_update builds a CASE per field and row, and measured
        # slower than these few UPDATEs (bench/routing.py).
        clock.save(update_fields=["state", "stopped_at", "next_check_at", "policy", "calendar", "duration",
                                  "warn_percent", "due_at", "warn_at"])
    done = {c.metric for c in clocks if c.round == order.reopen_count}
    _start(order, policy, order.created_at, metrics=set(targets) - done, round=order.reopen_count)
