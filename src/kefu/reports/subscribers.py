"""Subscriber counts by day, region and product (for 万户投诉率 and 百万用户申诉率): opened +1,
terminated −1, so the number active on any day is a running sum. Two sources add up: Kefu's own
subscriptions (`refresh`) and the rest of the operator's base as the billing system reports it
(`record_billing`, `kefu reports subscribers FILE`)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NoReturn

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.customers.models import Subscription

from .models import ReportState, SubscriberFlow

WATERMARK = "subscribers"
KEFU, BILLING = SubscriberFlow.Source.KEFU, SubscriberFlow.Source.BILLING
BILLING_FIELDS = ("day", "province", "city", "product", "change")
_COLUMNS = {"day": "day", "province": "province", "city": "city", "product": "product", "change": "delta"}
_DELTA_LIMIT = 2**31 - 1  # an IntegerField


def refresh() -> int:
    """Write Kefu's own flows (source "kefu") anew from the subscriptions, in one transaction
    (two grouped reads and one bulk insert; the report pages never read the subscriptions).
    The billing system's rows are left as they are."""
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
        SubscriberFlow.objects.filter(source=KEFU)._raw_delete(connection.alias)
        SubscriberFlow.objects.bulk_create(
            [SubscriberFlow(day=d, province=p, city=c, product=pr, delta=n, source=KEFU) for (d, p, c, pr), n in rows.items() if n],
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


def record_billing(rows: Iterable[Sequence], *, replace: bool = False, start: int = 1) -> int:
    """Store the billing system's subscriber changes: each row is (day, province, city,
    product, change), where day is a date (or its ISO text), product one of
    `Subscription.Product`, province not empty and change a whole number (text is read as
    typed, e.g. from a CSV file). A base is a positive change on its day, later rows the net
    changes. REPLACE deletes the billing rows stored before. All or nothing: the first bad row
    raises `ValidationFailed` naming its number (counted from START) and the field, and nothing
    is written. Returns the number of rows stored."""
    flows = [_billing_flow(n, row) for n, row in enumerate(rows, start)]
    with transaction.atomic():
        if replace:
            SubscriberFlow.objects.filter(source=BILLING)._raw_delete(connection.alias)
        SubscriberFlow.objects.bulk_create(flows, batch_size=2000)
    return len(flows)


def _billing_flow(n: int, row: Sequence) -> SubscriberFlow:
    if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != len(BILLING_FIELDS):
        _bad(n, "", _("a row has five fields: day, province, city, product, change"))
    day, province, city, product, change = (v.strip() if isinstance(v, str) else v for v in row)
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            _bad(n, "day", _("“%(value)s” is not a date like 2026-11-30") % {"value": day})
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        _bad(n, "day", _("“%(value)s” is not a date like 2026-11-30") % {"value": day})
    if not isinstance(province, str) or not province:
        _bad(n, "province", _("the province is empty"))
    if city is None:
        city = ""
    if not isinstance(city, str):
        _bad(n, "city", _("“%(value)s” is not a name") % {"value": city})
    for field, value in (("province", province), ("city", city)):
        limit = SubscriberFlow._meta.get_field(field).max_length
        if len(value) > limit:
            _bad(n, field, _("longer than %(limit)s characters") % {"limit": limit})
    if product not in Subscription.Product.values:
        _bad(n, "product", _("“%(value)s” is not one of %(choices)s") % {
            "value": product, "choices": ", ".join(Subscription.Product.values)})
    if isinstance(change, str):
        try:
            change = int(change)
        except ValueError:
            _bad(n, "change", _("“%(value)s” is not a whole number") % {"value": change})
    if not isinstance(change, int) or isinstance(change, bool) or abs(change) > _DELTA_LIMIT:
        _bad(n, "change", _("“%(value)s” is not a whole number") % {"value": change})
    return SubscriberFlow(day=day, province=province, city=city, product=product, delta=change, source=BILLING)


def _bad(n: int, field: str, reason: str) -> NoReturn:
    if field:
        label = SubscriberFlow._meta.get_field(_COLUMNS[field]).verbose_name
        message = _("Row %(row)s, %(field)s: %(reason)s.") % {"row": n, "field": label, "reason": reason}
    else:
        message = _("Row %(row)s: %(reason)s.") % {"row": n, "reason": reason}
    raise ValidationFailed(message, fields={field or "row": message}, row=n)
