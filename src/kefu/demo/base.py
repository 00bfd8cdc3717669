"""The demo's billing base: the operator's subscribers that Kefu does not hold, as a billing
system would report them, so that the demo's 万户投诉率 and 百万用户申诉率 look like a real
provincial branch's (a few complaints per 10,000 subscribers a month) rather than dividing by
the few thousand subscriptions of the customers who called.

`billing_rows` is deterministic: the same subscriptions and the same day give the same rows.
`kefu demo` records them as the billing system's (reports.subscribers.record_billing)."""

import datetime as dt
from collections import Counter
from collections.abc import Mapping

from django.db.models import Count

from kefu.customers.models import Subscription

from .seed import WINDOW_DAYS

TOTAL = 600_000  # the base on the window's first day
MONTHLY_GROWTH = 400  # net new subscribers on the 1st of each month after it
# How the base divides among products (a mobile-led operator); within a product, among the
# regions in proportion to the demo's own subscriptions of that product.
PRODUCT_SHARES = {
    Subscription.Product.MOBILE: 0.68,
    Subscription.Product.BROADBAND: 0.20,
    Subscription.Product.FIXED_LINE: 0.08,
    Subscription.Product.VALUE_ADDED: 0.04,
}

Combo = tuple[str, str, str]  # province, city, product
Row = tuple[dt.date, str, str, str, int]


def combos() -> Counter[Combo]:
    """The demo's subscriptions counted by (province, city, product)."""
    rows = Subscription.objects.values("province", "city", "product").annotate(n=Count("id")).order_by()
    return Counter({(r["province"], r["city"], r["product"]): r["n"] for r in rows})


def billing_rows(counts: Mapping[Combo, int], today: dt.date, *, total: int = TOTAL,
                 growth: int = MONTHLY_GROWTH) -> list[Row]:
    """The base of TOTAL subscribers on the demo window's first day (WINDOW_DAYS before TODAY)
    spread over the combinations of COUNTS, then GROWTH more on the 1st of each month up to
    TODAY, spread alike; rows of no change are left out. Sorted by day, then combination."""
    weights = _weights(counts)
    if not weights:
        return []
    first = today - dt.timedelta(days=WINDOW_DAYS)
    days = [first]
    month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while month <= today:
        days.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    rows: list[Row] = []
    for day in days:
        for (province, city, product), n in sorted(apportion(total if day == first else growth, weights).items()):
            if n:
                rows.append((day, province, city, product, n))
    return rows


def _weights(counts: Mapping[Combo, int]) -> dict[Combo, float]:
    """Each combination's share of the base: its product's share (among the products present)
    times its part of that product's subscriptions."""
    per_product: Counter[str] = Counter()
    for (_province, _city, product), n in counts.items():
        if n > 0 and product in PRODUCT_SHARES:
            per_product[product] += n
    shares = sum(PRODUCT_SHARES[p] for p in per_product)
    return {combo: PRODUCT_SHARES[combo[2]] / shares * n / per_product[combo[2]]
            for combo, n in counts.items() if n > 0 and combo[2] in per_product}


def apportion(total: int, weights: Mapping[Combo, float]) -> dict[Combo, int]:
    """TOTAL split in proportion to WEIGHTS in whole numbers that add up to it (largest
    remainders first, ties by key, so the split is the same every time)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    left = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:left]:
        out[k] += 1
    return out
