"""Background tasks (Django's task framework; the database backend runs them by default)."""

from django.tasks import task

from . import escalation


@task
def scan_sla() -> int:
    """Handle every clock whose warning or due time has come."""
    total = 0
    while (n := escalation.scan()) == escalation.BATCH:
        total += n
    return total + n


@task
def auto_confirm() -> int:
    from kefu.orders.services import auto_confirm_due

    return auto_confirm_due()
