"""The audit chain under concurrent readers: every view of a customer file appends an entry
under the chain head's row lock (decision 0012). Does that lock make readers queue?

    .venv/bin/python bench/audit.py --database postgres           # a throw-away kefu_bench_audit_<pid>
    .venv/bin/python bench/audit.py --threads 1,2,4,8 --seconds 5

Seeds --customers customers, then for each thread count runs that many threads, each with its
own database connection, opening random customer files as an agent for --seconds: once with
the audited read (`customers.get_customer`), once without (`get_customer_quietly`). Prints
views per second and the latency of one view for both, and how long writers waited for the
head's lock (the audited time minus the quiet time). SQLite serialises writers anyway, so the
question is PostgreSQL's.

Not a test: pytest does not collect it.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import throwaway  # noqa: E402  (bench/, next to this script)


def _load(view, user, ids, threads: int, seconds: float) -> dict:
    from django.db import connection

    stop = time.perf_counter() + seconds
    times: list[float] = []
    lock = threading.Lock()

    def worker(seed):
        rng, mine = random.Random(seed), []
        try:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                view(user, rng.choice(ids))
                mine.append(time.perf_counter() - t)
        finally:
            connection.close()  # this thread's own connection
        with lock:
            times.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    times.sort()
    return {"views_per_s": round(len(times) / seconds), "p50_ms": round(statistics.median(times) * 1000, 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2)}


def run(customers: int, thread_counts: list[int], seconds: float) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("demo", "--customers", "0", "--orders", "0", stdout=open(os.devnull, "w"))
    call_command("seed", "--customers", str(customers), "--orders", "0", stdout=open(os.devnull, "w"))

    from kefu.audit.models import AuditEntry
    from kefu.customers import services
    from kefu.customers.models import Customer
    from kefu.staff.models import User

    agent = User.objects.get(username="agent")
    agent.has_perm("customers.view_customer")  # the permission cache, filled once for every thread
    ids = list(Customer.objects.values_list("pk", flat=True))
    before = AuditEntry.objects.count()
    rows = []
    for n in thread_counts:
        quiet = _load(services.get_customer_quietly, agent, ids, n, seconds)
        audited = _load(services.get_customer, agent, ids, n, seconds)
        rows.append({"threads": n, "quiet": quiet, "audited": audited})
    return {"database": connection.vendor, "customers": len(ids), "cpus": os.cpu_count(), "seconds": seconds,
            "entries_written": AuditEntry.objects.count() - before, "runs": rows}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--threads", default="1,2,4,8")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with throwaway(args.database, "audit"):
        result = run(args.customers, [int(n) for n in args.threads.split(",")], args.seconds)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"database: {result['database']}  customers: {result['customers']:,}  cpus: {result['cpus']}  "
          f"{result['seconds']} s per run, {result['entries_written']:,} audit entries written")
    print("threads | quiet views/s  p50 ms  p95 ms | audited views/s  p50 ms  p95 ms")
    for r in result["runs"]:
        q, a = r["quiet"], r["audited"]
        print(f"{r['threads']:>7} | {q['views_per_s']:>13,} {q['p50_ms']:>7} {q['p95_ms']:>7} | "
              f"{a['views_per_s']:>15,} {a['p50_ms']:>7} {a['p95_ms']:>7}")


if __name__ == "__main__":
    main()
