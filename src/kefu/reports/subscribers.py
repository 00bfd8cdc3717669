"""Subscriber counts by day, region and product from the subscriptions (for 万户投诉率 and
百万用户申诉率): opened +1, terminated −1, so the number active on any day is a running sum."""

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from kefu.customers.models import Subscription

from .models import ReportState, SubscriberFlow

WATERMARK = "subscribers"


def refresh() -> int:
    """Write the flows anew from the subscriptions, in one transaction (two grouped reads and
    one bulk insert; the report pages never read the subscriptions)."""
    rows: dict[tuple, int] = {}
    opened = (Subscription.objects.values("opened_on", "province", "city", "product").annotate(n=Count("id")).order_by())
    for r in opened:
        key = (r["opened_on"], r["province"], r["city"], r["product"])
        rows[key] = rows.get(key, 0) + r["n"]
    ended = (Subscription.objects.filter(terminated_on__isnull=False)
             .values("terminated_on", "province", "city", "product").annotate(n=Count("id")).order_by())
    for r in ended:
        key = (r["terminated_on"], r["province"], r["city"], r["product"])
        rows[key] = rows.get(key, 0) - r["n"]
    with transaction.atomic():
        SubscriberFlow.objects.all()._raw_delete(connection.alias)
        SubscriberFlow.objects.bulk_create(
            [SubscriberFlow(day=d, province=p, city=c, product=pr, delta=n) for (d, p, c, pr), n in rows.items() if n],
            batch_size=2000)
    return len(rows)


def refresh_daily() -> int | None:
    """`refresh` once a local day (the worker calls it often); None when already done today."""
    now = timezone.now()
    with transaction.atomic():
        state, created = ReportState.objects.select_for_update().get_or_create(name=WATERMARK, defaults={"at": now})
        if not created and timezone.localdate(state.at) == timezone.localdate(now):
            return None
        state.at = now
        state.save(update_fields=["at"])
        return refresh()
