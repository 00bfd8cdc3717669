"""Real `kefu worker` and `kefu serve` processes killed and stopped on PostgreSQL (issue 12, item 1).

The scan is caught mid-batch deterministically: the test holds the row lock of one order, so
the worker commits the batches before that order's clocks and then waits inside the batch
that reaches them (committing it checks the deferred foreign keys of its notifications and
order events, which needs the order row). Only then is it killed or told to stop.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kefu.notifications.models import Notification
from kefu.orders import services
from kefu.orders.models import OrderEvent, WorkOrder
from kefu.sla.models import Escalation, EscalationStep, OrderClock
from kefu.sla.tasks import scan_sla

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BATCH = 20
FREE, BLOCKED = 100, 100  # clocks on an order nobody holds, then clocks on the order the test locks


def _env(**extra):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return os.environ | {"DATABASE_URL": url, "KEFU_FIELD_KEYS": settings.KEFU_FIELD_KEYS, "KEFU_SLA_SCAN_BATCH": str(BATCH),
                         "KEFU_WORKER_LEASE_SECONDS": "3", "KEFU_SLA_SCAN_SECONDS": "1"} | extra


def _start(*args, **env):
    return subprocess.Popen([sys.executable, "-m", "kefu.cli", *args], env=_env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}")
        time.sleep(0.05)
    return value


def _due_clocks(agent, customer):
    """FREE clocks on one order, then BLOCKED clocks on another, all due three hours ago, in
    that order of next check. Returns the second order (the one the test will lock)."""
    free, blocked = (services.create_order(agent, kind="complaint", title=t, customer_id=customer.pk, channel="hotline")
                     for t in ("宽带断线", "话费多扣"))
    template = OrderClock.objects.filter(order=free).first()
    OrderClock.objects.update(next_check_at=None, state=OrderClock.State.MET)  # only the clocks below are due
    past = timezone.now() - timedelta(hours=3)
    fields = {f.attname: getattr(template, f.attname) for f in OrderClock._meta.concrete_fields if not f.primary_key}
    OrderClock.objects.bulk_create(
        OrderClock(**fields | {"order_id": (free if i < FREE else blocked).pk, "round": i + 1, "state": OrderClock.State.RUNNING,
                              "warn_at": past, "due_at": past, "next_check_at": past + timedelta(milliseconds=i),
                              "breached_at": None, "warned_at": None})
        for i in range(FREE + BLOCKED))
    return blocked


def _waiting_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view stays as first read in this transaction
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _counts():
    """Escalations, their order events and the notices about orders (the worker's other turns,
    e.g. last month's assessment published, tell people of other things)."""
    return (Escalation.objects.count(), OrderEvent.objects.filter(action="sla_escalation").count(),
            Notification.objects.filter(order__isnull=False).count())


def test_a_worker_killed_mid_scan_leaves_every_step_done_exactly_once(agent, customer, capsys):
    blocked = _due_clocks(agent, customer)
    steps = EscalationStep.objects.filter(is_active=True).count()
    due = (FREE + BLOCKED) * steps
    with transaction.atomic():
        WorkOrder.objects.select_for_update().get(pk=blocked.pk)
        worker = _start("worker")
        try:
            _until(_waiting_on_a_lock, 60, "the worker waits inside the batch that reaches the locked order")
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            worker.kill()
        before = Escalation.objects.count()
    assert before == FREE * steps  # the batches before the locked order, whole; the one in hand, not at all
    assert DBTaskResult.objects.get(task_path=scan_sla.module_path).status == TaskResultStatus.RUNNING
    again = _start("worker")
    try:
        _until(lambda: Escalation.objects.count() == due, 60, f"every one of the {due} due steps is done")
        again.send_signal(signal.SIGTERM)
        assert again.wait(30) == 0
    finally:
        again.kill()
    escalations, events, told = _counts()
    pairs = Escalation.objects.values("clock_id", "step_id").distinct().count()
    recipients = sum(len(r) for r in Escalation.objects.values_list("recipients", flat=True))
    with capsys.disabled():
        print(f"\nkill -9 mid-scan: steps due {due}, done before the kill {before}, done in all {escalations}, "
              f"distinct (clock, step) {pairs}, escalation events {events}, notifications {told} for {recipients} recipients")
    assert escalations == pairs == events == due  # every step once: none lost, none twice
    assert told == recipients  # each person told once per step
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_sigterm_mid_scan_finishes_the_batch_and_exits_cleanly(agent, customer, capsys):
    blocked = _due_clocks(agent, customer)
    steps = EscalationStep.objects.filter(is_active=True).count()
    with transaction.atomic():
        WorkOrder.objects.select_for_update().get(pk=blocked.pk)
        worker = _start("worker")
        try:
            _until(_waiting_on_a_lock, 60, "the worker waits inside the batch that reaches the locked order")
            worker.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # the signal arrives while the batch is held up; then the lock goes
        except BaseException:
            worker.kill()
            raise
    try:
        code = worker.wait(30)
    finally:
        worker.kill()
    done = Escalation.objects.count()
    scan = DBTaskResult.objects.get(task_path=scan_sla.module_path)
    with capsys.disabled():
        print(f"\nSIGTERM mid-scan: exit code {code}, steps done {done} of {(FREE + BLOCKED) * steps}, scan {scan.status}")
    assert code == 0
    assert done == (FREE + BATCH) * steps  # the batch in hand was finished, and no further one begun
    assert scan.status == TaskResultStatus.SUCCESSFUL
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _embedded_workers(server_pid):
    """The pids of the server's children that run `kefu worker` (the web workers are forks)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    found = []
    for pid in children:
        try:
            if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                found.append(int(pid))
        except FileNotFoundError:
            pass
    return found


def test_serve_restarts_a_killed_embedded_worker(db):
    port = _free_port()
    server = _start("serve", "--port", str(port), "--workers", "1")
    try:
        first = _until(lambda: _embedded_workers(server.pid), 30, "the server starts its worker")
        os.kill(first[0], signal.SIGKILL)
        second = _until(lambda: [p for p in _embedded_workers(server.pid) if p not in first], 30, "a new worker replaces it")
        assert len(second) == 1
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["database"] == "ok"
        server.send_signal(signal.SIGTERM)
        assert server.wait(40) == 0
        assert not Path(f"/proc/{second[0]}").exists()  # stopped with the server, and reaped
    finally:
        server.kill()
