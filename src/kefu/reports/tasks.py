"""The reports' background work, scheduled by `kefu worker` every KEFU_REPORTS_REFRESH_SECONDS."""

from django.tasks import task
from django.utils import timezone

from . import delivery, rollups, snapshots, subscribers


@task
def refresh_reports() -> dict:
    """A slice of an interrupted rebuild; clocks that came due without an event; the subscriber
    counts (once a day); the periods that have ended closed; the reports people subscribed to
    sent. Each step is safe to run again (decision 0027)."""
    resumed = rollups.resume_unfinished()
    return {"rebuild": resumed.orders_done if resumed is not None else None,
            "clocks_due": rollups.refresh_due(), "subscribers": subscribers.refresh_daily(),
            "closed": [str(s) for s in snapshots.close_due()], "sent": delivery.send_due(timezone.now())}
