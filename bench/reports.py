"""Reports at scale: the annual report and its Excel file over rollups representing millions of
orders, the rollups' rebuild rate and the incremental update's rate.

    .venv/bin/python bench/reports.py --database postgres                     # 10,000,000 orders, 3 years
    .venv/bin/python bench/reports.py --database postgres --orders 1000000 --skip-rebuild
    .venv/bin/python bench/reports.py --database sqlite --orders 200000 --months 12

Part 1 writes rollup rows directly (COPY on PostgreSQL), shaped as `kefu.reports.facts.expand`
shapes them for ORDERS orders over MONTHS months, DEPARTMENTS departments (two provinces each)
and AGENTS people: month rows of every dimension, day rows of the totals. Then it times, as the
server does them, the annual report of the last whole year as management (everything) and as a
department's supervisor reads it, the page, and its Excel and PDF files.

Part 2 (unless --skip-rebuild) seeds real orders with `kefu seed` (--rebuild-orders) and times
`rollups.rebuild()` (orders/s), then the incremental update: order events written through the
services and drained by the `reports` consumer (events/s).
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from throwaway import throwaway  # noqa: E402

CHANNELS = ["hotline", "online_chat", "email", "self_service", "wechat", "store", "social_media", "letter",
            "account_manager", "regulator"]
KINDS = ["consultation", "business", "fault", "complaint", "suggestion", "praise"]
SEVERITIES = ["general", "urgent", "major"]
SEGMENTS = ["ordinary", "vip", "enterprise", "government", "student"]
METRICS = ["acceptance", "first_response", "resolution", "feedback", "update"]
PROVINCES = ["广东省", "江苏省", "浙江省", "山东省", "河南省", "四川省", "湖北省", "湖南省", "河北省", "福建省"]


def month_starts(months: int, end: dt.date) -> list[dt.date]:
    first = end.replace(day=1)
    out = []
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def rows_for(rng, grain, period, dept, province, orders, agents, categories, policies, *, totals_only=False):
    """The rollup rows of ORDERS orders of one department and province in one period."""
    complaints = max(1, orders // 6)
    base = {"registered": orders, "resolved": int(orders * 0.97), "reopened": int(orders * 0.04),
            "regulator": max(0, orders // 400), "escalated": max(0, orders // 150), "repeat": max(0, orders // 60)}
    scored = int(orders * 0.35)
    for s in range(1, 11):
        base[f"score:{s}"] = max(0, int(scored * (0.02 if s < 5 else 0.05 if s < 8 else 0.25)))
    for m in METRICS:
        base[f"clock_due:{m}"] = orders
        base[f"clock_met:{m}"] = int(orders * rng.uniform(0.85, 0.99))
    hist = {}
    for b in list(range(0, 60, 3)) + list(range(60, 1440, 60)):
        hist[f"frt:{b}"] = rng.randint(0, max(1, orders // 40))
    for b in list(range(60, 1440, 30)) + list(range(1440, 14400, 360)):
        hist[f"res:{b}"] = rng.randint(0, max(1, orders // 60))
    flows = {"open": rng.randint(-3, 5), "overdue": rng.randint(-1, 2)}
    complaint = {f"c:{k}": max(0, v // 6) for k, v in base.items()} | {"c:registered": complaints}

    def emit(dim, key, measures, share=1.0):
        for measure, value in measures.items():
            v = int(value * share)
            if v:
                yield (grain, period, dept, province, dim, key, measure, v)

    yield from emit("", "", base | complaint | hist)
    yield from emit("~", "", flows)  # levels' flows under their own dimensions (facts.STOCK_DIM)
    if totals_only:
        return
    for dim, keys in (("channel", CHANNELS), ("kind", KINDS), ("severity", SEVERITIES), ("segment", SEGMENTS)):
        for key in keys:
            yield from emit(dim, key, base | complaint, 1 / len(keys))
            if dim in ("channel", "kind"):
                yield from emit(dim, key, hist, 1 / len(keys))
    for key in rng.sample(categories, 12):
        yield from emit("category", str(key), base | complaint, 1 / 12)
    for city in range(6):
        yield from emit("city", f"{province[:2]}{city}市", base, 1 / 6)
    for policy in policies:
        yield from emit("policy", str(policy), {k: v for k, v in base.items() if k.startswith("clock_")}, 1 / len(policies))
    for agent in agents:
        yield from emit("agent", str(agent), base, 1 / len(agents))
        yield from emit("~agent", str(agent), flows, 1 / len(agents))


def write_rollups(orders: int, months: int, departments: int, agents: int, database: str) -> int:
    from django.db import connection

    from kefu.reports.models import Rollup
    from kefu.staff.models import Department

    depts = [Department.objects.get_or_create(code=f"bench-{d + 1}", defaults={"name": f"第{d + 1}营销服务中心"})[0].pk
             for d in range(departments)]
    rng = random.Random(1)
    end = dt.date.today().replace(day=1)
    starts = month_starts(months, end)
    per_month_dept = orders / months / departments / 2
    categories = list(range(1, 60))
    policies = list(range(1, 9))
    people = [list(range(1 + d * (agents // departments), 1 + (d + 1) * (agents // departments))) for d in range(departments)]
    table = Rollup._meta.db_table
    cols = ["grain", "period", "department_id", "province", "dim", "key", "measure", "value"]
    written = 0
    began = time.monotonic()

    def batches():
        for month in starts:
            days = [(month + dt.timedelta(days=i)) for i in range(31) if (month + dt.timedelta(days=i)).month == month.month]
            for d in range(departments):
                for province in (PROVINCES[d % 10], PROVINCES[(d + 3) % 10]):
                    n = int(per_month_dept * rng.uniform(0.8, 1.2))
                    rows = list(rows_for(rng, "m", month, depts[d], province, n, people[d], categories, policies))
                    for day in days:
                        rows += rows_for(rng, "d", day, depts[d], province, max(1, n // len(days)), people[d], categories,
                                         policies, totals_only=True)
                    yield rows

    if database == "postgres":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for rows in batches():
                    for row in rows:
                        copy.write_row(row)
                    written += len(rows)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        for rows in batches():
            Rollup.objects.bulk_create([Rollup(**dict(zip(cols, r, strict=True))) for r in rows], batch_size=5000,
                                       ignore_conflicts=True)
            written += len(rows)
    print(f"rollups: {written:,} rows for {orders:,} orders over {months} months, {departments} departments, "
          f"{agents} people, written in {time.monotonic() - began:.0f} s")
    return written


def timed(label, fn, repeat=3):
    best = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    print(f"{label:<58} {best * 1000:8.0f} ms (best of {repeat})")
    return result


def part_reports(year_code: str) -> None:
    from django.contrib.auth.models import Group
    from django.test import Client

    from kefu.reports import exports, periods, services
    from kefu.staff import roles
    from kefu.staff.models import Department, User

    period = periods.parse(year_code)
    dept = Department.objects.get(code="bench-1")
    User.objects.filter(username__in=["bench-manager", "bench-supervisor"]).delete()
    manager = User.objects.create_user("bench-manager", password="pw")
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    manager = User.objects.get(pk=manager.pk)
    supervisor = User.objects.create_user("bench-supervisor", password="pw", department=dept, data_scope="department")
    supervisor.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    supervisor = User.objects.get(pk=supervisor.pk)

    data = timed(f"annual report {period.code}, management (all)", lambda: services.report(manager, period, breakdowns=("department",)))
    timed(f"annual report {period.code}, a department's supervisor", lambda: services.report(supervisor, period, breakdowns=("channel",)))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)

    def page():
        response = client.get(f"/reports/?period={period.code}")
        assert response.status_code == 200, response.status_code
        return response
    timed("annual report page (GET /reports/), management", page)
    document = services.document(data)
    timed("its Excel file (to_xlsx)", lambda: exports.to_xlsx(document))
    timed("its PDF file (to_pdf)", lambda: exports.to_pdf(document))
    timed("annual report + Excel, as the download does", lambda: services.export(services.report(manager, period), "xlsx"), repeat=1)
    print(f"  ({sum(len(t.rows) for t in document.sections)} table rows; indicators: "
          + ", ".join(f"{i['code']}={i['value']:.3g}" for i in data["indicators"][:4] if i["value"] is not None) + ")")


def part_rebuild(orders: int) -> None:
    from django.core.management import call_command

    from kefu.customers.models import Subscription
    from kefu.demo import org
    from kefu.orders import events
    from kefu.orders import services as order_services
    from kefu.reports import rollups
    from kefu.staff.models import User

    began = time.monotonic()
    call_command("seed", customers=max(100, orders // 5), orders=orders, seed=3, stdout=open(os.devnull, "w"))
    print(f"seed: {orders:,} orders in {time.monotonic() - began:.0f} s")
    began = time.monotonic()
    run = rollups.rebuild()
    took = time.monotonic() - began
    print(f"rebuild: {run.orders_done:,} orders in {took:.1f} s = {run.orders_done / took:,.0f} orders/s")
    skipped = events.drain("reports")  # the seeded history: covered by the rebuild, nothing left
    print(f"events left to the consumer after the rebuild: {skipped:,}")

    org.ensure_org()
    agent = User.objects.get(username="agent")
    subs = list(Subscription.objects.select_related("customer")[:200])
    n_orders = 300
    began = time.monotonic()
    for i in range(n_orders):
        sub = subs[i % len(subs)]
        order = order_services.create_order(agent, kind="complaint" if i % 3 == 0 else "consultation", title="基准工单",
                                            customer_id=sub.customer_id, subscription_id=sub.pk, channel="hotline")
        order_services.accept(agent, order.pk)
    write_took = time.monotonic() - began
    began = time.monotonic()
    handled = events.drain("reports")
    took = time.monotonic() - began
    print(f"incremental: {handled:,} order events ({n_orders} orders) drained in {took:.2f} s = {handled / took:,.0f} events/s "
          f"(writing them through the services took {write_took:.1f} s)")


@contextmanager
def kept(name: str):
    import base64

    import psycopg

    from throwaway import PG

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{PG}/{name}"
    os.environ.setdefault("KEFU_FIELD_KEYS", "b1:" + base64.urlsafe_b64encode(b"k" * 32).decode())
    os.environ.setdefault("KEFU_DATA_DIR", f"/tmp/{name}")
    os.makedirs(os.environ["KEFU_DATA_DIR"], exist_ok=True)
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--orders", type=int, default=10_000_000, help="orders the rollups represent")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--rebuild-orders", type=int, default=100_000, help="orders seeded for the rebuild rate")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--skip-reports", action="store_true", help="part 2 only: no rollups written, no report timed")
    parser.add_argument("--keep", metavar="NAME", help="PostgreSQL: use (and keep) the database NAME; its rollups are "
                                                       "written only if it has none (to measure again without waiting)")
    args = parser.parse_args()
    with (kept(args.keep) if args.keep else throwaway(args.database, "reports")):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        os.environ["KEFU_EVENTS_DRAIN_ON_COMMIT"] = "false"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from kefu.reports.models import Rollup

        if not args.skip_reports:
            if not (args.keep and Rollup.objects.exists()):
                write_rollups(args.orders, args.months, args.departments, args.agents, args.database)
            part_reports(str(dt.date.today().year - 1))
        if not args.skip_rebuild:
            from kefu.reports.models import Rollup

            Rollup.objects.all().delete()
            part_rebuild(args.rebuild_orders)


if __name__ == "__main__":
    main()
