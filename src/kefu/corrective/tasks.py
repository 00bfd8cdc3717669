"""Corrective actions' background work: the overdue escalation, scheduled by `kefu worker`."""

from django.tasks import task

from . import services


@task
def escalate_overdue() -> dict:
    """Overdue corrective actions raised one escalation level, each level once (safe to run again)."""
    return {"escalated": [f"{number}:{level}" for number, level in services.escalate_overdue()]}
