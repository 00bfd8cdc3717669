"""The push channel's housekeeping in the worker."""

from django.tasks import task

from . import brokers


@task
def prune_push_messages() -> int:
    """Delete the embedded broker's messages older than ten minutes (every listener has long
    read them); nothing to do with the Redis broker."""
    return brokers.DatabaseBroker.prune()
