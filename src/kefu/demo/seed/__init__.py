"""Deterministic demo data: customers, subscriptions, contacts and work orders with legal histories.

`generate()` is driven by one `random.Random(seed)` and an anchor date, so the same seed and
anchor on a freshly migrated database always give the same rows. Rows get explicit primary keys
(max existing id + 1, so a second run adds to the first), which lets numbers (customer_no,
order number) be computed before the insert, and are written as plain tuples in big batches by
a writer thread while the next batch is built (rows.py: COPY on PostgreSQL, executemany
elsewhere). Every demo customer's service password is 123456: one hash per run, shared.

A big run (params.BULK_LOAD_ORDERS orders or more, without clocks) drops the tables' secondary
indexes, and on PostgreSQL their foreign keys and unreferenced keys, for the load and makes
them again before it commits (rows.bulk_load); the orders' rows wait in a temporary file
(about 2 KB an order) until all are built (orders.Parked).

All generated times lie in the ~120 days before the horizon: 00:00 of the anchor day
(settings.TIME_ZONE), or the moment given as `now` (`kefu demo`: the data is as of the moment it
is loaded). Open orders are young, placed by their time limits (params.OPEN_BUDGET_HOURS), and
the escalations their clocks would have fired before the horizon are written as history.

The modules, in the order a run uses them: words (the texts, from data/*.json) and params (the
numbers that shape the demo); draws (the random draws); context (one run's state); rows (writing
them); identity and customers; orders, which draws each order, plans its actions and times
(plans), writes its history (history: a walk of orders.states.TRANSITIONS, its fields and
milestone times set as orders.services sets them), fills its texts (values) and writes the
contact that raised it (contacts), and once all are built gives them their ids and their word
index (orders.Parked); clocks, the SLA side through the SLA services.
"""

import datetime as dt
import gc
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from kefu.demo import org
from kefu.orders.models import OrderWord

from .clocks import escalation_history, order_clocks
from .context import Context
from .customers import make_customers
from .identity import landline_local, mobile_number, resident_id, social_credit_code
from .orders import make_orders
from .params import (
    ANSWERED_PER_ORDER,
    BULK_LOAD_ORDERS,
    DAY,
    DEMO_SERVICE_PASSWORD,
    FREQUENT_SHARE,
    WINDOW_DAYS,
)
from .repeats import link_repeats
from .rows import COLUMNS, LABELS, big_cache, bulk_load, reset_sequences, writing
from .surveys import followup_history, relationship_history, survey_history
from .words import CUSTOMER_SUMMARIES, RESOLUTIONS, TEMPLATES

__all__ = ["CUSTOMER_SUMMARIES", "DEMO_SERVICE_PASSWORD", "FREQUENT_SHARE", "RESOLUTIONS", "TEMPLATES", "WINDOW_DAYS",
           "generate", "landline_local", "mobile_number", "resident_id", "social_credit_code"]


def generate(*, customers: int, orders: int, seed: int, anchor: dt.date | None = None, stdout=None,
             clocks: bool = False, now: dt.datetime | None = None, stats: dict | None = None) -> dict:
    """Add CUSTOMERS customers and ORDERS work orders (plus ANSWERED_PER_ORDER contacts answered without one for each),
    with the orders' word index.

    The data ends at NOW (an aware datetime; `kefu demo` passes the current moment) or, without
    it, at 00:00 of ANCHOR (default today). Returns {label: rows created}. Same seed and anchor
    on an empty database: same data. STATS, a dict, receives {label: (rows, seconds the writer
    spent on them)}, "phases": {phase: seconds since the start}, "bulk load": whether the
    indexes and keys were made again after the load (rows.bulk_load) and "rebuilt": [(statement,
    seconds)] of each (bench/seed.py).
    """
    if orders and not customers:
        raise ValueError("work orders need customers: pass customers >= 1")
    tz = ZoneInfo(settings.TIME_ZONE)
    anchor = now.astimezone(tz).date() if now is not None else anchor or dt.datetime.now(tz).date()
    began = time.monotonic()
    phases = {}

    def progress(phase):
        phases[phase] = time.monotonic() - began
        if stdout is not None:
            stdout.write(f"{phase} after {phases[phase]:.1f} s")

    org.ensure_org()
    with transaction.atomic(), big_cache(), _gc_paused():
        # Not with clocks: their replay reads the open orders in the order the database's plan
        # gives, and a bulk load changes what the planner knows of the tables (the indexes made
        # again count their rows), and with it the ids of the clocks and their events.
        big = orders >= BULK_LOAD_ORDERS and not clocks
        rebuilt: list = []
        with bulk_load([*COLUMNS, OrderWord], enabled=big, timings=rebuilt) as bulk:
            with writing() as writer:
                ctx = Context(seed, anchor, now, writer)
                # The word index is written in its key's order, unless its key is made after the load.
                ctx.sorted_words = not (bulk and connection.vendor == "postgresql")
                make_customers(ctx, customers)
                progress("customers built")
                make_orders(ctx, orders, int(orders * ANSWERED_PER_ORDER), progress)
                progress("answered contacts built")
            progress("customers, work orders with their words, contacts written")
        if bulk:
            progress("indexes and keys made again")
        reset_sequences(list(COLUMNS))
        repeated = link_repeats(ctx.first_order_id)
        progress(f"{repeated} repeat complaints linked")
        mirrored, surveyed = survey_history(ctx)
        called = followup_history(ctx)
        waves = relationship_history(ctx)  # the quarters' waves: the first run's only, not in the counts
        progress(f"{mirrored} scores at resolution as survey answers, {surveyed} SMS surveys, {called} follow-up calls, "
                 f"{waves} relationship survey answers")
        if clocks:
            # The month before last and on: a report of last month compares it with the one before.
            since = ((ctx.last_day.replace(day=1) - DAY).replace(day=1) - DAY).replace(day=1, tzinfo=ctx.tz)
            with_clocks, finished_clocks = order_clocks(ctx.first_order_id, since)
            escalations = escalation_history(ctx.horizon.replace(tzinfo=ctx.tz))
            progress(f"SLA clocks of {with_clocks} open and {finished_clocks} finished orders")
    progress("committed")
    counts = {LABELS[model]: table.count for model, table in ctx.tables.items()}
    counts["repeat complaints"] = repeated
    counts["SMS surveys"] = surveyed
    counts["follow-up tasks done"] = called
    if clocks:
        counts["open orders with SLA clocks"] = with_clocks
        counts["finished orders with SLA clocks"] = finished_clocks
        counts["escalations"] = escalations
    if stats is not None:
        stats.update({LABELS[model]: (rows, seconds) for model, (rows, seconds) in writer.stats.items()})
        stats["phases"] = phases
        stats["bulk load"] = bulk
        stats["rebuilt"] = rebuilt
    return counts


@contextmanager
def _gc_paused():
    """No cyclic garbage collection while millions of row tuples are made (none of them is
    garbage: the collector's passes over them only cost time); collected once at the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
