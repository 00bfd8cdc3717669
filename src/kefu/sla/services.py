"""SLA rules: which policy an order gets, and its clocks — started, paused, resumed, stopped.

Every event of an order reaches `order_event` in the transaction that wrote it (the order-event
hook's transaction phase, orders.events, subscribed in apps.py); nothing rescans open orders.
Each clock keeps its due time and the time the worker must look next in indexed columns. Time
is counted in each target's "own time": working seconds of its calendar for wm/wh/wd targets,
natural seconds for m/h/d targets.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.recent import remember as _remember
from kefu.orders import events as order_events
from kefu.orders.matching import matched_criteria, order_facts

from .calendars import UnknownCalendar, calculator_for
from .engine import CalendarError, Duration, DurationError
from .models import RESOLUTION_SIDE, Metric, OrderClock, SlaPolicy

POLICY_FIELDS = {"kind", "category_id", "severity", "channel", "subscription_id"}
LIVE = (OrderClock.State.RUNNING, OrderClock.State.PAUSED)


# --- policy selection ----------------------------------------------------------------------

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


# --- own time ------------------------------------------------------------------------------

class _Clockwork:
    """Deadline arithmetic for one target: its calendar and its unit of time."""

    def __init__(self, calendar_name: str, duration: str):
        try:
            self.calc = _remember(("calendar", calendar_name), lambda: calculator_for(calendar_name))
            self.duration = Duration.parse(duration)
        except (UnknownCalendar, DurationError) as exc:
            raise ValidationFailed(_("The SLA target is misconfigured: %(e)s") % {"e": exc}) from None

    def deadline(self, start):
        return _fail_closed(self.calc.deadline, start, self.duration)

    def add(self, start, seconds: int):
        if self.duration.is_working:
            return _fail_closed(self.calc.add_working_seconds, start, seconds)
        return start + timedelta(seconds=seconds)

    def between(self, a, b) -> int:
        if b <= a:
            return -self.between(b, a) if b < a else 0
        if self.duration.is_working:
            return _fail_closed(self.calc.working_seconds_between, a, b)
        return int((b - a).total_seconds())


def _fail_closed(fn, *args):
    try:
        return fn(*args)
    except CalendarError as exc:
        # Never guess a deadline: the caller gets a 422 and nothing is written.
        raise ValidationFailed(_("Cannot compute a deadline: %(e)s.") % {"e": exc}, fields={"calendar": str(exc)}) from None


def _schedule(clock: OrderClock) -> None:
    """Set due, warning and next-check times from start, target and pauses so far."""
    work = _Clockwork(clock.calendar.name, clock.duration)
    base_due = work.deadline(clock.started_at)
    length = work.between(clock.started_at, base_due)
    clock.due_at = work.add(base_due, clock.paused_seconds) if clock.paused_seconds else base_due
    clock.warn_at = work.add(clock.started_at, length * clock.warn_percent // 100 + clock.paused_seconds)
    _set_next_check(clock)


def _set_next_check(clock):
    if clock.state != OrderClock.State.RUNNING:
        clock.next_check_at = None
    elif clock.warned_at is None and clock.warn_at < clock.due_at:
        clock.next_check_at = clock.warn_at
    elif clock.breached_at is None:
        clock.next_check_at = clock.due_at
    else:
        clock.next_check_at = None


# --- reacting to the order's events --------------------------------------------------------

CLOCK_ACTIONS = frozenset({"create", "accept", "resolve", "reject", "cancel", "wait", "resume", "answer", "reopen", "close", "merge"})
# Customer-visible events that are the customer's own words, not the provider's reply to them:
# they stop no response clock.
CUSTOMER_WORDS = frozenset({"answer"})
# Words to the customer that end the order's open life: they answer the first response but
# start no new update interval.
FINAL_WORDS = frozenset({"resolve", "reject", "cancel"})


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


def refresh_due(order) -> None:
    """Keep the order's nearest running due and warning times on the order itself, so queues
    sort by them on an index instead of aggregating clocks for every row listed."""
    from django.db.models import Min

    from kefu.orders.models import WorkOrder

    times = OrderClock.objects.filter(order=order, state=OrderClock.State.RUNNING).aggregate(due=Min("due_at"), warn=Min("warn_at"))
    if (times["due"], times["warn"]) != (order.sla_due_at, order.sla_warn_at):
        order.sla_due_at, order.sla_warn_at = times["due"], times["warn"]
        WorkOrder.objects.filter(pk=order.pk).update(sla_due_at=times["due"], sla_warn_at=times["warn"])


def refresh_due_all(order_ids=None) -> int:
    """The same for many orders in one UPDATE (migrations, generated data)."""
    from django.db.models import Min, OuterRef, Subquery

    from kefu.orders.models import WorkOrder

    running = OrderClock.objects.filter(order=OuterRef("pk"), state=OrderClock.State.RUNNING).values("order")
    qs = WorkOrder.objects.all() if order_ids is None else WorkOrder.objects.filter(pk__in=order_ids)
    return qs.update(sla_due_at=Subquery(running.annotate(m=Min("due_at")).values("m")[:1]),
                     sla_warn_at=Subquery(running.annotate(m=Min("warn_at")).values("m")[:1]))


def _react(order, event) -> None:
    at, action = event.at, event.action
    if action == "create":
        _apply_policy(order, event, at)
        return
    if POLICY_FIELDS & set(event.data.get("changes", {})):
        _apply_policy(order, event, at)
        return
    if action == "accept":
        _stop(order, [Metric.ACCEPTANCE], at)
    if (event.visibility == "customer" and action not in CUSTOMER_WORDS) or action in {"resolve", "reject", "cancel"}:
        _stop(order, [Metric.FIRST_RESPONSE], at)
        if action not in FINAL_WORDS:
            _restart_updates(order, at)
    if action == "wait":
        _pause(order, at)
    elif action in {"resume", "answer"}:
        _resume(order, at)
    elif action == "resolve":
        # The resolution is the last update while open: no update is due after it (a word to
        # the customer or the confirmation starts no new interval; reopening does).
        _stop(order, [Metric.INVESTIGATION, Metric.RESOLUTION, Metric.FEEDBACK, Metric.UPDATE], at)
    elif action == "reopen":
        _start(order, _current_policy(order), at, metrics=RESOLUTION_SIDE | {Metric.UPDATE}, round=order.reopen_count)
    elif action in {"close", "reject", "cancel", "merge"}:
        _stop(order, [Metric.CLOSURE], at)
        OrderClock.objects.filter(order=order, state__in=LIVE).update(
            state=OrderClock.State.CANCELLED, stopped_at=at, next_check_at=None)


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


def _start(order, policy, at, *, metrics, round):
    if policy is None:
        return
    clocks = []
    for target in policy.targets.all():
        if target.metric in metrics:
            clock = OrderClock(order=order, metric=target.metric, round=round, policy=policy, calendar=target.calendar,
                               duration=target.duration, warn_percent=target.warn_percent, started_at=at)
            _schedule(clock)
            clocks.append(clock)
    OrderClock.objects.bulk_create(clocks)


def _stop(order, metrics, at):
    for clock in OrderClock.objects.filter(order=order, metric__in=metrics, state__in=LIVE).select_related("calendar"):
        if clock.state == OrderClock.State.PAUSED:
            _unpause(clock, at)
        work = _Clockwork(clock.calendar.name, clock.duration)
        clock.state, clock.stopped_at, clock.next_check_at = OrderClock.State.MET, at, None
        clock.taken_seconds = max(work.between(clock.started_at, at) - clock.paused_seconds, 0)
        if at > clock.due_at and clock.breached_at is None:
            clock.breached_at = clock.due_at
        clock.save()


def _restart_updates(order, at):
    """The update interval runs from the last customer-visible word: each one starts it anew."""
    running = list(OrderClock.objects.filter(order=order, metric=Metric.UPDATE, state__in=LIVE))
    if not running:
        return
    _stop(order, [Metric.UPDATE], at)
    _start(order, running[0].policy, at, metrics={Metric.UPDATE}, round=order.reopen_count)


def _pause(order, at):
    from .models import ClockPause

    running = OrderClock.objects.filter(order=order, metric__in=RESOLUTION_SIDE, state=OrderClock.State.RUNNING)
    ids = list(running.values_list("pk", flat=True))
    OrderClock.objects.filter(pk__in=ids).update(state=OrderClock.State.PAUSED, paused_at=at, next_check_at=None)
    ClockPause.objects.bulk_create([ClockPause(clock_id=pk, started_at=at) for pk in ids])


def _resume(order, at):
    for clock in OrderClock.objects.filter(order=order, state=OrderClock.State.PAUSED).select_related("calendar"):
        _unpause(clock, at)
        _schedule(clock)
        clock.save()


def _unpause(clock, at):
    work = _Clockwork(clock.calendar.name, clock.duration)
    seconds = work.between(clock.paused_at, at)
    pause = clock.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if pause is not None:
        pause.ended_at, pause.seconds = at, seconds
        pause.save(update_fields=["ended_at", "seconds"])
    clock.paused_seconds += seconds
    clock.state, clock.paused_at = OrderClock.State.RUNNING, None


# --- reading -------------------------------------------------------------------------------

def sla_state(order, now=None) -> list[dict]:
    """Each target's latest clock: due time, remaining own time, state, met or breached."""
    now = now or timezone.now()
    latest = {}
    for clock in order.clocks.select_related("calendar").order_by("id"):
        latest[clock.metric] = clock
    out = []
    for metric in Metric.values:
        clock = latest.get(metric)
        if clock is None:
            continue
        work = _Clockwork(clock.calendar.name, clock.duration)
        live = clock.state in LIVE
        reference = (clock.paused_at if clock.state == OrderClock.State.PAUSED else now) if live else clock.stopped_at
        remaining = work.between(reference, clock.due_at) if live else None
        out.append({"metric": metric, "round": clock.round, "calendar": clock.calendar.name, "duration": clock.duration,
                    "started_at": clock.started_at, "due_at": clock.due_at, "warn_at": clock.warn_at, "state": clock.state,
                    "remaining_minutes": None if remaining is None else remaining // 60,
                    "breached": clock.is_breached or (live and clock.state == OrderClock.State.RUNNING and now > clock.due_at),
                    "stopped_at": clock.stopped_at,
                    "taken_minutes": None if clock.taken_seconds is None else clock.taken_seconds // 60})
    return out


def breached_order_ids(now=None):
    """Orders with a running clock past its due time (an index range on (state, due_at))."""
    return OrderClock.objects.filter(state=OrderClock.State.RUNNING, due_at__lt=now or timezone.now()).values("order_id")


def due_within_order_ids(minutes: int, now=None):
    now = now or timezone.now()
    return OrderClock.objects.filter(state=OrderClock.State.RUNNING, due_at__gte=now,
                                     due_at__lt=now + timedelta(minutes=minutes)).values("order_id")


def replay(order, events=None) -> None:
    """Build an order's clocks from its recorded history, as if they had run all along (for
    orders written without the services: demo data, imports). Wrap many calls in kefu.core.recent.batch();
    EVENTS, if given, are the order's events in order (prefetched by the caller)."""
    if events is None:
        events = order.events.order_by("at", "id")
    for event in events:
        if event.action not in ("sla_policy", "sla_escalation"):
            order_event(order, event)
