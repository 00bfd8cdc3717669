"""Background tasks (Django's task framework; the database backend runs them by default)."""

import threading

from django.conf import settings
from django.tasks import task

from . import escalation

# Set by `kefu worker` on SIGTERM/SIGINT: the scan finishes the batch in hand (one transaction)
# and returns, so the process can stop promptly; the next scan, by any worker, goes on.
stop_requested = threading.Event()


@task
def scan_sla() -> int:
    """Handle every clock whose warning or due time has come, one committed batch at a time."""
    batch = settings.KEFU_SLA_SCAN_BATCH
    total = 0
    while True:
        n = escalation.scan(limit=batch)
        total += n
        if n < batch or stop_requested.is_set():
            return total


@task
def auto_confirm() -> int:
    from kefu.orders.services import auto_confirm_due

    return auto_confirm_due()
