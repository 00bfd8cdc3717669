"""Background tasks (Django's task framework; the database backend runs them by default)."""

from django.tasks import task

from . import events


@task
def drain_events() -> int:
    """Hand the committed order events to the "after" consumers (orders.events.drain)."""
    return events.drain()
