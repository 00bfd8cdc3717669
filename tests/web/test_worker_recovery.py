"""A worker that stops does not switch periodic work off (issue 12, item 1).

A task result left RUNNING by a worker that no longer beats is taken back and run again; a
live worker's task is left alone; SIGTERM lets the scan finish the batch it is in and the
worker stop cleanly. These run in-process, on SQLite and on PostgreSQL; the subprocess tests
that really kill workers are in test_worker_faults.py.
"""

import os
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kefu.orders import services
from kefu.sla import escalation, tasks
from kefu.sla.models import Escalation, EscalationStep, OrderClock
from kefu.sla.tasks import scan_sla

SCAN = scan_sla.module_path


def _overdue(agent, customer, n=1):
    """N consultations whose every clock is three hours past its due time."""
    orders = [services.create_order(agent, kind="consultation", title=f"流量包咨询{i}", customer_id=customer.pk, channel="wechat")
              for i in range(n)]
    past = timezone.now() - timedelta(hours=3)
    OrderClock.objects.filter(order__in=orders).update(warn_at=past, due_at=past, next_check_at=past)
    return orders


def _left_running(worker_ids, minutes_ago=10):
    """A scan that WORKER_IDS claimed MINUTES_AGO and never finished (the process died)."""
    result = scan_sla.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(status=TaskResultStatus.RUNNING, worker_ids=worker_ids,
                                                   started_at=timezone.now() - timedelta(minutes=minutes_ago))
    return DBTaskResult.objects.get(pk=result.id)


def _beat(worker_id, seconds_ago):
    from kefu.web.models import WorkerBeat

    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerBeat.objects.create(worker_id=worker_id, started_at=seen - timedelta(minutes=5), seen_at=seen, host="test", pid=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_once_runs_again_a_scan_whose_worker_is_gone(agent, customer):
    # The issue: the RUNNING row of a killed worker counted as busy for ever, so no scan ran again.
    orders = _overdue(agent, customer)
    stuck = _left_running(["never-beat"])
    call_command("worker", "--once", verbosity=0)
    stuck.refresh_from_db()
    assert stuck.status == TaskResultStatus.SUCCESSFUL  # the same result, run again: its id stays valid
    assert stuck.worker_ids[0] == "never-beat" and len(stuck.worker_ids) == 2
    assert Escalation.objects.filter(clock__order__in=orders).exists()
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scan_whose_worker_stopped_beating_runs_again(agent, customer, settings):
    settings.KEFU_WORKER_LEASE_SECONDS = 60
    orders = _overdue(agent, customer)
    _beat("dead", seconds_ago=61)
    stuck = _left_running(["dead"])
    call_command("worker", "--once", verbosity=0)
    stuck.refresh_from_db()
    assert stuck.status == TaskResultStatus.SUCCESSFUL
    assert Escalation.objects.filter(clock__order__in=orders).count() == (
        OrderClock.objects.filter(order__in=orders).count() * EscalationStep.objects.filter(is_active=True).count())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_live_workers_scan_is_left_alone(agent, customer, settings):
    settings.KEFU_WORKER_LEASE_SECONDS = 60
    orders = _overdue(agent, customer)
    _beat("alive", seconds_ago=5)
    running = _left_running(["alive"])
    call_command("worker", "--once", verbosity=0)
    running.refresh_from_db()
    assert running.status == TaskResultStatus.RUNNING and running.worker_ids == ["alive"]
    assert DBTaskResult.objects.filter(task_path=SCAN).count() == 1  # no second scan beside it
    assert not Escalation.objects.filter(clock__order__in=orders).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_that_lost_its_worker_too_often_fails_and_a_fresh_scan_runs(agent, customer):
    from kefu.web import worker

    orders = _overdue(agent, customer)
    poison = _left_running([f"w{i}" for i in range(worker.MAX_ATTEMPTS)])
    call_command("worker", "--once", verbosity=0)
    poison.refresh_from_db()
    assert poison.status == TaskResultStatus.FAILED
    assert poison.exception_class_path == "kefu.web.worker.WorkerLost"
    assert DBTaskResult.objects.filter(task_path=SCAN, status=TaskResultStatus.SUCCESSFUL).count() == 1
    assert Escalation.objects.filter(clock__order__in=orders).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sigterm_finishes_the_batch_then_the_worker_stops(agent, customer, settings, monkeypatch):
    settings.KEFU_SLA_SCAN_BATCH = 2
    orders = _overdue(agent, customer, n=3)
    clocks = OrderClock.objects.filter(order__in=orders).count()
    assert clocks > 2 * settings.KEFU_SLA_SCAN_BATCH  # several batches to do
    real_scan, batches = escalation.scan, []

    def scan_then_sigterm(*args, **kwargs):
        batches.append(real_scan(*args, **kwargs))
        if len(batches) == 1:  # as an operator stopping the service would, mid-scan
            os.kill(os.getpid(), signal.SIGTERM)
        return batches[-1]

    def unhandled(signum, frame):
        raise AssertionError("the worker left SIGTERM to the default handler (the process would die mid-scan)")

    monkeypatch.setattr(escalation, "scan", scan_then_sigterm)
    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        call_command("worker", "--once", verbosity=0)
        assert signal.getsignal(signal.SIGTERM) is unhandled  # the worker put the handler back
    finally:
        signal.signal(signal.SIGTERM, previous)
    scan = DBTaskResult.objects.get(task_path=SCAN)
    assert scan.status == TaskResultStatus.SUCCESSFUL, scan.traceback
    assert batches == [2]  # the batch in hand was finished, no further one begun
    steps = EscalationStep.objects.filter(is_active=True).count()
    assert Escalation.objects.count() == 2 * steps  # both clocks of that batch, every step: nothing half done
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    assert not [t for t in threading.enumerate() if t.name == "kefu-worker-beat"]  # the beat thread stopped too
    assert not tasks.stop_requested.is_set()  # a later scan in this process runs to the end again
