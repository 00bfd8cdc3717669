"""Atomic rate limits (decision 0021). A limit counts events per subject in a sliding window:
the subject's Throttle row holds their times and is locked for the rest of the transaction
that checks the limit and records the event. Parallel requests for one subject therefore run
one after the other (on SQLite the write lock taken at BEGIN IMMEDIATE already does that), and
none can pass a check that another is about to make false.

    row = throttle.hold(Throttle.Kind.SMS, subject, window)
    now = timezone.now()                      # after the wait for the lock
    times = throttle.recent(row, now, window)  # check them; raise to refuse (nothing is counted)
    throttle.add(row, now, window)             # or count this event
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from .models import Throttle

PRUNE_BATCH = 100


def hold(kind: str, subject: str, window: timedelta) -> Throttle:
    """The row of SUBJECT's KIND limit, locked until the transaction ends; created if new (two
    requests creating it at once: the unique key fails the second, whose get_or_create then
    reads and locks the first's row). Also deletes a few rows of the same kind idle for longer
    than WINDOW (they count nothing any more), skipping those other requests hold, so that
    rows for numbers tried once do not pile up and pruning never waits."""
    if not subject:
        raise ValueError("a rate limit needs a subject")
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("throttle.hold needs a transaction: the lock lasts as long as it")
    now = timezone.now()
    row, _created = Throttle.objects.select_for_update().get_or_create(kind=kind, subject=subject,
                                                                       defaults={"updated_at": now})
    idle = list(Throttle.objects.select_for_update(skip_locked=True)
                .filter(kind=kind, updated_at__lt=now - window).exclude(pk=row.pk)
                .values_list("pk", flat=True)[:PRUNE_BATCH])
    if idle:
        Throttle.objects.filter(pk__in=idle).delete()
    return row


def recent(row: Throttle, now: datetime, window: timedelta) -> list[datetime]:
    """The times of ROW's events within WINDOW before NOW, oldest first."""
    since = (now - window).timestamp()
    return [datetime.fromtimestamp(t, UTC) for t in row.hits if t > since]


def add(row: Throttle, now: datetime, window: timedelta) -> None:
    """Count one event at NOW on ROW (held), forgetting those older than WINDOW."""
    row.hits = [t.timestamp() for t in recent(row, now, window)] + [now.timestamp()]
    row.updated_at = now
    row.save(update_fields=["hits", "updated_at"])
