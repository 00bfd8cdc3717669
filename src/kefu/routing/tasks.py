"""Background tasks of routing (run by `kefu worker`)."""

from django.tasks import task


@task
def drain_queues() -> int:
    """Hand queued orders to people who have room now (capacity freed, someone came back)."""
    from .services import drain

    return drain()
