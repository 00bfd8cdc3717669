"""Order search by words over a million work orders on PostgreSQL (a benchmark, not a test).

    .venv/bin/python bench/search.py [--orders 1000000] [--runs 20] [--keep NAME]

Creates a throw-away database (bench/throwaway.py), migrates it, fills it with SQL
(generate_series: ORDERS work orders spread over a year, newest last, over the demo's eight
departments and three front-line owners, 1.6 % still open (most of them young) with a due
time; their titles and descriptions taken from the demo's templates, and their rows of the
word index, segmented once per template with orders.services.words_of as the services do on
every write), runs
ANALYZE, then: prints the size of each search's posting lists and of their intersection, prints
EXPLAIN (ANALYZE, BUFFERS) of every statement one page of a two-word search runs, and times one
page of search results as the API reads it (count + 20 rows, newest first; also with a filter
that keeps only open orders) and as the web queue reads it (count + 50 open orders, nearest due
first) for a supervisor and for a department-scoped specialist, RUNS times each search, and
prints the median and p95. The database is dropped at the end.

--keep NAME uses the database NAME instead (created and filled if it does not exist) and keeps
it, so that the next run with the same NAME skips the filling (3–4 minutes for a million orders
on two cores); drop it with `dropdb -h 127.0.0.1 -U postgres NAME`.
"""

import argparse
import base64
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import PG, blanks, throwaway  # noqa: E402  (bench/, next to this script)

QUERIES = ["宽带 断网", "宽带断网", "光猫 重启", "话费，多扣", "携号转网 条件", "信号 差", "投诉 赔偿", "账单 流量"]
USERS = ["supervisor", "handler"]  # region scope (all of a one-region installation), department scope


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--keep", metavar="NAME", help="use (and keep) the database NAME, filled once")
    args = p.parse_args()
    with kept(args.keep) if args.keep else throwaway("postgres", "search"):
        kefu = [sys.executable, "-m", "kefu.cli"]
        subprocess.run(kefu + ["migrate", "-v0"], check=True, cwd=ROOT)
        url = os.environ["DATABASE_URL"]
        with psycopg.connect(url) as c:
            existing = c.execute("SELECT count(*) FROM orders_workorder").fetchone()[0]
        if existing:
            print(f"reusing {existing:,} work orders in {url.rsplit('/', 1)[1]}", flush=True)
        else:
            subprocess.run(kefu + ["demo", "--customers", "1", "--orders", "0"], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        import django

        django.setup()
        if not existing:
            t = time.monotonic()
            words = fill(url, args.orders)
            print(f"filled {args.orders:,} work orders and {words:,} index rows in {time.monotonic() - t:.0f} s", flush=True)
        measure(args.runs)


@contextmanager
def kept(name):
    """Point Kefu at the database NAME, created if missing and never dropped. Its field key is
    derived from NAME, so that a second run reads what the first one encrypted."""
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["KEFU_DATA_DIR"] = tmp
        key = hashlib.sha256(f"kefu bench {name}".encode()).digest()  # a benchmark's, not a secret
        os.environ["KEFU_FIELD_KEYS"] = "b1:" + base64.urlsafe_b64encode(key).decode()
        os.environ["DATABASE_URL"] = f"{PG}/{name}"
        yield


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
        owners = [r[0] for r in c.execute("SELECT id FROM staff_user WHERE username IN ('agent', 'agent2', 'agent3') ORDER BY id")]
        depts = [r[0] for r in c.execute("SELECT id FROM staff_department ORDER BY id")]
        handler = c.execute("SELECT id FROM staff_user WHERE username = 'handler'").fetchone()[0]
        tech = c.execute("SELECT id FROM staff_department WHERE code = 'tech-support'").fetchone()[0]
        c.execute("CREATE TEMP TABLE bench_text (idx int PRIMARY KEY, title text, description text, words text[])")
        rows = texts()
        with c.cursor().copy("COPY bench_text (idx, title, description, words) FROM STDIN") as copy:
            for i, (title, description, words) in enumerate(rows):
                copy.write_row((i, title, description, words))
        n = len(rows)
        # A year of orders, newest last (ids follow registration, as in create_order); every
        # template as often as the others; each department one eighth of them. Open as in the
        # demo (STATUS_BY_AGE): three in four of the last day's, 40 % of the two days before,
        # 20 % of the rest of the week, 1 % of older ones (1.6 % in all); due a day after
        # registration, so most are late; some of tech support's taken by the user `handler`.
        columns = ["id", "created_at", "updated_at", "version", "number", "kind", "severity", "channel", "status",
                   "customer_id", "title", "description", "owner_id", "handler_id", "department_id", "tier", "sla_due_at",
                   "sla_warn_at"]
        others, zeros = blanks(c, "orders_workorder", columns)
        c.execute(f"""
            INSERT INTO orders_workorder ({", ".join(columns + others)})
            SELECT g, ts, ts, 1, 'GD' || to_char(ts, 'YYYYMMDD') || lpad(g::text, 7, '0'), 'fault', 'general', 'hotline',
                   CASE WHEN open THEN 'in_progress' ELSE 'closed' END, {customer}, t.title, t.description,
                   (ARRAY{owners})[1 + g % {len(owners)}],
                   CASE WHEN open AND dept = {tech} AND g % 2 = 0 THEN {handler} END, dept, 1,
                   CASE WHEN open THEN ts + interval '1 day' END, CASE WHEN open THEN ts + interval '16 hours' END
                   {"".join(", " + z for z in zeros)}
            FROM (SELECT g, ts, (ARRAY{depts})[1 + (g / 7) % {len(depts)}] AS dept,
                         CASE WHEN ts > now() - interval '1 day' THEN g % 20 < 15 WHEN ts > now() - interval '3 days' THEN g % 20 < 8
                              WHEN ts > now() - interval '7 days' THEN g % 20 < 4 ELSE g % 100 = 0 END AS open
                  FROM (SELECT g, now() - (({orders} - g) * interval '1 year' / {orders}) AS ts FROM generate_series(1, {orders}) g) s) s
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


def api_page(user, q, **filters):
    """One page of the API's list (GET /orders?q=…): what orders.api.list_orders runs."""
    from kefu.core.api import PageParams, paginate
    from kefu.orders import services

    page = paginate(services.search_orders(user, q=q, **filters), PageParams(page=1, page_size=20))
    return page["count"], page["results"]


def open_api_page(user, q):
    """The same with a narrow filter: open orders only (1.6 % of them)."""
    return api_page(user, q, status="in_progress")


def queue_page(user, q):
    """One page of the web queue of every open order (/queue/open/?q=…): what web.views.queue runs."""
    from django.core.paginator import Paginator

    from kefu.orders import services
    from kefu.web.views import PAGE_SIZE

    page = Paginator(services.queue(user, "open", q=q), PAGE_SIZE).get_page(1)
    return page.paginator.count, list(page.object_list)


PAGES = {"API page (count + 20 newest)": api_page, "queue page (count + 50 nearest due)": queue_page,
         "API page, status=in_progress": open_api_page}


def measure(runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu import scopes
    from kefu.orders import services
    from kefu.staff.models import User

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_workorder")
        total = cursor.fetchone()[0]
        print(f"{total:,} orders; posting lists (orders holding each word) and their intersection:")
        for q in QUERIES:
            words = services.search_words(q)
            sizes = []
            for word in words:
                cursor.execute("SELECT count(*) FROM orders_orderword WHERE word = %s", [word])
                sizes.append(f"{word} {cursor.fetchone()[0]:,}")
            cursor.execute(" INTERSECT ".join(["SELECT order_id FROM orders_orderword WHERE word = %s"] * len(words)), words)
            print(f"  “{q}”: {', '.join(sizes)} → {len(cursor.fetchall()):,}")
    users = {name: User.objects.get(username=name) for name in USERS}
    for title, page in list(PAGES.items())[:2]:
        with CaptureQueriesContext(connection) as queries:
            page(users["supervisor"], QUERIES[0])
        with connection.cursor() as cursor:
            for n, query in enumerate(queries.captured_queries, 1):
                if not query["sql"].lstrip().upper().startswith("SELECT") or "auth_permission" in query["sql"]:
                    continue  # the user's permissions, read once per request
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) of statement {n} of {len(queries.captured_queries)} of a {title}, "
                      f"“{QUERIES[0]}”, supervisor:\n" + "\n".join(r[0] for r in cursor.fetchall()))
    print()
    summary = []
    for title, page in PAGES.items():
        every = []
        for name, user in users.items():
            mine = []
            for q in QUERIES:
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    count, rows = page(user, q)
                    times.append((time.perf_counter() - t) * 1000)
                mine += times
                print(f"{title}, {name} ({scopes.scope_of(user)}), “{q}”: {count:,} orders, {len(rows)} shown; "
                      f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms", flush=True)
            summary.append(f"{title}, {name} ({scopes.scope_of(user)}): {_figures(mine)}")
            every += mine
        summary.append(f"{title}, both: {_figures(every)}")
    print("\n" + "\n".join(summary))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _figures(times) -> str:
    return (f"{len(times)} runs, median {statistics.median(times):.1f} ms, "
            f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
