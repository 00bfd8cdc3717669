"""Knowledge tests' background work, for `kefu worker` to schedule."""

from django.tasks import task

from . import services


@task
def expire_overdue() -> dict:
    """Assignments not taken by their deadline expire with a score of 0 (safe to run again: only
    assignments still to be taken are touched)."""
    return {"expired": services.expire_overdue()}
