"""/healthz reports the background work: the last successful run of each periodic task, the
SLA scan's age, the live workers; 503 when the scan is stale or escalations are late."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kefu.sla.models import OrderClock
from kefu.sla.tasks import scan_sla
from kefu.web.worker import PERIODIC


def _health(client):
    r = client.get("/healthz")
    return r.status_code, r.json()


def _beat(worker_id, *, started_ago, seen_ago):
    from kefu.web.models import WorkerBeat

    now = timezone.now()
    WorkerBeat.objects.create(worker_id=worker_id, started_at=now - timedelta(seconds=started_ago),
                              seen_at=now - timedelta(seconds=seen_ago), host="test", pid=1)


def _scanned(seconds_ago):
    from kefu.web.models import PeriodicRun

    at = timezone.now() - timedelta(seconds=seconds_ago)
    PeriodicRun.objects.create(task=scan_sla.module_path, last_started_at=at, last_success_at=at)


def test_escalations_late_beyond_the_threshold_answer_503(client, order, settings):
    # No worker has ever run (KEFU_EMBEDDED_WORKER=false and none started): time limits pass unnoticed.
    settings.KEFU_HEALTH_SCAN_STALE_SECONDS = 300
    OrderClock.objects.filter(order=order).update(next_check_at=timezone.now() - timedelta(minutes=10))
    status, body = _health(client)
    assert status == 503 and body["status"] == "error" and body["database"] == "ok"
    assert body["background"]["state"] == "stale"
    assert 590 <= body["background"]["escalations_late_seconds"] <= 700


def test_a_fresh_installation_without_a_worker_says_so_and_stays_healthy(client, db):
    status, body = _health(client)
    assert status == 200
    assert body["background"]["state"] == "no worker seen" and body["background"]["workers"] == 0
    assert body["background"]["scan_age_seconds"] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker closes connections between tasks
def test_a_worker_run_is_reported(client):
    call_command("worker", "--once", verbosity=0)
    status, body = _health(client)
    assert status == 200 and body["background"]["state"] == "ok"
    assert body["background"]["scan_age_seconds"] < 60
    tasks = body["background"]["tasks"]
    assert set(tasks) == {task.name for task, _setting in PERIODIC} >= {"scan_sla", "auto_confirm", "drain_queues",
                                                                       "purge_personal_data"}
    assert all(t["last_success"] for t in tasks.values())
    assert body["background"]["workers"] == 0  # --once has finished: no live worker now


def test_a_stale_scan_answers_503_though_a_worker_is_alive(client, db, settings):
    settings.KEFU_HEALTH_SCAN_STALE_SECONDS = 150
    _beat("w1", started_ago=3600, seen_ago=2)
    _scanned(seconds_ago=151)
    status, body = _health(client)
    assert status == 503 and body["background"]["state"] == "stale"
    assert body["background"]["workers"] == 1 and body["background"]["scan_age_seconds"] >= 151


def test_a_recent_scan_is_healthy(client, db, settings):
    settings.KEFU_HEALTH_SCAN_STALE_SECONDS = 150
    _beat("w1", started_ago=3600, seen_ago=2)
    _scanned(seconds_ago=20)
    status, body = _health(client)
    assert status == 200 and body["background"]["state"] == "ok"


@pytest.mark.parametrize(("started_ago", "expected"), [(30, (200, "starting")), (400, (503, "stale"))])
def test_a_worker_that_never_finished_a_scan_gets_a_grace_period(client, db, settings, started_ago, expected):
    settings.KEFU_HEALTH_SCAN_STALE_SECONDS = 150
    _beat("w1", started_ago=started_ago, seen_ago=1)
    status, body = _health(client)
    assert (status, body["background"]["state"]) == expected
    assert body["background"]["scan_age_seconds"] is None


def test_finished_task_results_older_than_a_week_are_pruned(db, settings):
    from datetime import timedelta

    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from kefu.sla.tasks import scan_sla
    from kefu.web.tasks import prune_task_results

    settings.KEFU_TASK_RESULTS_DAYS = 7
    old, recent, waiting = (scan_sla.enqueue() for _ in range(3))
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.id).update(status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=8))
    DBTaskResult.objects.filter(pk=recent.id).update(status=TaskResultStatus.FAILED, finished_at=now - timedelta(days=6))
    assert prune_task_results.call() == 1
    assert {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} == {recent.id, waiting.id}


def test_the_worker_schedules_the_audit_anchor_and_the_pruning():
    from kefu.audit.tasks import anchor_chain
    from kefu.web.tasks import prune_task_results
    from kefu.web.worker import PERIODIC

    scheduled = {task for task, _every in PERIODIC}
    assert {anchor_chain, prune_task_results} <= scheduled
