"""The work order API: the closed loop over HTTP, error shapes, filters and pagination."""

import pytest

from kefu.orders.models import Status, WorkOrder


@pytest.fixture
def as_agent(api_client, agent):
    return api_client(agent)


@pytest.fixture
def as_handler(api_client, handler):
    return api_client(handler)


def _new_order(api, customer, subscription, **extra):
    body = {"kind": "complaint", "title": "宽带每晚断线", "description": "晚上八点后频繁掉线",
            "customer_id": customer.pk, "subscription_id": subscription.pk, "channel": "hotline"} | extra
    r = api.post("/orders", body)
    assert r.status_code == 201, r.content
    return r.json()


def test_a_newcomer_takes_a_complaint_through_the_whole_loop(as_agent, as_handler, handler, customer, subscription):
    o = _new_order(as_agent, customer, subscription)
    assert o["status"] == "new" and o["number"].startswith("GD") and o["owner"]["username"] == "agent"
    oid = o["id"]
    steps = [
        (as_agent, "accept", {}, "accepted"),
        (as_agent, "assign", {"handler_id": handler.pk}, "assigned"),
        (as_handler, "start", {}, "in_progress"),
        (as_handler, "wait", {"reason": "请提供路由器型号"}, "waiting_customer"),
        (as_handler, "resume", {}, "in_progress"),
        (as_handler, "wait", {"reason": "请提供光猫序列号"}, "waiting_customer"),
        # The customer calls back with it: whoever takes the call records the answer.
        (as_agent, "answer", {"answer": "序列号 ZTE0042", "channel": "hotline"}, "in_progress"),
        (as_handler, "resolve", {"resolution": "更换光猫"}, "resolved"),
    ]
    for api, action, body, expected in steps:
        r = api.post(f"/orders/{oid}/{action}", body)
        assert r.status_code == 200, (action, r.content)
        assert r.json()["status"] == expected
    r = as_agent.post(f"/orders/{oid}/feedback", {"confirmed": True, "score": 3, "comment": "太慢了"})
    assert r.status_code == 201 and r.json()["satisfied"] is False
    o = as_agent.get(f"/orders/{oid}").json()
    assert (o["status"], o["reopen_count"], o["satisfaction"]) == ("in_progress", 1, 3)
    assert as_handler.post(f"/orders/{oid}/resolve", {"resolution": "更换光猫并升级线路"}).status_code == 200
    assert as_agent.post(f"/orders/{oid}/feedback", {"confirmed": True, "score": 10}).status_code == 201
    r = as_agent.post(f"/orders/{oid}/close", {})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["allowed_actions"] == ["reopen"]
    events = as_agent.get(f"/orders/{oid}/events").json()
    assert [e["action"] for e in events] == ["create", "sla_policy", "accept", "assign", "start", "wait", "resume", "wait",
                                             "answer", "resolve", "reopen", "resolve", "confirm", "close"]
    assert events[1]["data"]["policy"] == "投诉" and events[1]["data"]["matched_on"] == {"kind": "complaint"}
    assert (events[8]["note"], events[8]["visibility"], events[8]["data"]) == ("序列号 ZTE0042", "customer", {"channel": "hotline"})
    reopen = events[10]
    assert reopen["disputes_id"] == events[9]["id"] and reopen["visibility"] == "customer"
    assert all(e["actor"] for e in events)


def test_invalid_transition_is_409_naming_state_and_allowed_actions(as_agent, customer, subscription):
    o = _new_order(as_agent, customer, subscription)
    r = as_agent.post(f"/orders/{o['id']}/resolve", {"resolution": "x"})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "invalid_transition" and body["state"] == "new"
    assert body["allowed_actions"] == ["accept", "reject", "cancel", "merge", "handover"]
    assert WorkOrder.objects.get(pk=o["id"]).status == Status.NEW


def test_validation_errors_name_the_field(as_agent, customer):
    r = as_agent.post("/orders", {"kind": "gripe", "title": "", "customer_id": customer.pk, "channel": "hotline", "colour": "red"})
    assert r.status_code == 422
    fields = {f["field"]: f["message"] for f in r.json()["fields"]}
    assert set(fields) == {"kind", "title", "colour"}
    assert fields["colour"] == "unknown field"


def test_business_rule_errors_name_the_field(as_agent, customer, make_user):
    from kefu.customers import services as cs
    from tests.conftest import mobile, resident_id

    other = cs.create_customer(make_user("supervisor"), name="李四", id_number=resident_id(777), phone=mobile(777), province="北京", city="北京")
    sub = cs.create_subscription(make_user("supervisor"), customer_id=other.pk, service_number=mobile(777), product="mobile", opened_on="2024-01-01")
    r = as_agent.post("/orders", {"kind": "fault", "title": "无信号", "customer_id": customer.pk,
                                  "subscription_id": sub.pk, "channel": "hotline", "category_id": 999999})
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"subscription_id", "category_id"}
    assert not WorkOrder.objects.exists()


def test_category_must_match_kind(as_agent, customer, subscription):
    from kefu.orders.models import Category

    fault_cat = Category.objects.get(code="fault-no-signal")
    r = as_agent.post("/orders", {"kind": "complaint", "title": "x", "customer_id": customer.pk, "channel": "hotline",
                                  "category_id": fault_cat.pk})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "category_id"


def test_unknown_order_is_404(as_agent):
    assert as_agent.get("/orders/987654").status_code == 404
    r = as_agent.post("/orders/987654/accept", {})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_no_token_is_401_and_missing_permission_403(client, api_client, auditor, customer, subscription):
    assert client.get("/api/v1/orders").status_code == 401
    r = api_client(auditor).post("/orders", {"kind": "praise", "title": "谢谢", "customer_id": customer.pk, "channel": "hotline"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_stale_version_is_409_and_changes_nothing(as_agent, customer, subscription):
    o = _new_order(as_agent, customer, subscription)
    r = as_agent.patch(f"/orders/{o['id']}", {"version": o["version"], "severity": "urgent"})
    assert r.status_code == 200 and r.json()["version"] == o["version"] + 1
    r = as_agent.patch(f"/orders/{o['id']}", {"version": o["version"], "title": "stale edit"})
    assert r.status_code == 409 and r.json()["current_version"] == o["version"] + 1
    assert WorkOrder.objects.get(pk=o["id"]).title == "宽带每晚断线"
    update = as_agent.get(f"/orders/{o['id']}/events").json()[-1]
    assert update["action"] == "update" and update["data"]["changes"] == {"severity": ["general", "urgent"]}


def test_filters_sorting_and_pagination(as_agent, agent, customer, subscription):
    for i in range(5):
        _new_order(as_agent, customer, subscription, kind="fault" if i % 2 else "consultation", title=f"t{i}",
                   severity="urgent" if i == 4 else "general")
    first = as_agent.get("/orders?kind=fault&kind=consultation&page_size=2&sort=created_at").json()
    assert (first["count"], first["page_size"], len(first["results"])) == (5, 2, 2)
    assert [o["title"] for o in first["results"]] == ["t0", "t1"]
    assert as_agent.get("/orders?kind=fault").json()["count"] == 2
    assert [o["title"] for o in as_agent.get("/orders?severity=urgent").json()["results"]] == ["t4"]
    assert as_agent.get(f"/orders?owner={agent.pk}&customer={customer.pk}").json()["count"] == 5
    number = first["results"][0]["number"]
    assert [o["title"] for o in as_agent.get(f"/orders?q={number}").json()["results"]] == ["t0"]
    r = as_agent.get("/orders?sort=colour")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "sort"
    assert as_agent.get("/orders?status=nonsense").status_code == 422


def test_comment_visible_to_customer(as_agent, customer, subscription):
    o = _new_order(as_agent, customer, subscription)
    r = as_agent.post(f"/orders/{o['id']}/comments", {"note": "已联系客户说明进度", "visibility": "customer"})
    assert r.status_code == 201 and r.json()["visibility"] == "customer"


def test_links_record_on_both_orders(as_agent, customer, subscription):
    a, b = _new_order(as_agent, customer, subscription), _new_order(as_agent, customer, subscription)
    r = as_agent.post(f"/orders/{a['id']}/links", {"target_id": b["id"], "type": "duplicate"})
    assert r.status_code == 201
    assert as_agent.get(f"/orders/{b['id']}/events").json()[-1]["data"] == {"link": "duplicate", "source": a["number"]}


def test_openapi_document_and_docs_are_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/orders/{order_id}/reopen" in paths and "/api/v1/customers/{customer_id}/identity" in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_api_docs_need_no_cdn(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in page and "/static/ninja/" in page


def test_chinese_text_is_sent_as_utf8(as_agent, customer, subscription):
    o = _new_order(as_agent, customer, subscription)
    r = as_agent.get(f"/orders/{o['id']}")
    assert "宽带每晚断线".encode() in r.content and r["Content-Type"] == "application/json; charset=utf-8"
