"""Reading the clocks: each target's state for the order page and the API, and the orders
past or near their due time for the queues' filters (index ranges on (state, due_at))."""

from datetime import timedelta

from django.utils import timezone

from ..models import Metric, OrderClock
from .clocks import LIVE, _Clockwork


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
