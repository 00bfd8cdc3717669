"""kefu worker: runs background tasks and schedules the periodic ones.

The same process on SQLite and PostgreSQL: tasks wait in the database (django-tasks-db) and
any number of workers take them (SKIP LOCKED on PostgreSQL). Each worker also schedules the
SLA scan, auto-confirmation, the routing queue drain and the retention purge, unless one is
already waiting, so running several workers neither duplicates nor misses them. A worker that
dies does not hold its task for ever, and SIGTERM stops one cleanly: see kefu.web.worker.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from kefu.web import worker
from kefu.web.worker import PERIODIC  # noqa: F401 - the list of periodic tasks, where readers look for it


class Command(BaseCommand):
    help = "Run background work: the SLA escalation scan, auto-confirmation, the routing queue drain, the retention purge and queued tasks."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks for queued tasks")
        parser.add_argument("--once", action="store_true", help="schedule once, run what is queued, then exit")

    def handle(self, interval, once, **options):
        self.stdout.write(f"kefu worker on {connection.vendor}: scan every {settings.KEFU_SLA_SCAN_SECONDS} s")
        worker.run(interval=interval, once=once)
