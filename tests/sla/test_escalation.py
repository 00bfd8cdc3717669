"""The escalation scan: warning → handler, breach → department lead, an hour later →
supervisors; each step once, recorded on the order; paused and stopped clocks stay quiet."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from kefu.notifications.models import Notification
from kefu.orders import services
from kefu.sla import escalation
from kefu.sla.models import Escalation, OrderClock

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 9, 29, 10, 0, tzinfo=CST)


@pytest.fixture
def order(agent, handler, customer, subscription, departments):
    departments["tech-support"].lead = handler
    departments["tech-support"].save()
    with mock.patch("django.utils.timezone.now", return_value=T0):
        o = services.create_order(agent, kind="fault", severity="major", title="整栋楼断网", customer_id=customer.pk,
                                  subscription_id=subscription.pk, channel="hotline")
        services.accept(agent, o.pk)
        services.assign(agent, o.pk, department_id=departments["tech-support"].pk)
    # Watch one time limit only: the restoration of service.
    OrderClock.objects.filter(order=o).exclude(metric="resolution").delete()
    return o


def _resolution(order):
    return OrderClock.objects.get(order=order, metric="resolution")


def test_steps_fire_in_order_and_once(order, agent, handler, supervisor, departments):
    supervisor.department = departments["tech-support"]
    supervisor.save()
    clock = _resolution(order)  # major fault: restored within 2 h, warning at 80 % = 96 min
    assert clock.next_check_at == T0 + timedelta(minutes=96)
    assert escalation.scan(T0 + timedelta(minutes=95)) == 0

    escalation.scan(T0 + timedelta(minutes=97))
    clock.refresh_from_db()
    assert clock.warned_at is not None and clock.breached_at is None
    assert clock.next_check_at == T0 + timedelta(hours=2)
    # Nobody handles it yet, so the owner hears of the warning.
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["agent"]

    escalation.scan(T0 + timedelta(hours=2, minutes=1))
    clock.refresh_from_db()
    assert clock.breached_at == T0 + timedelta(hours=2)
    assert clock.next_check_at == T0 + timedelta(hours=3)
    assert Notification.objects.filter(recipient=handler).count() == 1  # the department lead

    escalation.scan(T0 + timedelta(hours=3, minutes=5))
    escalation.scan(T0 + timedelta(hours=5))  # nothing left: no repeats
    assert Notification.objects.filter(recipient=supervisor).count() == 1
    assert Escalation.objects.filter(clock=clock).count() == 3
    assert _resolution(order).next_check_at is None
    events = order.events.filter(action="sla_escalation").order_by("id")
    assert [e.data["level"] for e in events if e.data["metric"] == "resolution"] == [1, 2, 3]


def test_a_lost_race_does_not_repeat_a_step(order):
    clock = _resolution(order)
    escalation.scan(T0 + timedelta(minutes=97))
    # Another worker read the clock before the first one wrote: its next check is still due.
    OrderClock.objects.filter(pk=clock.pk).update(next_check_at=T0 + timedelta(minutes=96))
    escalation.scan(T0 + timedelta(minutes=98))
    assert Escalation.objects.filter(clock=clock).count() == 1


def test_paused_and_stopped_clocks_are_not_escalated(order, handler):
    services.claim(handler, order.pk)
    services.start(handler, order.pk)
    with mock.patch("django.utils.timezone.now", return_value=T0 + timedelta(minutes=10)):
        services.wait_for_customer(handler, order.pk, reason="等待客户在家")
    assert _resolution(order).next_check_at is None
    escalation.scan(T0 + timedelta(hours=10))
    assert not Escalation.objects.filter(clock__metric="resolution").exists()


def test_the_scan_reads_the_partial_index(db):
    from django.db import connection
    from django.utils import timezone

    qs = escalation.due_clocks(timezone.now())
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An empty table is cheapest to scan whole; ask whether the index can drive it.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "sla_clock_next_check" in plan, plan


def test_inbox_over_the_api(order, api_client, agent, handler):
    escalation.scan(T0 + timedelta(minutes=97))
    inbox = api_client(agent).get("/notifications").json()
    assert len(inbox) == 1 and order.number in inbox[0]["message"]
    assert api_client(handler).post(f"/notifications/{inbox[0]['id']}/read").status_code == 404
    assert api_client(agent).post(f"/notifications/{inbox[0]['id']}/read").json()["read_at"] is not None
    assert api_client(agent).get("/notifications").json() == []
    assert len(api_client(agent).get("/notifications?unread=false").json()) == 1
