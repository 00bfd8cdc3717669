"""Demo seed benchmark: `kefu seed` into a throw-away database, rows per second by table.

    .venv/bin/python bench/seed.py                                   # SQLite, 20 000 customers, 100 000 orders
    .venv/bin/python bench/seed.py --database postgres               # a throw-away kefu_bench_seed_<pid>
    .venv/bin/python bench/seed.py --database postgres --customers 200000 --orders 1000000 --name kefu_seedbench
    .venv/bin/python bench/seed.py --json

Creates a fresh installation (bench/throwaway.py: a temporary data directory and field key, on
PostgreSQL a database of its own, or --name NAME, dropped at the end all the same), migrates it
and runs the seed (`kefu.demo.seed.generate`, what `kefu seed` calls) in this process:
--customers customers and --orders work orders (plus three contacts answered without one for
each, kefu.demo.seed.params.ANSWERED_PER_ORDER), optionally with --clocks. Prints, for each
table, the rows written and the rows per second of the writer thread that inserts them while the
next rows are built (COPY on PostgreSQL, executemany on SQLite); then the time at which each
phase of the run ended, for a bulk load (runs of kefu.demo.seed.params.BULK_LOAD_ORDERS orders
or more, without --clocks) the time spent making the indexes and keys again and its slowest
statements, the total time and rows per second over the run, and the CPU time of this process
and (Linux, PostgreSQL) of the database backend. Not a test: pytest does not collect it.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import PG, throwaway  # noqa: E402  (bench/, next to this script)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anchor", type=dt.date.fromisoformat, default=dt.date(2026, 3, 31),
                   help="YYYY-MM-DD (default 2026-03-31, so that runs compare)")
    p.add_argument("--clocks", action="store_true", help="also the open orders' SLA clocks, as `kefu demo`")
    p.add_argument("--name", help="PostgreSQL: the throw-away database's name (default kefu_bench_seed_<pid>)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with (named(args.name) if args.name and args.database == "postgres" else throwaway(args.database, "seed")):
        result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"database: {result['database']}  customers: {args.customers:,}  orders: {args.orders:,}  seed: {args.seed}  "
          f"anchor: {args.anchor}  python {result['python']}  cpus: {result['cpus']}")
    print(f"{'table':<24} {'rows':>12} {'writing s':>10} {'rows/s':>12}")
    for label, t in result["tables"].items():
        print(f"{label:<24} {t['rows']:>12,} {t['seconds']:>10.1f} {t['per_second']:>12,.0f}")
    print("phases (seconds from the start):", ", ".join(f"{k} {v:.1f}" for k, v in result["phases"].items()))
    if result["bulk_load"]:
        rebuilt = sorted(result["rebuilt"], key=lambda r: -r["seconds"])
        print(f"bulk load: {len(rebuilt)} indexes and keys made again in {sum(r['seconds'] for r in rebuilt):.1f} s; slowest:")
        for r in rebuilt[:5]:
            print(f"  {r['seconds']:6.1f} s  {r['statement'][:110]}")
    else:
        print("bulk load: no (indexes and keys kept up row by row)")
    cpu = f"this process {result['cpu_seconds']:.0f} s"
    if result.get("backend_cpu_seconds") is not None:
        cpu += f", database backend {result['backend_cpu_seconds']:.0f} s"
    print(f"total  : {result['seconds']:.1f} s  {result['rows']:,} rows  {result['rows'] / result['seconds']:,.0f} rows/s  "
          f"(migrate and demo organisation not counted); CPU: {cpu}")


@contextmanager
def named(name):
    """As throwaway("postgres"), with the database NAME."""
    import base64
    import tempfile

    import psycopg

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KEFU_DATA_DIR"] = tmp
        os.environ["KEFU_FIELD_KEYS"] = "b1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG}/{name}"
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Progress:
    """The run's phases as they end (generate's stdout)."""

    def write(self, message):
        print(f"  {message}", flush=True)


def _backend_cpu(connection):
    """CPU seconds used so far by this connection's PostgreSQL backend (Linux, same machine), or None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run(args) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kefu.demo import org
    from kefu.demo.seed import generate

    call_command("migrate", verbosity=0)
    org.ensure_org()
    stats: dict = {}
    backend = _backend_cpu(connection)
    cpu, began = time.process_time(), time.monotonic()
    counts = generate(customers=args.customers, orders=args.orders, seed=args.seed, anchor=args.anchor,
                      clocks=args.clocks, stats=stats, stdout=None if args.json else Progress())
    seconds, cpu = time.monotonic() - began, time.process_time() - cpu
    backend_after = _backend_cpu(connection)
    phases, bulk, rebuilt = stats.pop("phases"), stats.pop("bulk load"), stats.pop("rebuilt")
    tables = {label: {"rows": rows, "seconds": round(s, 2), "per_second": rows / s if s else 0.0}
              for label, (rows, s) in stats.items()}
    return {
        "database": connection.vendor, "python": platform.python_version(), "cpus": os.cpu_count(),
        "counts": counts, "tables": tables, "phases": {k: round(v, 2) for k, v in phases.items()},
        "bulk_load": bulk, "rebuilt": [{"statement": st, "seconds": round(sec, 2)} for st, sec in rebuilt],
        "rows": sum(t["rows"] for t in tables.values()), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "backend_cpu_seconds": None if backend is None or backend_after is None else round(backend_after - backend, 2),
    }


if __name__ == "__main__":
    main()
