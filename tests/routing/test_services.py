"""Assignment inside a department, people's statuses, the offline policy, draining the queue,
escalation tiers and routing on intake — through the services, on the database."""

from collections import Counter

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.orders import services as orders
from kefu.orders.models import Category, OrderEvent, Status, WorkOrder
from kefu.routing import services as routing
from kefu.routing.models import DispatchRule, PresenceChange, Skill
from kefu.staff import roles
from kefu.staff.models import Department, User


@pytest.fixture
def desk(departments):
    """Tech support assigns round-robin and everything is dispatched there."""
    d = departments["tech-support"]
    d.assignment, d.tier = Department.Assignment.ROUND_ROBIN, 2
    d.save()
    DispatchRule.objects.create(name="all to tech", position=1, department=d)
    return d


@pytest.fixture
def team(make_user, desk):
    people = [make_user(roles.TECH_SUPPORT, "tech-support") for _ in range(3)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(presence="available", capacity=10)
    return [User.objects.get(pk=p.pk) for p in people]


def _accepted(agent, customer, **kw):
    fields = {"kind": "fault", "title": "宽带断网", "channel": "hotline"} | kw
    o = orders.create_order(agent, customer_id=customer.pk, **fields)
    orders.accept(agent, o.pk)
    return o


def test_round_robin_spreads_orders_evenly_and_records_the_choice(agent, customer, team):
    made = [routing.dispatch(agent, _accepted(agent, customer).pk) for _ in range(9)]
    assert Counter(o.handler_id for o in made) == {p.pk: 3 for p in team}
    event = made[0].events.filter(action="assign").get()
    assert event.data["rule"]["name"] == "all to tech" and event.data["strategy"] == "round_robin"
    assert made[0].tier == 2 and event.data["tier"] == [1, 2]


def test_away_offline_and_full_people_get_nothing(agent, customer, team):
    a, b, c = team
    User.objects.filter(pk=a.pk).update(presence="away")
    User.objects.filter(pk=b.pk).update(presence="offline")
    User.objects.filter(pk=c.pk).update(capacity=2)
    got = [routing.dispatch(agent, _accepted(agent, customer).pk) for _ in range(3)]
    assert [o.handler_id for o in got] == [c.pk, c.pk, None]
    queued = got[2]
    assert (queued.status, queued.department.code) == (Status.ASSIGNED, "tech-support")
    assert queued.events.filter(action="assign").get().data["queued"] is True


def test_people_without_the_handling_permission_are_not_candidates(agent, customer, desk, make_user):
    clerk = make_user(roles.AUDITOR, "tech-support")
    User.objects.filter(pk=clerk.pk).update(presence="available")
    assert routing.dispatch(agent, _accepted(agent, customer).pk).handler is None


def test_least_loaded_counts_severity(agent, customer, team, settings):
    settings.KEFU_LOAD_WEIGHTS = {"general": 1, "urgent": 2, "major": 5}
    Department.objects.filter(code="tech-support").update(assignment="least_loaded")
    a, b, c = team
    for person, severities in ((a, ["major"]), (b, ["general", "general"]), (c, ["urgent", "urgent"])):
        for sev in severities:
            o = _accepted(agent, customer, severity=sev)
            orders.assign(agent, o.pk, handler_id=person.pk)
    # loads: a 5, b 2, c 4 → b
    assert routing.dispatch(agent, _accepted(agent, customer).pk).handler_id == b.pk
    board = {x.pk: (x.open_orders, x.load) for x in routing.agents(agent, Department.objects.get(code="tech-support").pk)}
    assert board == {a.pk: (1, 5), b.pk: (3, 3), c.pk: (2, 4)}


def test_skill_strategy_and_the_queue_for_unskilled(agent, customer, team, supervisor):
    Department.objects.filter(code="tech-support").update(assignment="skill")
    fiber = Skill.objects.create(code="fiber", name="光纤")
    fiber.categories.set([Category.objects.get(code="fault-broadband-down")])
    a, b, c = team
    fiber.members.set([c])
    broadband = Category.objects.get(code="fault-broadband-down")
    assert routing.dispatch(agent, _accepted(agent, customer, category_id=broadband.pk).pk).handler_id == c.pk
    # An order needing no skill goes to the least loaded: not c, who now has one.
    assert routing.dispatch(agent, _accepted(agent, customer).pk).handler_id in {a.pk, b.pk}
    routing.set_presence(supervisor, c.pk, "offline")
    waiting = routing.dispatch(agent, _accepted(agent, customer, category_id=broadband.pk).pk)
    assert waiting.handler is None
    routing.set_presence(supervisor, c.pk, "available")  # the queue flows to the skilled one
    assert WorkOrder.objects.get(pk=waiting.pk).handler_id == c.pk


@pytest.mark.parametrize("policy", ["keep", "requeue", "reassign"])
def test_offline_policy(policy, agent, customer, team, supervisor):
    Department.objects.filter(code="tech-support").update(offline_policy=policy)
    a, b, c = team
    made = [_accepted(agent, customer) for _ in range(3)]
    for o in made:
        orders.assign(agent, o.pk, handler_id=a.pk)
    orders.start(a, made[1].pk)
    orders.start(a, made[2].pk)
    orders.wait_for_customer(a, made[2].pk, reason="needs the router's serial number")
    routing.set_presence(a, a.pk, "offline", reason="end of shift")
    after = {o.pk: WorkOrder.objects.get(pk=o.pk) for o in made}
    waiting = after[made[2].pk]
    assert waiting.handler_id == a.pk  # waiting for the customer: stays in any case
    moved = [after[made[0].pk], after[made[1].pk]]
    if policy == "keep":
        assert all(o.handler_id == a.pk for o in moved)
    elif policy == "requeue":
        assert all(o.handler_id is None and o.status == Status.ASSIGNED for o in moved)
        ev = moved[1].events.filter(action="requeue").get()
        assert ev.actor is None and "offline" in ev.reason.lower()
    else:
        assert {o.handler_id for o in moved} <= {b.pk, c.pk} and all(o.handler_id for o in moved)
    change = PresenceChange.objects.get(user=a)
    assert (change.previous, change.presence, change.by, change.moved, change.reason) == (
        "available", "offline", a, 0 if policy == "keep" else 2, "end of shift")


def test_presence_of_others_needs_a_supervisor(team, handler, supervisor):
    with pytest.raises(Forbidden):
        routing.set_presence(handler, team[0].pk, "away")
    with pytest.raises(ValidationFailed) as err:
        routing.set_presence(supervisor, team[0].pk, "sleeping")
    assert "presence" in err.value.fields
    assert routing.set_presence(supervisor, team[0].pk, "busy").presence == "busy"


def test_auto_assign_and_drain(agent, customer, team, supervisor):
    for p in team:
        routing.set_presence(supervisor, p.pk, "offline")
    queued = [routing.dispatch(agent, _accepted(agent, customer, severity=s).pk) for s in ("general", "major", "urgent")]
    assert all(o.handler is None for o in queued)
    with pytest.raises(Conflict):
        routing.auto_assign(agent, queued[0].pk)
    User.objects.filter(pk=team[0].pk).update(presence="available", capacity=2)
    assert routing.drain() == 2
    got = {o.pk: WorkOrder.objects.get(pk=o.pk).handler_id for o in queued}
    # Most severe first: the major and urgent ones went, the general one waits.
    assert got == {queued[0].pk: None, queued[1].pk: team[0].pk, queued[2].pk: team[0].pk}
    with pytest.raises(Conflict):
        routing.auto_assign(agent, queued[1].pk)  # has a handler already


def test_escalate_and_deescalate_between_tiers(agent, customer, team, departments, handler):
    front, tech = departments["front-office"], departments["tech-support"]
    netops = Department.objects.create(code="network-ops", name="网络运维", tier=3, assignment="manual")
    Department.objects.filter(pk=front.pk).update(escalates_to=tech)
    Department.objects.filter(pk=tech.pk).update(escalates_to=netops)
    o = _accepted(agent, customer)
    orders.assign(agent, o.pk, department_id=front.pk)
    up = routing.escalate(agent, o.pk, reason="needs line testing")
    assert (up.department_id, up.tier) == (tech.pk, 2) and up.handler_id in {p.pk for p in team}  # round-robin there
    ev = up.events.filter(action="escalate").get()
    assert ev.reason == "needs line testing" and ev.data["tier"] == [1, 2]
    top = routing.escalate(agent, o.pk, reason="fibre cut")
    assert (top.department_id, top.tier, top.handler_id) == (netops.pk, 3, None)  # manual desk: its queue
    with pytest.raises(ValidationFailed) as err:
        routing.escalate(agent, o.pk, reason="more", department_id=tech.pk)
    assert "department_id" in err.value.fields
    # A time-limit escalation notice in between is a different event and changes nothing here.
    OrderEvent.objects.create(order_id=o.pk, at=timezone.now(), action="sla_escalation", data={"metric": "resolution", "level": 1})
    down = routing.deescalate(agent, o.pk, reason="fixed the cut; the modem is the customer's")
    assert (down.department_id, down.tier) == (tech.pk, 2)  # back where it came from
    with pytest.raises(ValidationFailed):
        routing.deescalate(agent, o.pk, reason="x", department_id=netops.pk)


def test_escalation_without_a_next_tier_names_the_field(agent, customer, departments):
    o = _accepted(agent, customer)
    orders.assign(agent, o.pk, department_id=departments["billing"].pk)
    with pytest.raises(ValidationFailed) as err:
        routing.escalate(agent, o.pk, reason="x")
    assert "department_id" in err.value.fields
    with pytest.raises(ValidationFailed):
        routing.escalate(agent, o.pk, reason="")


def test_intake_classifies_flags_and_routes(agent, customer, team, departments):
    complaints = departments["complaints"]
    DispatchRule.objects.create(name="threats", position=0, flagged=True, department=complaints)
    o = routing.intake(agent, title="乱扣费，再不解决我就去工信部投诉", description="这个月又多扣了30元",
                       customer_id=customer.pk, channel="hotline")
    assert (o.status, o.department_id, o.flagged, o.severity) == (Status.ASSIGNED, complaints.pk, True, "major")
    assert o.kind == "complaint"
    create = o.events.get(action="create")
    assert "扬言向监管部门申诉" in create.data["triage"]["rules"]
    assert [e.action for e in o.events.order_by("id")][:4] == ["create", "sla_policy", "accept", "assign"]
    plain = routing.intake(agent, title="宽带断网了", description="家里宽带从昨天开始连不上", customer_id=customer.pk,
                           channel="hotline", kind="fault")
    assert (plain.department.code, plain.flagged) == ("tech-support", False) and plain.handler_id is not None


def test_intake_without_a_matching_rule_keeps_the_order(agent, customer, departments):
    o = routing.intake(agent, title="宽带断网了", customer_id=customer.pk, channel="hotline", kind="fault")
    assert (o.status, o.department) == (Status.ACCEPTED, None)


def test_intake_takes_the_category_only_when_confident(agent, customer, desk, settings):
    settings.KEFU_TRIAGE_MIN_CONFIDENCE = 1.01
    o = routing.intake(agent, title="宽带断网了", customer_id=customer.pk, channel="hotline", kind="fault")
    assert o.category is None
    settings.KEFU_TRIAGE_MIN_CONFIDENCE = 0.0
    o = routing.intake(agent, title="宽带断网了，一直连不上", customer_id=customer.pk, channel="hotline", kind="fault")
    assert o.category is not None and o.category.kind in ("", "fault")


def test_route_many_classifies_raises_and_assigns_in_one_batch(agent, customer, team, departments, supervisor):
    complaints = departments["complaints"]
    DispatchRule.objects.create(name="threats", position=0, flagged=True, department=complaints)
    threat = _accepted(agent, customer, kind="complaint", title="乱扣费，不解决我就去工信部投诉")
    plain = [_accepted(agent, customer) for _ in range(6)]
    taken = _accepted(agent, customer)
    orders.assign(agent, taken.pk, handler_id=team[0].pk)  # not waiting: left alone
    done = routing.route_many(agent, [threat.pk, taken.pk] + [o.pk for o in plain])
    assert sorted(o.pk for o in done) == sorted([threat.pk] + [o.pk for o in plain])
    threat = WorkOrder.objects.get(pk=threat.pk)
    assert (threat.department_id, threat.flagged, threat.severity, threat.handler_id) == (complaints.pk, True, "major", None)
    ev = threat.events.filter(action="assign").get()
    assert ev.data["changes"] == {"severity": ["general", "major"], "flagged": [False, True]} and ev.data["rule"]["name"] == "threats"
    assert threat.events.filter(action="sla_policy").count() == 2  # severity changed: the policy was chosen again
    # Round-robin inside the batch: 6 + the one taken before → 3 people get 2 or 3.
    got = Counter(WorkOrder.objects.filter(department__code="tech-support").values_list("handler_id", flat=True))
    assert sorted(got.values()) == [2, 2, 3]
    assert WorkOrder.objects.get(pk=taken.pk).events.filter(action="assign").count() == 1


def test_route_many_respects_capacity_and_leaves_the_rest_queued(agent, customer, team):
    User.objects.filter(pk__in=[p.pk for p in team]).update(capacity=1)
    made = [_accepted(agent, customer) for _ in range(5)]
    done = routing.route_many(agent, [o.pk for o in made])
    assigned = [o for o in done if o.handler_id]
    assert len(assigned) == 3 and len({o.handler_id for o in assigned}) == 3
    rest = WorkOrder.objects.filter(pk__in=[o.pk for o in made], handler__isnull=True)
    assert rest.count() == 2 and all(o.status == Status.ASSIGNED for o in rest)  # in the desk's queue
    assert routing.drain() == 0  # still nobody with room


def test_route_many_needs_the_dispatch_permission(customer, agent, auditor):
    o = _accepted(agent, customer)
    with pytest.raises(Forbidden):
        routing.route_many(auditor, [o.pk])


def test_a_batch_never_takes_an_order_claimed_or_moved_since_it_was_planned(agent, customer, team, departments):
    from kefu.orders.services import assign_many

    claimed, moved, fine = (_accepted(agent, customer) for _ in range(3))
    team[0].data_scope = "region"  # to see an order of no department yet (kefu.scopes)
    orders.claim(team[0], claimed.pk)
    orders.assign(agent, moved.pk, department_id=departments["billing"].pk)
    tech = departments["tech-support"].pk
    plan = [{"order_id": o.pk, "department_id": tech, "handler_id": team[1].pk, "planned_from": None} for o in (claimed, moved, fine)]
    done = assign_many(agent, plan)
    assert [o.pk for o in done] == [fine.pk]
    assert WorkOrder.objects.get(pk=claimed.pk).handler_id == team[0].pk
    assert WorkOrder.objects.get(pk=moved.pk).department_id == departments["billing"].pk
