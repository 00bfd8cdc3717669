"""Order events as one hook (kefu.orders.events, decision 0024): every event of an order — each
action of the state table, routing's batches (assign_many), the SLA's own (policy choice,
escalations) — reaches the subscribers of both phases, once; the "after" phase reads committed
events from OrderEvent, safe to run twice, and misses none that commit out of id order."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kefu.orders import events, services
from kefu.orders.models import EventConsumer, EventReceipt, OrderEvent, Status, WorkOrder
from kefu.orders.states import TRANSITIONS
from kefu.sla import escalation
from kefu.sla.models import OrderClock

CONSUMER = "test-consumer"


class Heard:
    """A subscriber of both phases that keeps what it was given."""

    def __init__(self):
        self.calls = []  # transaction phase: one list of (order id, event id, action) per call
        self.after = []  # after phase: event ids, in the order handed over

    def in_transaction(self, pairs):
        self.calls.append([(order.pk, event.pk, event.action) for order, event in pairs])

    def after_commit(self, batch):
        self.after += [e.pk for e in batch]

    @property
    def pairs(self):
        return [p for call in self.calls for p in call]


@pytest.fixture
def heard():
    h = Heard()
    events.subscribe(h.in_transaction, phase=events.TRANSACTION)
    events.subscribe(h.after_commit, phase=events.AFTER, name=CONSUMER)
    yield h
    events.unsubscribe(h.in_transaction, name=CONSUMER)


def _new(agent, customer, **fields):
    return services.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline", **fields)


def _in(order, status, handler=None, **fields):
    WorkOrder.objects.filter(pk=order.pk).update(status=status, handler=handler, **fields)
    return order.pk


def _resolved_by(order, person):
    """A resolve event by PERSON for confirm and reopen to point at (recorded through the hook)."""
    events.record(order, person, "resolve", Status.IN_PROGRESS, Status.RESOLVED)


def _every_action(agent, supervisor, handler, customer, departments):
    """Each action of the state table once, on orders put in one of its source states; the
    supervisor may act on any order, so only the state decides."""
    departments["tech-support"].tier = 2
    departments["tech-support"].save()
    tech, complaints = departments["tech-support"], departments["complaints"]
    s, ws = supervisor, services
    steps = {
        "accept": lambda o: ws.accept(s, _in(o, Status.NEW)),
        "assign": lambda o: ws.assign(s, _in(o, Status.ACCEPTED), department_id=tech.pk, handler_id=handler.pk),
        "claim": lambda o: ws.claim(s, _in(o, Status.ASSIGNED)),
        "release": lambda o: ws.release(s, _in(o, Status.ASSIGNED, s)),
        "start": lambda o: ws.start(s, _in(o, Status.ASSIGNED, s)),
        "wait": lambda o: ws.wait_for_customer(s, _in(o, Status.IN_PROGRESS, s), reason="need the bill"),
        "resume": lambda o: ws.resume(s, _in(o, Status.WAITING_CUSTOMER, s)),
        "answer": lambda o: ws.record_answer(s, _in(o, Status.WAITING_CUSTOMER, s), answer="the bill is attached"),
        "resolve": lambda o: ws.resolve(s, _in(o, Status.IN_PROGRESS, s), resolution="refunded 20 yuan"),
        "transfer": lambda o: ws.transfer(s, _in(o, Status.IN_PROGRESS, s), department_id=complaints.pk, reason="billing"),
        "confirm": lambda o: (_resolved_by(o, handler), ws.confirm(s, _in(o, Status.RESOLVED), channel="hotline",
                                                                   customer_confirmed=True)),
        "auto_confirm": lambda o: (_in(o, Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=30)),
                                   ws.auto_confirm_due()),
        "close": lambda o: ws.close(s, _in(o, Status.CONFIRMED)),
        "reject": lambda o: ws.reject(s, _in(o, Status.NEW), reason="duplicate"),
        "cancel": lambda o: ws.cancel(s, _in(o, Status.ACCEPTED), reason="customer withdrew"),
        "reopen": lambda o: (_resolved_by(o, handler), ws.reopen(s, _in(o, Status.RESOLVED), reason="not fixed")),
        "requeue": lambda o: ws.requeue(s, _in(o, Status.ASSIGNED, s), reason="off sick"),
        "escalate": lambda o: ws.escalate(s, _in(o, Status.ACCEPTED), department_id=tech.pk, reason="specialist"),
        "deescalate": lambda o: ws.deescalate(s, _in(o, Status.ASSIGNED, s, tier=3),
                                              department_id=departments["front-office"].pk, reason="billing after all"),
        "merge": lambda o: ws.merge(s, _in(o, Status.ACCEPTED), into_id=_new(agent, customer).pk, reason="same outage"),
        "handover": lambda o: ws.handover(o.owner, _in(o, Status.ACCEPTED), new_owner_id=s.pk, reason="shift ends"),
    }
    assert set(steps) == set(TRANSITIONS)
    for action, step in steps.items():
        order = _new(agent, customer)
        step(order)
        assert OrderEvent.objects.filter(order=order, action=action).exists(), action
    # What is not a state change goes the same way.
    order = _new(agent, customer)
    services.add_comment(agent, order.pk, note="客户来电催办", visibility="customer")
    services.update_order(agent, order.pk, version=WorkOrder.objects.get(pk=order.pk).version,
                          changes={"severity": "urgent"})
    services.link(agent, order.pk, _new(agent, customer).pk)


def test_every_event_reaches_both_phases_once(heard, agent, supervisor, handler, customer, departments):
    _every_action(agent, supervisor, handler, customer, departments)
    written = list(OrderEvent.objects.order_by("pk").values_list("pk", "order_id", "action"))
    actions = {action for _pk, _order, action in written}
    assert set(TRANSITIONS) | {"create", "sla_policy", "comment", "update", "link", "merged_in"} <= actions
    # In the transaction: every row written was handed over, once, with its own order.
    assert sorted(heard.pairs) == sorted((order, pk, action) for pk, order, action in written)
    # After: every committed event, in id order, once; drained again, nothing new.
    assert events.drain(CONSUMER) == len(written)
    assert heard.after == [pk for pk, _order, _action in written]
    assert events.drain(CONSUMER) == 0 and len(heard.after) == len(written)


def test_a_batch_of_assignments_is_published_as_one(heard, agent, customer, departments, handler):
    orders = [_new(agent, customer) for _ in range(3)]
    for o in orders:
        services.accept(agent, o.pk)
    heard.calls.clear()
    done = services.assign_many(agent, [{"order_id": o.pk, "department_id": departments["tech-support"].pk,
                                         "handler_id": handler.pk, "planned_from": o.department_id} for o in orders])
    assert len(done) == 3
    assigned = list(OrderEvent.objects.filter(action="assign").order_by("pk").values_list("order_id", "pk"))
    [batch] = [call for call in heard.calls if {a for _o, _e, a in call} == {"assign"}]
    assert [(o, e) for o, e, _a in batch] == assigned  # one call, every event of the INSERT
    assert {o.last_event.pk for o in done} == {pk for _o, pk in assigned}
    events.drain(CONSUMER)
    assert {pk for _o, pk in assigned} <= set(heard.after)


def test_escalations_are_published_as_a_batch(heard, agent, customer):
    orders = [_new(agent, customer) for _ in range(2)]
    past = timezone.now() - timedelta(hours=1)
    OrderClock.objects.filter(order__in=orders).update(warn_at=past, due_at=past, next_check_at=past)
    heard.calls.clear()
    escalation.scan()
    written = list(OrderEvent.objects.filter(action="sla_escalation").order_by("pk").values_list("order_id", "pk", "action"))
    assert {o for o, _e, _a in written} == {o.pk for o in orders}
    assert heard.calls == [written]  # one INSERT, one publication, nothing written around the hook
    events.drain(CONSUMER)
    assert {pk for _o, pk, _a in written} <= set(heard.after)


def test_a_failing_transaction_handler_rolls_the_order_back(agent, customer):
    order = _new(agent, customer)
    before = OrderEvent.objects.count()

    def refuse(pairs):
        raise RuntimeError("the clocks cannot follow")

    events.subscribe(refuse, phase=events.TRANSACTION)
    try:
        with pytest.raises(RuntimeError):
            services.accept(agent, order.pk)
    finally:
        events.unsubscribe(refuse)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW
    assert OrderEvent.objects.count() == before


def test_a_failing_consumer_keeps_its_place_and_holds_back_no_other(heard, agent, customer):
    broken = {"on": True}

    def fragile(batch):
        if broken["on"]:
            raise RuntimeError("the report database is down")

    events.subscribe_after("fragile", fragile)
    try:
        _new(agent, customer)
        with pytest.raises(RuntimeError):
            events.drain()
        assert len(heard.after) == OrderEvent.objects.count()  # the other consumer went on
        # Its batch rolled back: no receipt, no position (not even its row, created in that batch).
        assert not EventReceipt.objects.filter(consumer__name="fragile").exists()
        assert not EventConsumer.objects.filter(name="fragile", position__gt=0).exists()
        broken["on"] = False
        assert events.drain("fragile") == OrderEvent.objects.count()
    finally:
        events.unsubscribe(name="fragile")


def test_the_position_moves_once_the_mark_has_settled(heard, agent, customer, settings):
    settings.KEFU_EVENTS_SETTLE_SECONDS = 600
    _new(agent, customer)
    first = OrderEvent.objects.count()
    events.drain(CONSUMER)
    row = EventConsumer.objects.get(name=CONSUMER)
    # Not settled yet: handled events are held by receipts, the position stays.
    assert row.position == 0 and row.receipts.count() == first and row.mark == OrderEvent.objects.latest("pk").pk
    mark = row.mark
    EventConsumer.objects.filter(pk=row.pk).update(marked_at=timezone.now() - timedelta(seconds=601))
    later = _new(agent, customer)
    events.drain(CONSUMER)
    row.refresh_from_db()
    # Settled: every id up to the mark has committed or never will; its receipts are dropped,
    # those above it kept, and a new mark taken.
    newer = set(OrderEvent.objects.filter(order=later).values_list("pk", flat=True))
    assert row.position == mark and set(row.receipts.values_list("event_id", flat=True)) == newer
    assert row.mark == max(newer)
    assert heard.after == list(OrderEvent.objects.order_by("pk").values_list("pk", flat=True))  # each once


def test_a_consumer_without_history_starts_at_the_latest_event(agent, customer):
    _new(agent, customer)
    seen = []
    events.subscribe_after("news-only", lambda batch: seen.extend(e.pk for e in batch), history=False)
    try:
        assert events.drain("news-only") == 0
        order = _new(agent, customer)
        events.drain("news-only")
        assert seen == list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("pk", flat=True))
    finally:
        events.unsubscribe(name="news-only")


def test_the_commit_drains_at_once(heard, agent, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = _new(agent, customer)
    assert len(callbacks) == 1  # one drain for the transaction, however many events it wrote
    assert heard.after == list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("pk", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_committed_after_a_higher_one_is_not_skipped(heard, agent, customer, settings):
    """Two transactions: the first writes an event (the lower id) and stays open while the
    second writes one (a higher id) and commits; a drain between the two commits hands over the
    higher one, and the lower one once its transaction commits."""
    settings.KEFU_EVENTS_DRAIN_ON_COMMIT = False
    order = _new(agent, customer)
    events.drain(CONSUMER)
    heard.after.clear()
    written, commit = threading.Event(), threading.Event()
    slow = {}

    def slow_transaction():
        try:
            with transaction.atomic():
                slow["event"] = events.record(order, agent, "comment", order.status, order.status, note="slow")
                written.set()
                commit.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert written.wait(10)
    fast = events.record(order, agent, "comment", order.status, order.status, note="fast")  # autocommit
    assert fast.pk > slow["event"].pk
    for _ in range(3):  # however often the worker drains meanwhile
        events.drain(CONSUMER)
    assert heard.after == [fast.pk]
    commit.set()
    thread.join(10)
    events.drain(CONSUMER)
    assert heard.after == [fast.pk, slow["event"].pk]
    events.drain(CONSUMER)
    assert Counter(heard.after) == Counter({fast.pk: 1, slow["event"].pk: 1})
