"""After a crash a scan is run again over clocks it may already have handled in part: each
(clock, step) must still be carried out, told and recorded exactly once."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from kefu.notifications.models import Notification
from kefu.orders import services
from kefu.orders.models import OrderEvent
from kefu.sla import escalation
from kefu.sla.models import Escalation, EscalationStep, OrderClock


def _scan_all():
    while escalation.scan():
        pass


def _recorded(order):
    """How often each (metric, level) was recorded on the order."""
    return Counter((e.data["metric"], e.data["level"]) for e in OrderEvent.objects.filter(order=order, action="sla_escalation"))


def test_a_rescan_does_only_the_steps_not_done_and_then_nothing(agent, customer):
    order = services.create_order(agent, kind="complaint", title="宽带断线", customer_id=customer.pk, channel="hotline")
    past = timezone.now() - timedelta(hours=3)
    OrderClock.objects.filter(order=order).update(warn_at=past, due_at=past, next_check_at=past)
    clocks = list(OrderClock.objects.filter(order=order).order_by("pk"))
    steps = list(EscalationStep.objects.filter(is_active=True).order_by("level"))
    # Committed before a crash: the first step of the first clock, whose next check did not move.
    Escalation.objects.create(clock=clocks[0], step=steps[0], at=past, recipients=[])
    _scan_all()
    assert Escalation.objects.filter(clock__in=clocks).count() == len(clocks) * len(steps)
    recorded = _recorded(order)
    assert recorded[(clocks[0].metric, steps[0].level)] == 0  # done before the crash: not again
    assert set(recorded.values()) == {1} and len(recorded) == len(clocks) * len(steps) - 1
    # A reclaimed scan runs again over every clock, as if no next check had moved: nothing more.
    before = (Escalation.objects.count(), Notification.objects.count(), recorded)
    OrderClock.objects.filter(order=order).update(next_check_at=past)
    _scan_all()
    assert (Escalation.objects.count(), Notification.objects.count(), _recorded(order)) == before
