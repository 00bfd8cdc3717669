"""The SLA escalation scan over a million open work orders on PostgreSQL (a benchmark, not a test).

    .venv/bin/python bench/escalation.py [--orders 1000000] [--clocks-per-order 3] [--due 500]

Creates a throw-away database (bench/throwaway.py), migrates it, fills it with SQL
(generate_series: ORDERS open work orders, CLOCKS-PER-ORDER running clocks each, their next
checks spread over the coming 30 days, and DUE of them already due), runs ANALYZE, then: prints
EXPLAIN (ANALYZE, BUFFERS) of the worker's claiming query, times that query and a whole
`escalation.scan()` pass (which handles the due clocks), and drops the database.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import blanks, throwaway  # noqa: E402  (bench/, next to this script)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--clocks-per-order", type=int, default=3)
    p.add_argument("--due", type=int, default=500)
    args = p.parse_args()
    with throwaway("postgres", "esc"):
        kefu = [sys.executable, "-m", "kefu.cli"]
        subprocess.run(kefu + ["migrate", "-v0"], check=True, cwd=ROOT)
        subprocess.run(kefu + ["demo", "--customers", "1", "--orders", "0"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        t = time.monotonic()
        fill(os.environ["DATABASE_URL"], args.orders, args.clocks_per_order, args.due)
        print(f"filled {args.orders:,} open orders × {args.clocks_per_order} clocks in {time.monotonic() - t:.0f} s")
        measure(args.due)


def fill(url, orders, per_order, due):
    with psycopg.connect(url, autocommit=True) as c:
        customer = c.execute("SELECT id FROM customers_customer ORDER BY id LIMIT 1").fetchone()[0]
        owner = c.execute("SELECT id FROM staff_user WHERE username = 'agent'").fetchone()[0]
        dept = c.execute("SELECT id FROM staff_department WHERE code = 'tech-support'").fetchone()[0]
        cal = c.execute("SELECT id FROM sla_calendar WHERE name = '24x7'").fetchone()[0]
        base = c.execute("SELECT coalesce(max(id), 0) FROM orders_workorder").fetchone()[0]
        columns = ["id", "created_at", "updated_at", "version", "number", "kind", "severity", "channel", "status",
                   "customer_id", "title", "owner_id", "department_id", "tier"]
        others, zeros = blanks(c, "orders_workorder", columns)
        c.execute(f"""
            INSERT INTO orders_workorder ({", ".join(columns + others)})
            SELECT {base} + g, now() - interval '1 day', now(), 1, 'B' || ({base} + g), 'fault', 'general', 'hotline',
                   'in_progress', {customer}, 'bench', {owner}, {dept}, 1 {"".join(", " + z for z in zeros)}
            FROM generate_series(1, {orders}) g""")
        c.execute("SELECT setval(pg_get_serial_sequence('orders_workorder', 'id'), (SELECT max(id) FROM orders_workorder))")
        metrics = ["acceptance", "first_response", "resolution", "feedback", "closure", "update"][:per_order]
        for i, metric in enumerate(metrics):
            # Next checks spread over 30 days ahead; the first DUE clocks of the first metric are overdue.
            c.execute(f"""
                INSERT INTO sla_orderclock (order_id, metric, round, calendar_id, duration, warn_percent, state,
                    started_at, due_at, warn_at, paused_seconds, next_check_at)
                SELECT {base} + g, '{metric}', 0, {cal}, '48h', 80, 'running', now() - interval '1 day',
                       t + interval '1 hour', t, 0, t
                FROM (SELECT g, CASE WHEN {i} = 0 AND g <= {due} THEN now() - interval '5 minutes'
                                     ELSE now() + (g % 43200) * interval '1 minute' + interval '1 hour' END AS t
                      FROM generate_series(1, {orders}) g) s""")
        c.execute("ANALYZE")


def measure(due):
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    django.setup()
    logging.getLogger("kefu.sla").setLevel(logging.WARNING)  # one line per escalation is noise here
    from django.db import connection, transaction
    from django.utils import timezone

    from kefu.sla import escalation
    from kefu.sla.models import OrderClock

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = escalation.due_clocks(now).query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    print("EXPLAIN (ANALYZE, BUFFERS) of the claiming query:\n" + plan)
    times = []
    for _ in range(20):
        with transaction.atomic():
            t = time.perf_counter()
            n = len(list(escalation.due_clocks(now)))
            times.append((time.perf_counter() - t) * 1000)
    print(f"claiming query: {n} due clocks of {OrderClock.objects.count():,}; "
          f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms (20 runs, rolled back)")
    t = time.perf_counter()
    handled = escalation.scan(now)
    first = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    again = escalation.scan(now)
    idle = (time.perf_counter() - t) * 1000
    print(f"scan pass handling {handled} due clocks (records breaches, escalations, notifications): {first:.0f} ms")
    print(f"next scan pass with nothing due ({again} handled): {idle:.1f} ms")


if __name__ == "__main__":
    main()
