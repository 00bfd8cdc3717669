"""Routing benchmark: orders classified, dispatched and assigned per second, in one process.

    .venv/bin/python bench/routing.py                        # SQLite in a temporary directory
    .venv/bin/python bench/routing.py --database postgres    # a throw-away kefu_bench_route_<pid>
    .venv/bin/python bench/routing.py --orders 3000 --json

Sets up a fresh database with the demo organisation (its dispatch rules, tiers, strategies
and skills; everyone available, capacity raised so nobody fills up) and 20 customers, then
times, over --orders texts from the triage test generator:

  route   : orders registered and accepted by an agent (kind chosen, category on all but
            --uncategorised of them) → `routing.route_many` in batches of --batch, as the worker drains a
            queue: classify (model + triage rules: severity raised, threats flagged, empty
            category filled when confident) → dispatch rule → the department's strategy picks
            a person → the assignments written (one UPDATE and one INSERT per batch). The
            figure the issue's target (≥ 500/s) is about.
  decide  : the same decisions one order at a time, without writing (read the order, classify,
            rule, candidates query, choice).
  intake  : the whole arrival, `routing.intake`: classify, register (with SLA clocks), accept,
            dispatch, assign. For reference: it includes everything order creation costs.

Also prints SQL statements per routed order. Not a test: pytest does not collect it.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from throwaway import throwaway  # noqa: E402  (bench/, next to this script)

CUSTOMERS = 20


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--batch", type=int, default=100, help="orders per route_many call")
    p.add_argument("--uncategorised", type=float, default=0.25,
                   help="share of orders registered without a category (the classifier fills it, and the SLA policy is chosen again)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with throwaway(args.database, "route"):
        result = run(args.orders, args.batch, args.uncategorised)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"database: {result['database']}  orders: {result['orders']}  uncategorised: {result['uncategorised']:.0%}  python {result['python']}  cpus: {result['cpus']}")
    for phase in ("route", "decide", "intake"):
        r = result[phase]
        print(f"{phase:<7}: {r['per_second']:7.0f} orders/s  p50 {r['p50_ms']:.2f} ms  p95 {r['p95_ms']:.2f} ms"
              + (f"  {r['sql_per_order']:.1f} SQL/order" if "sql_per_order" in r else ""))
    print(f"assigned: {result['assigned']} of {result['orders']} routed orders; by strategy {result['strategies']}")


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import datetime

    from kefu.customers.services import create_customer, create_subscription
    from kefu.customers.validators import id_check_char
    from kefu.demo.org import ensure_org
    from kefu.staff.models import User

    ensure_org()
    User.objects.update(capacity=30000)
    admin = User.objects.get(username="admin")
    pairs = []
    for i in range(CUSTOMERS):
        first17 = f"110101{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i:03d}"
        customer = create_customer(admin, name=f"测试客户{i:02d}", id_type="resident_id", id_number=first17 + id_check_char(first17),
                                   phone=f"138{i:08d}", province="北京", city="北京市")
        sub = create_subscription(admin, customer_id=customer.pk, product="mobile", service_number=f"139{i:08d}",
                                  opened_on=datetime.date(2024, 1, 1))
        pairs.append((customer.pk, sub.pk))
    return User.objects.get(username="agent"), pairs


def _stats(latencies, elapsed, n):
    latencies = sorted(latencies)
    return {"per_second": n / elapsed, "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000}


def run(n, batch, uncategorised=0.25):
    from tests.triage.test_classifier import generate_examples

    agent, pairs = _setup()
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.orders import services as orders
    from kefu.orders.models import Category, OrderEvent, WorkOrder
    from kefu.routing import services as routing
    from kefu.staff.models import Department
    from kefu.triage import services as triage

    examples = generate_examples(n, seed=7)
    texts = [e.text.split("\n", 1) for e in examples]
    codes = dict(Category.objects.values_list("code", "pk"))
    triage.current_model()  # load the model outside the timing

    # Registered and accepted orders, as an agent leaves them (not timed).
    ids = []
    for i, (title, description) in enumerate(texts):
        customer, sub = pairs[i % len(pairs)]
        # As an agent registers it: kind chosen, category mostly chosen (the classifier fills the rest).
        o = orders.create_order(agent, kind=examples[i].kind, title=title[:200], description=description, customer_id=customer,
                                subscription_id=sub, channel="hotline", category_id=None if int((i + 1) * uncategorised) > int(i * uncategorised)
                                else codes.get(examples[i].category))
        orders.accept(agent, o.pk)
        ids.append(o.pk)

    # decide: no writes, one order at a time.
    latencies = []
    start = time.perf_counter()
    for order_id, (title, description) in zip(ids, texts, strict=True):
        t = time.perf_counter()
        order = WorkOrder.objects.select_related("customer", "subscription").get(pk=order_id)
        suggestion = triage.suggest(title, description, kind=order.kind, severity=order.severity)
        order.severity = suggestion["severity"]["final"]
        rule = routing.route(order)
        routing.dispatching._pick(Department.objects.get(pk=rule.department_id), order)
        latencies.append(time.perf_counter() - t)
    decide = _stats(latencies, time.perf_counter() - start, n)

    # route: classify, dispatch, assign and write, in batches as the worker drains a queue.
    latencies = []
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        for k in range(0, n, batch):
            t = time.perf_counter()
            routing.route_many(agent, ids[k:k + batch])
            latencies.append((time.perf_counter() - t) / len(ids[k:k + batch]))
        route = _stats(latencies, time.perf_counter() - start, n)
    route["sql_per_order"] = len(queries.captured_queries) / n
    route["batch"] = batch

    assigns = OrderEvent.objects.filter(order_id__in=ids, action="assign")
    strategies = Counter(e.get("strategy", "manual") for e in assigns.values_list("data", flat=True))
    assigned = WorkOrder.objects.filter(pk__in=ids, handler__isnull=False).count()

    # intake: the whole arrival.
    latencies = []
    start = time.perf_counter()
    for i, (title, description) in enumerate(texts):
        customer, sub = pairs[i % len(pairs)]
        t = time.perf_counter()
        routing.intake(agent, title=title[:200], description=description, customer_id=customer, subscription_id=sub, channel="hotline")
        latencies.append(time.perf_counter() - t)
    intake = _stats(latencies, time.perf_counter() - start, n)

    return {"database": connection.vendor, "orders": n, "uncategorised": uncategorised, "python": platform.python_version(), "cpus": os.cpu_count(),
            "route": route, "decide": decide, "intake": intake, "assigned": assigned, "strategies": dict(strategies)}


if __name__ == "__main__":
    main()
