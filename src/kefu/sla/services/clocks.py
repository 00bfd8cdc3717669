"""The clocks: started, paused, resumed and stopped, each with its due, warning and next-check
times; and the nearest running times kept on the order for the queues.

Time is counted in each target's "own time": working seconds of its calendar for wm/wh/wd
targets, natural seconds for m/h/d targets (`_Clockwork`, through engine.py). A deadline that
cannot be computed is never guessed (`_fail_closed`). Imports no other module here.
"""

from datetime import timedelta

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.recent import remember as _remember

from ..calendars import UnknownCalendar, calculator_for
from ..engine import CalendarError, Duration, DurationError
from ..models import RESOLUTION_SIDE, Metric, OrderClock

LIVE = (OrderClock.State.RUNNING, OrderClock.State.PAUSED)


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


# --- starting, stopping, pausing -----------------------------------------------------------

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


def _cancel_live(order, at):
    """The order's open life is over: whatever still runs or waits is cancelled."""
    OrderClock.objects.filter(order=order, state__in=LIVE).update(
        state=OrderClock.State.CANCELLED, stopped_at=at, next_check_at=None)


def _restart_updates(order, at):
    """The update interval runs from the last customer-visible word: each one starts it anew."""
    running = list(OrderClock.objects.filter(order=order, metric=Metric.UPDATE, state__in=LIVE))
    if not running:
        return
    _stop(order, [Metric.UPDATE], at)
    _start(order, running[0].policy, at, metrics={Metric.UPDATE}, round=order.reopen_count)


def _pause(order, at):
    from ..models import ClockPause

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


# --- the order's nearest times -------------------------------------------------------------

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
