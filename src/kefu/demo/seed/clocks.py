"""The SLA side of the demo, through the SLA services: open orders' clocks, and the escalations
those clocks would have fired before the horizon."""

import datetime as dt

from django.db.models import F, Prefetch, Q

from kefu.orders.models import OPEN_STATUSES, OrderEvent, WorkOrder

from .params import NOTIFICATIONS_READ_AFTER


def order_clocks(first_id, since: dt.datetime) -> tuple[int, int]:
    """Orders get their time limits by replaying their history through the SLA service, so the
    demo shows running, paused and breached clocks exactly as live orders have them: every open
    order, and the finished ones registered since SINCE (the months the reports compare: their
    on-time rates come from these clocks). Older finished orders are left without; replaying
    thousands more would only slow the seed. Returns (open, finished) orders replayed."""
    from kefu.core.recent import batch
    from kefu.sla.services import replay

    orders = (WorkOrder.objects.filter(pk__gte=first_id).filter(Q(status__in=OPEN_STATUSES) | Q(created_at__gte=since))
              .select_related("customer", "subscription").order_by("pk"))
    counts = [0, 0]
    with batch():
        for order in orders.prefetch_related(Prefetch("events", OrderEvent.objects.order_by("at", "id"))).iterator(chunk_size=500):
            replay(order, order.events.all())
            counts[order.status not in OPEN_STATUSES] += 1
    return counts[0], counts[1]


def escalation_history(horizon) -> int:
    """Run the escalation scan at each moment a check fell due before the horizon, as the worker
    would have then: warnings and breaches of the demo's clocks are history (events, escalations
    and notifications at their own times), and the worker started after `kefu demo` finds no
    backlog. Notifications older than NOTIFICATIONS_READ_AFTER were read by their recipients.
    Returns the escalations written."""
    import logging

    from kefu.notifications.models import Notification
    from kefu.sla import escalation
    from kefu.sla.models import Escalation

    before = Escalation.objects.count()
    logger = logging.getLogger("kefu.sla")
    level = logger.level
    logger.setLevel(logging.WARNING)  # hundreds of "escalated" lines would bury the logins
    try:
        while (moment := escalation.oldest_due_check(horizon)) is not None:
            escalation.scan(moment, limit=10**6)
    finally:
        logger.setLevel(level)
    read_before = horizon - NOTIFICATIONS_READ_AFTER
    Notification.objects.filter(read_at=None, created_at__lt=read_before).update(
        read_at=F("created_at") + dt.timedelta(minutes=5))
    return Escalation.objects.count() - before
