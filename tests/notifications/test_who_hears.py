"""Who hears of what happens to an order (kefu.notifications.services.tell_many): the person an order is
given to — on every transfer (转派, with its reason), on an assignment someone makes to them by
name, on any assignment of a major or flagged order — and the complaint coordinators of an
order the triage rules flag; routing's batches tell them all in a few queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.notifications import services as notifications
from kefu.notifications.models import Notification
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.routing import services as routing
from kefu.routing.models import DispatchRule
from kefu.staff import roles
from kefu.staff.models import Department, User

THREAT = "乱扣费，再不解决我就去工信部投诉"


def _said(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("message", flat=True))


@pytest.fixture
def desks(departments):
    """Flagged orders go to the complaints desk, the rest to tech support; both assign by rotation."""
    Department.objects.filter(code__in=["tech-support", "complaints"]).update(assignment=Department.Assignment.ROUND_ROBIN)
    DispatchRule.objects.create(name="threats", position=0, flagged=True, department=departments["complaints"])
    DispatchRule.objects.create(name="the rest", position=10, department=departments["tech-support"])
    return departments


@pytest.fixture
def techs(make_user, desks):
    people = [make_user(roles.TECH_SUPPORT, "tech-support") for _ in range(2)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(presence="available")
    return people


@pytest.fixture
def coordinators(make_user, desks):
    """Two at the complaints desk (offline: routing gives them nothing), one at billing."""
    return {"complaints": [make_user(roles.COORDINATOR, "complaints") for _ in range(2)],
            "billing": make_user(roles.COORDINATOR, "billing")}


def _queued(agent, customer, desk, **fields):
    """An order waiting in DESK's queue (assigned to the department, nobody handling it)."""
    o = orders.create_order(agent, customer_id=customer.pk, channel="hotline", **({"kind": "fault", "title": "宽带断网"} | fields))
    orders.accept(agent, o.pk)
    orders.assign(agent, o.pk, department_id=desk.pk)
    Notification.objects.all().delete()
    return o


def test_a_flagged_order_transferred_to_someone_tells_them_by_whom_and_why(agent, supervisor, customer, handler, desks):
    o = _queued(agent, customer, desks["front-office"], kind="complaint", title=THREAT, flagged=True)
    routing.transfer(supervisor, o.pk, department_id=desks["tech-support"].pk, handler_id=handler.pk, reason="需要现场排查")
    [message] = _said(handler)
    assert message.startswith(o.number) and "flagged for a complaint coordinator" in message
    assert "transferred to you by" in message and str(supervisor) in message and "需要现场排查" in message


def test_whom_routing_picks_after_a_transfer_hears_the_reason_too(agent, supervisor, customer, techs, desks):
    o = _queued(agent, customer, desks["front-office"], severity="major")
    moved = routing.transfer(supervisor, o.pk, department_id=desks["tech-support"].pk, reason="光缆中断，需运维处理")
    assert moved.handler_id in {t.pk for t in techs}
    assert moved.last_event.data["transfer_reason"] == "光缆中断，需运维处理"
    [message] = _said(moved.handler)
    assert message.startswith(o.number) and "a major work order was transferred to you" in message and "光缆中断" in message


def test_an_ordinary_transfer_is_told_but_a_routine_assignment_is_not(agent, supervisor, customer, techs, desks):
    o = orders.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline")
    orders.accept(agent, o.pk)
    routed = routing.dispatch(agent, o.pk)  # routing's strategy chose: it shows in their queue, no message
    assert routed.handler_id and not Notification.objects.exists()
    other = next(t for t in techs if t.pk != routed.handler_id)
    routing.transfer(supervisor, o.pk, department_id=desks["tech-support"].pk, handler_id=other.pk, reason="换人跟进")
    [message] = _said(other)
    assert "a work order was transferred to you" in message and "换人跟进" in message


def test_an_assignment_by_name_is_told_and_a_claim_is_not(agent, customer, handler, handler2, desks):
    o = _queued(agent, customer, desks["tech-support"])
    orders.assign(agent, o.pk, handler_id=handler.pk)
    assert _said(handler) == [f"{o.number}: a work order was assigned to you by {agent}."]
    p = _queued(agent, customer, desks["tech-support"])
    orders.claim(handler2, p.pk)
    assert not Notification.objects.filter(order=p).exists()


def test_routing_tells_the_person_it_picks_for_a_major_order(agent, customer, techs, desks):
    o = orders.create_order(agent, kind="fault", title="全小区断网", customer_id=customer.pk, channel="hotline", severity="major")
    orders.accept(agent, o.pk)
    routed = routing.dispatch(agent, o.pk)
    assert _said(routed.handler) == [f"{o.number}: a major work order was assigned to you by {agent}."]


def test_a_flag_on_intake_tells_the_complaints_desks_coordinators(agent, customer, coordinators, desks):
    o = routing.intake(agent, title=THREAT, description="这个月又多扣了30元", customer_id=customer.pk, channel="hotline")
    assert o.flagged and o.department_id == desks["complaints"].pk
    for person in coordinators["complaints"]:
        [message] = _said(person)
        assert message.startswith(o.number) and "flagged for a complaint coordinator" in message and THREAT in message
    assert _said(coordinators["billing"]) == [] and _said(agent) == []  # another desk's; and the agent flagged it


def test_coordinators_of_the_orders_own_desk_come_first(agent, customer, coordinators, desks):
    o = WorkOrder.objects.get(pk=_queued(agent, customer, desks["billing"], kind="complaint", title=THREAT).pk)
    assert o.department_id == desks["billing"].pk
    assert notifications.coordinators_for([o]) == {o.pk: [coordinators["billing"].pk]}
    o.department_id = desks["tech-support"].pk  # no coordinator there: the complaints desk's
    assert notifications.coordinators_for([o]) == {o.pk: sorted(p.pk for p in coordinators["complaints"])}


def test_coordinators_hear_only_of_orders_in_their_scope(agent, customer, coordinators, desks):
    outside = coordinators["complaints"][0]
    User.objects.filter(pk=outside.pk).update(data_scope="department")
    o = WorkOrder.objects.get(pk=_queued(agent, customer, desks["tech-support"], kind="complaint", title=THREAT).pk)
    told = notifications.coordinators_for([o])[o.pk]
    assert outside.pk not in told and coordinators["complaints"][1].pk in told


def test_route_many_tells_coordinators_of_every_flag_in_a_few_queries(agent, customer, coordinators, desks, monkeypatch):
    real, counted = notifications.tell_many, []

    def tell_many(pairs):
        with CaptureQueriesContext(connection) as ctx:
            real(pairs)
        counted.append((len(pairs), len(ctx.captured_queries)))

    monkeypatch.setattr(notifications, "tell_many", tell_many)
    for size in (2, 6):
        batch = [orders.create_order(agent, kind="complaint", title=f"{THREAT}（{n}）", customer_id=customer.pk,
                                     channel="hotline") for n in range(size)]
        for o in batch:
            orders.accept(agent, o.pk)
        counted.clear()
        done = routing.route_many(agent, [o.pk for o in batch])
        assert len(done) == size and all(o.flagged and o.department_id == desks["complaints"].pk for o in done)
        [(told, queries)] = counted  # one call for the batch
        assert told == size
        if size == 2:
            few = queries
    assert queries <= few, "more queries for more orders"
    assert queries <= 5
    for person in coordinators["complaints"]:
        assert len([m for m in _said(person) if "flagged for a complaint coordinator" in m]) == 8
    assert _said(coordinators["billing"]) == []
