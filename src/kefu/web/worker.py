"""The life of a `kefu worker` process (decision 0019).

django-tasks-db marks a task RUNNING when a worker claims it and finished when it returns; a
worker killed in between (kill -9, out of memory, a lost host) leaves it RUNNING for ever, and
the scheduler, which queues a periodic task only when none is waiting or running, then never
queues that task again. So each worker records that it is alive (`WorkerBeat.seen_at`, every
sixth of KEFU_WORKER_LEASE_SECONDS, from a thread of its own) and every worker looks out for
RUNNING tasks whose worker has been silent for the whole lease: those are taken back and run
again (at least once), or, after MAX_ATTEMPTS lost workers, failed (a task that kills its
worker every time must not kill them all). Running a task twice must be harmless: the SLA scan
commits in batches and every escalation step is guarded by a unique (clock, step) row.

SIGTERM/SIGINT stop a worker cleanly: the task in hand finishes (the SLA scan after its current
batch), nothing new is started, and the process exits 0. A second signal forces.
"""

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.db.models import Count, Min, Q
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from kefu.assessment.tasks import publish_due as publish_assessments
from kefu.audit.tasks import anchor_chain
from kefu.corrective.tasks import escalate_overdue as escalate_corrective_actions
from kefu.orders.tasks import drain_events
from kefu.privacy.tasks import purge_personal_data
from kefu.push.tasks import prune_push_messages
from kefu.quality.tasks import check_contacts
from kefu.reports.tasks import refresh_reports
from kefu.routing.tasks import drain_queues
from kefu.sla import escalation
from kefu.sla import tasks as sla_tasks
from kefu.training.tasks import expire_overdue as expire_tests

from .models import PeriodicRun, WorkerBeat
from .tasks import prune_task_results

log = logging.getLogger("kefu.worker")

PERIODIC = [(sla_tasks.scan_sla, "KEFU_SLA_SCAN_SECONDS"), (sla_tasks.auto_confirm, "KEFU_AUTOCONFIRM_SECONDS"),
            (drain_queues, "KEFU_ROUTING_DRAIN_SECONDS"), (purge_personal_data, "KEFU_PRIVACY_PURGE_SECONDS"),
            (anchor_chain, "KEFU_AUDIT_ANCHOR_SECONDS"), (prune_task_results, "KEFU_TASK_RESULTS_PRUNE_SECONDS"),
            (drain_events, "KEFU_EVENTS_DRAIN_SECONDS"), (refresh_reports, "KEFU_REPORTS_REFRESH_SECONDS"),
            (check_contacts, "KEFU_QUALITY_CHECK_SECONDS"), (publish_assessments, "KEFU_STAFF_TASKS_SECONDS"),
            (escalate_corrective_actions, "KEFU_STAFF_TASKS_SECONDS"), (expire_tests, "KEFU_STAFF_TASKS_SECONDS"),
            (prune_push_messages, "KEFU_TASK_RESULTS_PRUNE_SECONDS")]
PERIODIC_PATHS = {task.module_path for task, _ in PERIODIC}
# A task taken back from this many lost workers is failed instead of queued once more.
MAX_ATTEMPTS = 3
# A task running this long is logged at WARNING, whatever it is (routine runs are DEBUG lines).
SLOW_TASK_SECONDS = 10.0
# Beats of workers silent this long are deleted when a worker starts (the table stays small).
FORGET_AFTER = timedelta(days=7)
STOP_SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s is not None]


class WorkerLost(Exception):
    """The error recorded on a task whose worker died MAX_ATTEMPTS times while running it."""


def lease_seconds() -> float:
    return settings.KEFU_WORKER_LEASE_SECONDS


# --- scheduling ------------------------------------------------------------------------------

def enqueue_if_idle(task) -> bool:
    """Enqueue TASK unless one is already waiting or running (on a live worker: see reclaim)."""
    busy = DBTaskResult.objects.filter(task_path=task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    if busy.exists():
        return False
    task.enqueue()
    return True


def schedule_due(last_run: dict, now: float) -> None:
    """Enqueue each periodic task this process has not enqueued yet, or not for its interval.
    (NOW is time.monotonic(), which may start near 0 at boot: "never" is not the same as 0.)"""
    for task, setting in PERIODIC:
        every = getattr(settings, setting)
        if task not in last_run or now - last_run[task] >= every:
            enqueue_if_idle(task)
            last_run[task] = now


# --- beats and reclaiming --------------------------------------------------------------------

def register(worker_id: str) -> None:
    """Record a new worker (before it claims anything) and forget long-gone ones."""
    now = timezone.now()
    WorkerBeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    WorkerBeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(), started_at=now, seen_at=now)


def beat(worker_id: str) -> None:
    """Say the worker is alive (again, should its row have been forgotten while it stalled)."""
    now = timezone.now()
    if not WorkerBeat.objects.filter(pk=worker_id).update(seen_at=now, stopped_at=None):
        WorkerBeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                                  seen_at=now)


def sign_off(worker_id: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.filter(pk=worker_id).update(seen_at=now, stopped_at=now)


def reclaim(now=None) -> int:
    """Take back the RUNNING tasks whose worker is not alive: no beat within the lease, stopped,
    or never seen (a worker of an older version). A task claimed less than a lease ago is left
    alone, so a worker that has only just claimed it cannot lose it. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    live = set(WorkerBeat.objects.filter(seen_at__gte=cutoff, stopped_at__isnull=True).values_list("worker_id", flat=True))
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    lost = [r for r in running.only("id", "task_path", "worker_ids", "started_at") if not set(r.worker_ids[-1:]) & live]
    return sum(_take_back(result, now) for result in lost)


def _take_back(result, now) -> int:
    """Queue RESULT again (same id, its worker list grows on the next claim), or fail it after
    MAX_ATTEMPTS. The update is conditional, so two workers reclaiming at once do it once."""
    if len(result.worker_ids) < MAX_ATTEMPTS:
        change = {"status": TaskResultStatus.READY}
    else:
        change = {"status": TaskResultStatus.FAILED, "finished_at": now, "return_value": None,
                  "exception_class_path": f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                  "traceback": f"WorkerLost: workers {', '.join(result.worker_ids)} stopped while running this task.\n"}
    taken = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at).update(**change)
    if taken:
        log.warning("Task %s (%s) lost its worker %s: %s", result.pk, result.task_path, result.worker_ids[-1:],
                    "queued again" if change["status"] == TaskResultStatus.READY else "failed")
    return taken


def _record(task_path: str, **fields) -> None:
    """Note a periodic task's start or outcome for /healthz; never let that stop the worker."""
    try:
        PeriodicRun.objects.update_or_create(task=task_path, defaults=fields)
    except DatabaseError:
        log.exception("Could not record the run of %s", task_path)


# --- the process ------------------------------------------------------------------------------

class Worker(db_worker.Worker):
    """django-tasks-db's worker that records periodic runs and stops gently on a signal."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        periodic = db_task_result.task_path in PERIODIC_PATHS
        if periodic:
            _record(db_task_result.task_path, last_started_at=timezone.now())
        began = time.monotonic()
        super().run_task(db_task_result)
        _log_run(db_task_result, time.monotonic() - began, periodic)
        if periodic:
            succeeded = db_task_result.status == TaskResultStatus.SUCCESSFUL
            _record(db_task_result.task_path, **{"last_success_at" if succeeded else "last_failure_at": db_task_result.finished_at})

    def shutdown(self, signum, frame) -> None:
        """First signal: finish the task in hand (the SLA scan its batch), start nothing new, and
        leave run() within one interval. Unlike the library's own, it never exits from inside
        the handler, which could leave a task just claimed RUNNING. A second signal forces."""
        if not self.running:
            super().shutdown(signum, frame)
            return
        log.warning("Received %s: finishing the task in hand, then stopping.", signal.strsignal(signum))
        self.running = False
        sla_tasks.stop_requested.set()


def _log_run(result: DBTaskResult, seconds: float, periodic: bool) -> None:
    """One line per run, at a level that says whether anyone need read it: a slow run at
    WARNING, a routine periodic one (every 30 s) at DEBUG, any other at INFO. A failure is
    also logged by django.tasks at ERROR with its traceback (settings.LOGGING)."""
    if seconds >= SLOW_TASK_SECONDS:
        level = logging.WARNING
    elif periodic or result.status == TaskResultStatus.FAILED:
        level = logging.DEBUG
    else:
        level = logging.INFO
    log.log(level, "Task %s (%s) took %.1f s: %s", result.pk, result.task_path, seconds, result.status)


class Heart(threading.Thread):
    """Beats every sixth of the lease, takes back lost tasks every half lease and (unless
    --once) schedules the periodic tasks, until the process stops."""

    def __init__(self, worker: Worker, schedule: bool, last_run: dict):
        super().__init__(name="kefu-worker-beat", daemon=True)
        self.worker, self.schedule, self.last_run = worker, schedule, last_run
        self.stopped = threading.Event()

    def run(self):
        every = lease_seconds() / 6
        beat_at = reclaim_at = time.monotonic()
        try:
            while not self.stopped.wait(min(1.0, every)):
                now = time.monotonic()
                try:
                    if now - beat_at >= every:
                        beat(self.worker.worker_id)
                        beat_at = now
                    if now - reclaim_at >= lease_seconds() / 2:
                        reclaim()
                        reclaim_at = now
                    if self.schedule and self.worker.running:
                        schedule_due(self.last_run, now)
                except Exception:  # noqa: BLE001 - e.g. the database away for a moment: the heart must go on
                    log.exception("Worker %s: beat or schedule failed; trying again", self.worker.worker_id)
                finally:
                    close_old_connections()
        finally:
            connection.close()


def run(*, interval: float, once: bool) -> None:
    """Run a worker in this process until it is stopped (or, with ONCE, the queue is empty)."""
    worker = Worker(queue_names=["*"], interval=interval, batch=once, backend_name="default", startup_delay=not once,
                    max_tasks=None, worker_id=get_random_string(32), excluded_queue_names=[])
    sla_tasks.stop_requested.clear()
    register(worker.worker_id)
    reclaim()
    last_run = {}
    schedule_due(last_run, time.monotonic())
    heart = Heart(worker, schedule=not once, last_run=last_run)
    previous = _install_signals(worker)
    heart.start()
    try:
        worker.run()
    finally:
        heart.stopped.set()
        heart.join()
        _restore_signals(previous)
        sign_off(worker.worker_id)
        sla_tasks.stop_requested.clear()


def _install_signals(worker) -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may handle signals (e.g. a worker inside a test's thread)
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    worker.configure_signals()
    return previous


def _restore_signals(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


# --- health ---------------------------------------------------------------------------------

def health(now=None) -> dict:
    """The state of the background work, for /healthz: "stale" (answer 503) when the last
    finished SLA scan, or the oldest due escalation check, is older than
    KEFU_HEALTH_SCAN_STALE_SECONDS. Before the first scan a worker has that long from its first
    beat ("starting"); with no worker ever seen and nothing late it says "no worker seen".
    A handful of rows and indexed reads: it is polled."""
    now = now or timezone.now()
    threshold = settings.KEFU_HEALTH_SCAN_STALE_SECONDS
    runs = {r.task: r for r in PeriodicRun.objects.filter(task__in=PERIODIC_PATHS)}
    workers = WorkerBeat.objects.aggregate(
        first=Min("started_at"),
        live=Count("pk", filter=Q(seen_at__gte=now - timedelta(seconds=lease_seconds()), stopped_at__isnull=True)))
    oldest = escalation.oldest_due_check(now)
    late = _age(now, oldest) or 0
    scan = runs.get(sla_tasks.scan_sla.module_path)
    scan_age = _age(now, scan and scan.last_success_at)
    waited = scan_age if scan_age is not None else _age(now, workers["first"])  # before a first scan: since the first beat
    if late > threshold or (waited or 0) > threshold:
        state = "stale"
    elif scan_age is not None:
        state = "ok"
    else:
        state = "starting" if workers["first"] else "no worker seen"
    return {"state": state, "healthy": state != "stale", "workers": workers["live"], "scan_age_seconds": scan_age, "escalations_late_seconds": late,
            "stale_after_seconds": threshold,
            "tasks": {task.name: _run(runs.get(task.module_path)) for task, _ in PERIODIC}}


def _age(now, moment):
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def _run(run: PeriodicRun | None) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None
    return {"last_success": iso(run and run.last_success_at), "last_failure": iso(run and run.last_failure_at)}
