"""Order search by words over a million work orders on PostgreSQL (a benchmark, not a test).

    .venv/bin/python bench/search.py [--orders 1000000] [--runs 20]

Creates a throw-away database (bench/throwaway.py), migrates it, fills it with SQL
(generate_series: ORDERS work orders spread over a year, their titles and descriptions taken
from the demo's templates, and their rows of the word index, segmented once per template with
orders.services.words_of as the services do on every write), runs ANALYZE, then: prints
EXPLAIN (ANALYZE, BUFFERS) of a two-word search, and times one page of search results as the
API and the web list read it (the count and the first 20 rows, newest first, a supervisor's
scope) for several two-word searches, RUNS times each, and prints the median and p95. The
database is dropped at the end.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import throwaway  # noqa: E402  (bench/, next to this script)

QUERIES = ["宽带 断网", "宽带断网", "光猫 重启", "话费，多扣", "携号转网 条件", "信号 差", "投诉 赔偿", "账单 流量"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args()
    with throwaway("postgres", "search"):
        kefu = [sys.executable, "-m", "kefu.cli"]
        subprocess.run(kefu + ["migrate", "-v0"], check=True, cwd=ROOT)
        subprocess.run(kefu + ["demo", "--customers", "1", "--orders", "0"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        import django

        django.setup()
        t = time.monotonic()
        words = fill(os.environ["DATABASE_URL"], args.orders)
        print(f"filled {args.orders:,} work orders and {words:,} index rows in {time.monotonic() - t:.0f} s", flush=True)
        measure(args.runs)


def texts() -> list[tuple[str, str, list[str]]]:
    """The demo's order templates with their blanks left empty, and each one's words."""
    from kefu.demo.seed import TEMPLATES
    from kefu.orders.services import words_of

    blank = re.compile(r"\{\w+\}")
    out = []
    for templates in TEMPLATES.values():
        for title, description in templates:
            title, description = blank.sub("", title), blank.sub("", description)
            out.append((title, description, sorted(words_of("", title, description))))
    return out


def fill(url, orders) -> int:
    with psycopg.connect(url, autocommit=True) as c:
        customer = c.execute("SELECT id FROM customers_customer ORDER BY id LIMIT 1").fetchone()[0]
        owner = c.execute("SELECT id FROM staff_user WHERE username = 'agent'").fetchone()[0]
        dept = c.execute("SELECT id FROM staff_department WHERE code = 'tech-support'").fetchone()[0]
        c.execute("CREATE TEMP TABLE bench_text (idx int PRIMARY KEY, title text, description text, words text[])")
        rows = texts()
        with c.cursor().copy("COPY bench_text (idx, title, description, words) FROM STDIN") as copy:
            for i, (title, description, words) in enumerate(rows):
                copy.write_row((i, title, description, words))
        n = len(rows)
        # Mostly finished orders, a year of them, newest last; every template as often as the others.
        c.execute(f"""
            INSERT INTO orders_workorder (id, created_at, updated_at, version, number, kind, severity, channel, status,
                customer_id, title, description, resolution, owner_id, department_id, reopen_count, repeat_count,
                needs_review, flagged, province, tier)
            SELECT g, ts, ts, 1, 'GD' || to_char(ts, 'YYYYMMDD') || lpad(g::text, 7, '0'), 'fault', 'general', 'hotline',
                   CASE WHEN g % 20 = 0 THEN 'in_progress' ELSE 'closed' END, {customer}, t.title, t.description, '',
                   {owner}, {dept}, 0, 0, false, false, '', 1
            FROM (SELECT g, now() - (({orders} - g) * interval '1 year' / {orders}) AS ts FROM generate_series(1, {orders}) g) s
            JOIN bench_text t ON t.idx = (g::bigint * 7919) % {n}""")
        c.execute("SELECT setval(pg_get_serial_sequence('orders_workorder', 'id'), (SELECT max(id) FROM orders_workorder))")
        with without_keys(c, "orders_orderword"):
            c.execute(f"""
                INSERT INTO orders_orderword (word, order_id)
                SELECT w, o.id FROM orders_workorder o JOIN bench_text t ON t.idx = (o.id::bigint * 7919) % {n}, unnest(t.words) w
                UNION ALL SELECT lower(number), id FROM orders_workorder""")
        c.execute("VACUUM ANALYZE orders_workorder")
        c.execute("VACUUM ANALYZE orders_orderword")
        return c.execute("SELECT count(*) FROM orders_orderword").fetchone()[0]


@contextmanager
def without_keys(c, table):
    """TABLE's constraints and indexes dropped while it is filled and built again afterwards:
    ten million rows load in a fraction of the time that one-by-one index and key checks take."""
    constraints = c.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                            [table]).fetchall()
    indexes = c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table]).fetchall()
    for name, _definition in indexes:
        c.execute(f'DROP INDEX "{name}"')
    for name, _definition in constraints:
        c.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    c.execute("SET maintenance_work_mem = '512MB'")
    for name, definition in constraints:
        c.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in indexes:
        c.execute(definition)


def measure(runs):
    from django.db import connection

    from kefu.core.services import page_of
    from kefu.orders import services
    from kefu.staff.models import User

    user = User.objects.get(username="supervisor")
    sql, params = services.search_orders(user, q=QUERIES[0])[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print(f"EXPLAIN (ANALYZE, BUFFERS) of the first page of “{QUERIES[0]}”:\n" + "\n".join(r[0] for r in cursor.fetchall()))
    every = []
    for q in QUERIES:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            count, rows = page_of(services.search_orders(user, q=q), 1, 20)
            times.append((time.perf_counter() - t) * 1000)
        every += times
        print(f"“{q}”: {count:,} orders; median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    p95 = statistics.quantiles(every, n=20)[-1]
    print(f"one page of a two-word search (count + 20 rows), {len(every)} runs: "
          f"median {statistics.median(every):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
