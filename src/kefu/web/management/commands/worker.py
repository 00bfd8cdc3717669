"""kefu worker: runs background tasks and schedules the periodic ones.

The same process on SQLite and PostgreSQL: tasks wait in the database (django-tasks-db) and
any number of workers take them (SKIP LOCKED on PostgreSQL). Each worker also schedules the
SLA scan, auto-confirmation, the routing queue drain and the retention purge, unless one is already waiting, so running several workers
neither duplicates nor misses them.
"""

import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kefu.privacy.tasks import purge_personal_data
from kefu.routing.tasks import drain_queues
from kefu.sla.tasks import auto_confirm, scan_sla

PERIODIC = [(scan_sla, "KEFU_SLA_SCAN_SECONDS"), (auto_confirm, "KEFU_AUTOCONFIRM_SECONDS"),
            (drain_queues, "KEFU_ROUTING_DRAIN_SECONDS"), (purge_personal_data, "KEFU_PRIVACY_PURGE_SECONDS")]


def enqueue_if_idle(task) -> bool:
    """Enqueue TASK unless one is already waiting or running."""
    path = f"{task.func.__module__}.{task.func.__qualname__}"
    busy = DBTaskResult.objects.filter(task_path=path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    if busy.exists():
        return False
    task.enqueue()
    return True


def schedule_due(last_run: dict, now: float) -> None:
    for task, setting in PERIODIC:
        every = getattr(settings, setting)
        if now - last_run.get(task, 0) >= every:
            enqueue_if_idle(task)
            last_run[task] = now


class Command(BaseCommand):
    help = "Run background work: the SLA escalation scan, auto-confirmation, the routing queue drain, the retention purge and queued tasks."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks for queued tasks")
        parser.add_argument("--once", action="store_true", help="schedule once, run what is queued, then exit")

    def handle(self, interval, once, **options):
        last_run = {}
        schedule_due(last_run, time.monotonic())
        worker = Worker(queue_names=["*"], interval=interval, batch=once, backend_name="default",
                        startup_delay=not once, max_tasks=None, worker_id=get_random_string(32),
                        excluded_queue_names=[])
        if not once:
            threading.Thread(target=self._scheduler, args=(worker, last_run), daemon=True).start()
        self.stdout.write(f"kefu worker on {connection.vendor}: scan every {settings.KEFU_SLA_SCAN_SECONDS} s")
        worker.run()

    def _scheduler(self, worker, last_run):
        while worker.running:
            time.sleep(1)
            try:
                schedule_due(last_run, time.monotonic())
            finally:
                close_old_connections()
