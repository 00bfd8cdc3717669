"""Routing takes only orders in the caller's data scope: one out of it is answered like one
that does not exist (404, or skipped in a batch) and is left as it was."""

import pytest

from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.routing.models import DispatchRule
from kefu.staff import roles
from kefu.staff.models import Department, User

NONE = 987_654_321
THREAT = "宽带断网三天了，再不修我就去工信部投诉"  # the triage rules raise it to major and flag it


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("root", password="pw")


def _scoped(user, scope):
    User.objects.filter(pk=user.pk).update(data_scope=scope, region="广东")
    return User.objects.get(pk=user.pk)


def _accepted(admin, customer, department=None, **fields):
    order = orders.create_order(admin, kind="fault", title=THREAT, customer_id=customer.pk, channel="hotline")
    orders.accept(admin, order.pk)
    WorkOrder.objects.filter(pk=order.pk).update(department=department, **fields)
    return WorkOrder.objects.get(pk=order.pk)


def _as_it_was(order):
    o = WorkOrder.objects.get(pk=order.pk)
    return (o.status, o.department_id, o.handler_id, o.severity, o.flagged, o.category_id, o.version, o.events.count())


def _as_missing(api, path, order, body=None):
    """The answers for ORDER's id and for an id that does not exist, the latter read as if for ORDER."""
    got = api.post(path.format(order.pk), body or {})
    missing = api.post(path.format(NONE), body or {})
    return (got.status_code, got.content.decode()), (missing.status_code, missing.content.decode().replace(str(NONE), str(order.pk)))


def test_a_batch_routes_only_the_orders_in_scope(api_client, handler, admin, customer, departments):
    """A handler (department scope) once routed, classified and assigned orders of another
    department, in their name (issue 12, item 2)."""
    DispatchRule.objects.create(name="everything", department=departments["tech-support"])
    mine = _accepted(admin, customer, departments["tech-support"])
    theirs = _accepted(admin, customer, departments["billing"])
    before = _as_it_was(theirs)
    r = api_client(_scoped(handler, "department")).post("/routing/route", {"order_ids": [theirs.pk, NONE, mine.pk], "classify": True})
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["assigned"]] == [mine.pk]
    assert _as_it_was(theirs) == before
    assert WorkOrder.objects.get(pk=mine.pk).severity == "major"  # the batch did classify what it could see


def test_auto_assign_out_of_scope_is_not_found_before_any_word_on_its_state(api_client, handler, admin, customer, departments):
    api = api_client(_scoped(handler, "department"))
    no_desk = _accepted(admin, customer)  # once: 422 "dispatch it first"
    taken = _accepted(admin, customer, departments["billing"], handler=admin, status="assigned")  # once: 409 with its state
    for order in (no_desk, taken):
        before = _as_it_was(order)
        got, missing = _as_missing(api, "/orders/{}/auto-assign", order)
        assert got == missing and got[0] == 404
        assert _as_it_was(order) == before


def test_dispatch_out_of_scope_is_not_found_even_when_no_rule_matches(api_client, handler, admin, customer, departments):
    theirs = _accepted(admin, customer, departments["billing"])
    got, missing = _as_missing(api_client(_scoped(handler, "department")), "/orders/{}/dispatch", theirs, {"note": ""})
    assert got == missing and got[0] == 404  # once: 422 "No dispatch rule matches this order"


def test_a_supervisor_drains_only_the_queue_in_their_scope(api_client, make_user, admin, handler, customer, departments):
    desk = departments["tech-support"]
    Department.objects.filter(pk=desk.pk).update(assignment="least_loaded")
    User.objects.filter(pk=handler.pk).update(presence="available", capacity=10)
    supervisor = _scoped(make_user(roles.SUPERVISOR, "front-office"), "department")
    mine = _accepted(admin, customer, desk, owner=supervisor)
    theirs = _accepted(admin, customer, desk)
    before = _as_it_was(theirs)
    r = api_client(supervisor).post(f"/routing/drain?department={desk.pk}")
    assert r.status_code == 200 and r.json() == {"assigned": 1}
    assert WorkOrder.objects.get(pk=mine.pk).handler_id == handler.pk
    assert _as_it_was(theirs) == before
