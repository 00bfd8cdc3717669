"""Personal data at rest: lookups through the blind index, scoped lists, and key rotation.

    .venv/bin/python bench/privacy.py                          # SQLite in a temporary directory
    .venv/bin/python bench/privacy.py --database postgres      # a throw-away kefu_bench_privacy_<pid>
    .venv/bin/python bench/privacy.py --customers 100000 --json

Generates --customers customers (with their contacts and orders) with `kefu seed`, then times:

  lookup : `customers.search_customers(phone=…)` for random known numbers, as an agent
           (region scope) — blind-index hash under each ring key, indexed lookup, decryption.
  page   : one API-sized page (50) of an agent's customer list, masked and audited.
  rotate : `kefu keys add` + `keys.rotate` over every encrypted row: rows re-encrypted per second.

Not a test: pytest does not collect it.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import throwaway  # noqa: E402  (bench/, next to this script)


def run(customers: int, lookups: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("demo", "--customers", "0", "--orders", "0", stdout=open(os.devnull, "w"))
    t = time.perf_counter()
    call_command("seed", "--customers", str(customers), "--orders", str(customers), stdout=open(os.devnull, "w"))
    seeded = time.perf_counter() - t

    from kefu.core import crypto, keys
    from kefu.customers import services
    from kefu.customers.models import Customer
    from kefu.staff.models import User

    agent = User.objects.get(username="agent")
    rng = random.Random(1)
    ids = list(Customer.objects.values_list("pk", flat=True))
    phones = [c.phone for c in Customer.objects.filter(pk__in=rng.sample(ids, min(lookups, len(ids))))]
    times = []
    for phone in phones:
        t = time.perf_counter()
        found = list(services.search_customers(agent, phone=phone)[:5])
        times.append(time.perf_counter() - t)
        assert found, phone
    page_times = []
    for page in range(1, 21):
        t = time.perf_counter()
        services.customer_page(agent, page=page, page_size=50)
        page_times.append(time.perf_counter() - t)

    rows = sum(m.objects.count() for m in keys.encrypted_models())
    settings.KEFU_FIELD_KEYS = f"{crypto.new_key_line('b2')},{settings.KEFU_FIELD_KEYS}"
    t = time.perf_counter()
    moved = sum(keys.rotate(m) for m in keys.encrypted_models())
    rotate = time.perf_counter() - t
    return {
        "database": connection.vendor, "customers": Customer.objects.count(), "seeded_s": round(seeded, 1),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "lookup": {"n": len(times), "p50_ms": round(statistics.median(times) * 1000, 2),
                   "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1] * 1000, 2)},
        "page": {"p50_ms": round(statistics.median(page_times) * 1000, 2)},
        "rotate": {"rows": moved, "of": rows, "seconds": round(rotate, 1), "rows_per_s": round(moved / rotate)},
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--customers", type=int, default=20000)
    p.add_argument("--lookups", type=int, default=500)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with throwaway(args.database, "privacy"):
        result = run(args.customers, args.lookups)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"database: {result['database']}  customers: {result['customers']:,} (seeded in {result['seeded_s']} s)  "
          f"python {result['python']}  cpus: {result['cpus']}")
    print(f"lookup : phone → customer, agent's scope: p50 {result['lookup']['p50_ms']} ms  p95 {result['lookup']['p95_ms']} ms "
          f"({result['lookup']['n']} lookups)")
    print(f"page   : 50 customers, masked and audited: p50 {result['page']['p50_ms']} ms")
    r = result["rotate"]
    print(f"rotate : {r['rows']:,} of {r['of']:,} encrypted rows in {r['seconds']} s = {r['rows_per_s']:,} rows/s")


if __name__ == "__main__":
    main()
