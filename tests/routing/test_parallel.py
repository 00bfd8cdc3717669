"""Parallel workers on PostgreSQL: no order is assigned twice, nobody gets more than their
capacity, and the rotation stays fair — the department lock serialises the choices."""

import threading
from collections import Counter

import pytest
from django.db import connection

from kefu.orders import services as orders
from kefu.orders.models import OrderEvent, WorkOrder
from kefu.routing import services as routing
from kefu.routing.models import DispatchRule
from kefu.staff import roles
from kefu.staff.models import Department, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _run(n_threads, work):
    barrier = threading.Barrier(n_threads)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.fixture
def setup(agent, customer, departments, make_user):
    desk = departments["tech-support"]
    Department.objects.filter(pk=desk.pk).update(assignment="round_robin")
    DispatchRule.objects.create(name="all", position=1, department=desk)
    people = [make_user(roles.TECH_SUPPORT, "tech-support") for _ in range(4)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(presence="offline", capacity=100)

    def accepted(n):
        made = []
        for _ in range(n):
            o = orders.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline")
            orders.accept(agent, o.pk)
            made.append(o.pk)
        return made
    return desk, people, accepted


def test_parallel_drains_assign_each_order_once_and_fairly(setup, agent):
    desk, people, accepted = setup
    ids = accepted(40)
    for pk in ids:  # all queued: nobody is available yet
        routing.dispatch(agent, pk)
    User.objects.filter(pk__in=[p.pk for p in people]).update(presence="available")

    _run(4, lambda i: routing.drain(desk.pk))

    assigned = OrderEvent.objects.filter(order_id__in=ids, action="assign", data__handler__isnull=False)
    per_order = Counter(assigned.values_list("order_id", flat=True))
    assert set(per_order) == set(ids) and set(per_order.values()) == {1}  # every order once
    per_person = Counter(WorkOrder.objects.filter(pk__in=ids).values_list("handler_id", flat=True))
    assert sorted(per_person.values()) == [10, 10, 10, 10]  # round-robin under concurrency


def test_parallel_dispatch_respects_capacity(setup, agent):
    desk, people, accepted = setup
    User.objects.filter(pk__in=[p.pk for p in people]).update(presence="available", capacity=4)
    ids = accepted(24)
    chunks = [ids[i::4] for i in range(4)]

    _run(4, lambda i: [routing.dispatch(agent, pk) for pk in chunks[i]])

    handlers = Counter(WorkOrder.objects.filter(pk__in=ids).values_list("handler_id", flat=True))
    assert handlers.pop(None) == 8  # 24 orders, room for 16: the rest wait in the queue
    assert sorted(handlers.values()) == [4, 4, 4, 4]
