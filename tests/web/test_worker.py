"""`kefu worker --once`: schedules the periodic tasks (once, however often it is asked) and runs them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kefu.orders import services
from kefu.sla.models import Escalation, OrderClock
from kefu.sla.tasks import scan_sla
from kefu.web.worker import enqueue_if_idle


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_once_runs_the_scan(agent, customer):
    order = services.create_order(agent, kind="consultation", title="流量包咨询", customer_id=customer.pk, channel="wechat")
    past = timezone.now() - timedelta(minutes=30)
    OrderClock.objects.filter(order=order).update(warn_at=past, due_at=past, next_check_at=past)
    call_command("worker", "--once", verbosity=0)
    assert Escalation.objects.filter(clock__order=order).exists()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_periodic_tasks_are_not_queued_twice(db):
    assert enqueue_if_idle(scan_sla) is True
    assert enqueue_if_idle(scan_sla) is False
    assert DBTaskResult.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_scans_escalate_each_step_once(agent, customer):
    import threading

    from django.db import connection

    from kefu.notifications.models import Notification
    from kefu.sla import escalation
    from kefu.sla.models import EscalationStep

    orders = [services.create_order(agent, kind="complaint", title=f"投诉{i}", customer_id=customer.pk, channel="hotline")
              for i in range(30)]
    past = timezone.now() - timedelta(hours=3)
    OrderClock.objects.filter(order__in=orders).update(warn_at=past, due_at=past, next_check_at=past)
    now = timezone.now()
    barrier = threading.Barrier(3)

    def worker():
        try:
            barrier.wait()
            while escalation.scan(now, limit=7):
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clocks = OrderClock.objects.filter(order__in=orders).count()
    steps = EscalationStep.objects.filter(is_active=True).count()
    assert Escalation.objects.count() == clocks * steps  # every step of every clock, once
    per_step = Notification.objects.values("order_id", "message", "recipient_id").distinct().count()
    assert per_step == Notification.objects.count()  # nobody told the same thing twice
