"""Server time of the workbench queue pages and the supervisor board on a big database.

    .venv/bin/python bench/web.py --orders 1000000                 # PostgreSQL, a throw-away kefu_bench_web_<pid>
    .venv/bin/python bench/web.py --orders 200000 --keep           # keep the database for another run
    .venv/bin/python bench/web.py --reuse kefu_bench_web_123       # time again on a kept database

Seeds --orders work orders (about one customer per 10) with `kefu seed --clocks` (open orders
get their SLA clocks and due times), then renders through Django's test client, signed in as
the demo agent and supervisor, each page --repeat times: `/queue/mine/`, `/queue/department/`,
`/queue/open/`, `/queue/open/?sla=breached`, `/board/`, `/board/data/`. Prints p50 and max in
milliseconds of server time (the whole request inside Django, no network). The target is
under 300 ms at 1,000,000 orders. Seeding a million orders takes about 40 minutes on two
cores (the clocks of open orders are replayed one order at a time); keep the database with
--keep and time it again with --reuse. Not a test: pytest does not collect it.
"""

import argparse
import base64
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
PG = os.environ.get("KEFU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PAGES = [("agent", "/queue/mine/"), ("agent", "/queue/department/"), ("agent", "/queue/open/"),
         ("agent", "/queue/open/?sla=breached"), ("supervisor", "/board/"), ("supervisor", "/board/data/")]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=200000)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    p.add_argument("--reuse", help="an existing database made with --keep")
    args = p.parse_args()
    import psycopg

    name = args.reuse or f"kefu_bench_web_{os.getpid()}"
    key_file = Path(f"/tmp/{name}.key")
    if args.reuse:
        os.environ["KEFU_FIELD_KEYS"] = key_file.read_text().strip()
    else:
        os.environ["KEFU_FIELD_KEYS"] = "b1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
        key_file.write_text(os.environ["KEFU_FIELD_KEYS"])
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(DATABASE_URL=f"{PG}/{name}", DJANGO_SETTINGS_MODULE="kefu.settings", KEFU_LOG_LEVEL="WARNING",
                      KEFU_ALLOWED_HOSTS="testserver")
    try:
        run(args, fresh=not args.reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            key_file.unlink(missing_ok=True)
        else:
            print(f"kept database {name}")


def run(args, *, fresh):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kefu.orders.models import OPEN_STATUSES, WorkOrder
    from kefu.staff.models import User

    if fresh:
        call_command("migrate", verbosity=0)
        call_command("demo", "--customers", "0", "--orders", "0", stdout=open(os.devnull, "w"))
        t = time.monotonic()
        call_command("seed", "--customers", str(max(args.orders // 10, 100)), "--orders", str(args.orders), "--clocks",
                     stdout=sys.stdout)
        with connection.cursor() as cursor:
            # As autovacuum would after a bulk load: statistics, and the visibility map that
            # lets the board's counts read indexes only.
            cursor.execute("VACUUM ANALYZE")
        print(f"seeded in {time.monotonic() - t:.0f} s")
    total = WorkOrder.objects.count()
    open_ = WorkOrder.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"work orders: {total:,} ({open_:,} open) on {connection.vendor}")
    clients = {}
    for username in ("agent", "supervisor"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    for username, url in PAGES:
        client = clients[username]
        assert client.get(url).status_code == 200, url  # warm up
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        print(f"{url:<28} as {username:<10} p50 {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")


if __name__ == "__main__":
    main()
