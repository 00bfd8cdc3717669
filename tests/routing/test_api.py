"""/api/v1/routing and the routing actions under /orders: thin, so these check the wiring,
the permissions and the error shapes."""

import pytest

from kefu.routing.models import DispatchRule, Skill
from kefu.staff import roles
from kefu.staff.models import Department, User


@pytest.fixture
def desk(departments):
    Department.objects.filter(pk=departments["tech-support"].pk).update(assignment="least_loaded", tier=2)
    return Department.objects.get(pk=departments["tech-support"].pk)


def test_presence_own_and_others(api_client, handler, handler2, supervisor):
    r = api_client(handler).put_json("/routing/presence", {"presence": "available"})
    assert r.status_code == 200 and r.json()["presence"] == "available"
    assert api_client(handler).put_json(f"/routing/agents/{handler2.pk}/presence", {"presence": "away"}).status_code == 403
    r = api_client(supervisor).put_json(f"/routing/agents/{handler2.pk}/presence", {"presence": "away"})
    assert r.status_code == 200 and User.objects.get(pk=handler2.pk).presence == "away"
    r = api_client(handler).put_json("/routing/presence", {"presence": "asleep"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "presence"


def test_agents_board_and_capacity(api_client, handler, supervisor, desk):
    skill = Skill.objects.create(code="fiber", name="光纤")
    r = api_client(supervisor).patch(f"/routing/agents/{handler.pk}", {"capacity": 3, "skill_ids": [skill.pk]})
    assert r.status_code == 200 and (r.json()["capacity"], r.json()["skills"]) == (3, ["fiber"])
    r = api_client(supervisor).patch(f"/routing/agents/{handler.pk}", {"skill_ids": [9999]})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "skill_ids"
    assert api_client(handler).patch(f"/routing/agents/{handler.pk}", {"capacity": 99}).status_code == 403
    board = api_client(supervisor).get(f"/routing/agents?department={desk.pk}").json()
    assert [(a["username"], a["capacity"], a["open_orders"]) for a in board] == [("handler", 3, 0)]


def test_dispatch_rules_crud_with_field_errors(api_client, supervisor, agent, departments):
    api = api_client(supervisor)
    r = api.post("/routing/rules", {"name": "faults", "position": 10, "kind": "fault", "department_id": departments["tech-support"].pk})
    assert r.status_code == 201 and r.json()["kind"] == "fault"
    rule_id = r.json()["id"]
    r = api.post("/routing/rules", {"name": "faults", "department_id": 424242})
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["fields"]} == {"name", "department_id"}
    r = api.patch(f"/routing/rules/{rule_id}", {"flagged": True, "kind": None})
    assert r.status_code == 200 and (r.json()["flagged"], r.json()["kind"]) == (True, "")
    assert [x["name"] for x in api_client(agent).get("/routing/rules").json()] == ["faults"]
    assert api_client(agent).post("/routing/rules", {"name": "x", "department_id": departments["billing"].pk}).status_code == 403
    assert api.delete(f"/routing/rules/{rule_id}").status_code == 204
    assert not DispatchRule.objects.exists()


def test_department_routing_settings(api_client, supervisor, departments):
    api = api_client(supervisor)
    tech, billing = departments["tech-support"], departments["billing"]
    r = api.patch(f"/routing/departments/{tech.pk}", {"tier": 2, "assignment": "skill", "escalates_to_id": billing.pk,
                                                     "offline_policy": "reassign"})
    assert r.status_code == 200 and r.json()["assignment"] == "skill"
    r = api.patch(f"/routing/departments/{tech.pk}", {"escalates_to_id": tech.pk})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "escalates_to_id"
    r = api.patch(f"/routing/departments/{tech.pk}", {"assignment": "lottery"})
    assert r.status_code == 422


def test_skills_api(api_client, supervisor, handler):
    from kefu.orders.models import Category

    cat = Category.objects.get(code="fault-broadband-down")
    api = api_client(supervisor)
    r = api.post("/routing/skills", {"code": "fiber", "name": "光纤", "category_ids": [cat.pk], "member_ids": [handler.pk]})
    assert r.status_code == 201 and r.json()["category_ids"] == [cat.pk] and r.json()["member_ids"] == [handler.pk]
    r = api.post("/routing/skills", {"code": "fiber", "name": "again"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "code"


def test_order_routing_actions(api_client, agent, customer, handler, desk, departments):
    User.objects.filter(pk=handler.pk).update(presence="available")
    DispatchRule.objects.create(name="all", department=desk)
    api = api_client(agent)
    r = api.post("/orders", {"title": "宽带断网了，一直连不上", "customer_id": customer.pk, "channel": "hotline", "route": True})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["department"]["code"], body["handler"]["username"], body["tier"]) == ("assigned", "tech-support", "handler", 2)
    assert body["kind"] == "fault"  # the classifier filled it in
    order_id = body["id"]
    r = api.post(f"/orders/{order_id}/requeue", {"reason": "off sick"})
    assert r.status_code == 200 and r.json()["handler"] is None
    r = api.post(f"/orders/{order_id}/auto-assign", {})
    assert r.status_code == 200 and r.json()["handler"]["username"] == "handler"
    r = api.post(f"/orders/{order_id}/escalate", {"reason": "needs field work"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "department_id"
    r = api.post(f"/orders/{order_id}/deescalate", {"reason": "billing after all", "department_id": departments["front-office"].pk})
    assert r.status_code == 200 and (r.json()["tier"], r.json()["department"]["code"]) == (1, "front-office")


def test_unrouted_create_still_needs_a_kind(api_client, agent, customer):
    r = api_client(agent).post("/orders", {"title": "x", "customer_id": customer.pk, "channel": "hotline"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "kind"


def test_auto_route_setting(api_client, agent, customer, settings):
    settings.KEFU_AUTO_ROUTE = True
    r = api_client(agent).post("/orders", {"title": "宽带断网了", "customer_id": customer.pk, "channel": "hotline"})
    assert r.status_code == 201 and r.json()["status"] == "accepted"  # no dispatch rule: it waits, accepted
    r = api_client(agent).post("/orders", {"kind": "fault", "title": "宽带断网了", "customer_id": customer.pk,
                                           "channel": "hotline", "route": False})
    assert r.json()["status"] == "new"


def test_drain_needs_a_supervisor(api_client, handler, supervisor):
    assert api_client(handler).post("/routing/drain").status_code == 403
    assert api_client(supervisor).post("/routing/drain").json() == {"assigned": 0}


def test_roles_see_rules(make_user):
    # Every role that reads orders may read the rules (they explain where orders went).
    assert make_user(roles.AUDITOR, None).has_perm("routing.view_dispatchrule")


def test_route_a_batch(api_client, agent, customer, desk, handler):
    from kefu.orders import services as orders

    User.objects.filter(pk=handler.pk).update(presence="available")
    DispatchRule.objects.create(name="all", department=desk)
    made = []
    for _ in range(3):
        o = orders.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline")
        orders.accept(agent, o.pk)
        made.append(o.pk)
    r = api_client(agent).post("/routing/route", {"order_ids": made})
    assert r.status_code == 200 and [a["handler_id"] for a in r.json()["assigned"]] == [handler.pk] * 3
    assert api_client(agent).post("/routing/route", {"order_ids": []}).status_code == 422


def test_admin_pages_render(client, make_user):
    admin = User.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    for url in ("/admin/routing/dispatchrule/", "/admin/routing/skill/add/", "/admin/routing/presencechange/",
                "/admin/staff/department/", f"/admin/staff/user/{admin.pk}/change/"):
        assert client.get(url).status_code == 200, url


def test_assign_or_transfer_to_a_department_lets_its_strategy_pick(api_client, agent, customer, handler, desk, departments):
    from kefu.orders import services as orders

    User.objects.filter(pk=handler.pk).update(presence="available")
    o = orders.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline")
    orders.accept(agent, o.pk)
    api = api_client(agent)
    r = api.post(f"/orders/{o.pk}/assign", {"department_id": departments["front-office"].pk})  # a manual desk
    assert r.status_code == 200 and r.json()["handler"] is None
    r = api.post(f"/orders/{o.pk}/transfer", {"department_id": desk.pk, "reason": "a line fault"})
    assert r.status_code == 200 and r.json()["handler"]["username"] == "handler"
