"""Deterministic demo data: customers, subscriptions, contacts and work orders with legal histories.

`generate()` is driven by one `random.Random(seed)` and an anchor date, so the same seed and
anchor on a freshly migrated database always give the same rows. Rows get explicit primary keys
(max existing id + 1, so a second run adds to the first), which lets numbers (customer_no,
order number) be computed before the insert, and are written as plain tuples in big batches
(rows.py). Every demo customer's service password is 123456: one hash per run, shared.

All generated times lie in the ~120 days before the horizon: 00:00 of the anchor day
(settings.TIME_ZONE), or the moment given as `now` (`kefu demo`: the data is as of the moment it
is loaded). Open orders are young, placed by their time limits (params.OPEN_BUDGET_HOURS), and
the escalations their clocks would have fired before the horizon are written as history.

The modules, in the order a run uses them: words (the texts, from data/*.json) and params (the
numbers that shape the demo); draws (the random draws); context (one run's state); rows (writing
them); identity and customers; orders, which draws each order, plans its actions and times
(plans), writes its history (history: a walk of orders.states.TRANSITIONS, its fields and
milestone times set as orders.services sets them), fills its texts (values) and writes the
contact that raised it (contacts); clocks, the SLA side through the SLA services.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from kefu.demo import org

from .clocks import escalation_history, open_order_clocks
from .context import Context
from .customers import make_customers
from .identity import landline_local, mobile_number, resident_id, social_credit_code
from .orders import make_orders
from .params import DEMO_SERVICE_PASSWORD, FREQUENT_SHARE, WINDOW_DAYS
from .rows import COLUMNS, LABELS, big_cache, reset_sequences
from .words import CUSTOMER_SUMMARIES, RESOLUTIONS, TEMPLATES

__all__ = ["CUSTOMER_SUMMARIES", "DEMO_SERVICE_PASSWORD", "FREQUENT_SHARE", "RESOLUTIONS", "TEMPLATES", "WINDOW_DAYS",
           "generate", "landline_local", "mobile_number", "resident_id", "social_credit_code"]


def generate(*, customers: int, orders: int, seed: int, anchor: dt.date | None = None, stdout=None,
             clocks: bool = False, now: dt.datetime | None = None) -> dict:
    """Add CUSTOMERS customers and ORDERS work orders (plus ~20 % contacts answered without one).

    The data ends at NOW (an aware datetime; `kefu demo` passes the current moment) or, without
    it, at 00:00 of ANCHOR (default today). Returns {label: rows created}. Same seed and anchor
    on an empty database: same data.
    """
    if orders and not customers:
        raise ValueError("work orders need customers: pass customers >= 1")
    tz = ZoneInfo(settings.TIME_ZONE)
    anchor = now.astimezone(tz).date() if now is not None else anchor or dt.datetime.now(tz).date()
    began = time.monotonic()
    org.ensure_org()
    with transaction.atomic(), big_cache():
        ctx = Context(seed, anchor, now)
        make_customers(ctx, customers)
        _progress(stdout, f"customers written after {time.monotonic() - began:.1f} s")
        make_orders(ctx, orders, orders // 5)
        _progress(stdout, f"work orders and contacts written after {time.monotonic() - began:.1f} s")
        reset_sequences(list(COLUMNS))
        if clocks:
            with_clocks = open_order_clocks(ctx.first_order_id)
            escalations = escalation_history(ctx.horizon.replace(tzinfo=ctx.tz))
            _progress(stdout, f"SLA clocks of {with_clocks} open orders after {time.monotonic() - began:.1f} s")
    # The raw inserts bypass the services that keep the orders' word index (search): index them.
    from kefu.orders.services import reindex_words

    reindex_words(from_id=ctx.first_order_id)
    _progress(stdout, f"work orders indexed for search after {time.monotonic() - began:.1f} s")
    counts = {LABELS[model]: table.count for model, table in ctx.tables.items()}
    if clocks:
        counts["open orders with SLA clocks"] = with_clocks
        counts["escalations"] = escalations
    return counts


def _progress(stdout, message):
    if stdout is not None:
        stdout.write(message)
