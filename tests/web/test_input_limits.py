"""Input that used to be accepted and then broke pages or answered 500 (issue 12, item 5):
moments no service centre deals in, NUL characters in web forms, bodies that are not JSON, and
two requests racing past a uniqueness check."""

import json
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kefu.customers.models import Subscription
from kefu.orders.models import OrderEvent
from kefu.staff.models import ApiToken

from ..conftest import mobile


@pytest.fixture
def api(api_client, supervisor):
    return api_client(supervisor)


def _field_errors(r):
    assert r.status_code == 422, r.content
    return {f["field"]: f["message"] for f in r.json()["fields"]}


# --- moments ---------------------------------------------------------------------------------

def test_a_contact_from_the_year_9999_is_refused_and_every_page_still_opens(api, customer, supervisor, client):
    r = api.post("/contacts", {"channel": "hotline", "customer_id": customer.pk, "started_at": "9999-12-31T23:00:00Z"})
    assert "future" in _field_errors(r)["started_at"]
    contact = api.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    r = api.patch(f"/contacts/{contact['id']}", {"version": contact["version"], "ended_at": "9999-12-31T23:00:00Z"})
    assert "ended_at" in _field_errors(r)
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    assert client.get(f"/contacts/{contact['id']}/").status_code == 200
    assert client.get("/admin/contacts/contact/").status_code == 200


@pytest.mark.parametrize("path,field,extra", [
    ("/contacts", "started_at", {"channel": "hotline"}),
    ("/incidents", "detected_at", {"title": "坐席导出客户清单", "level": "general"}),
])
def test_moments_of_past_events_must_lie_between_2000_and_now(api, db, path, field, extra):
    assert "2000" in _field_errors(api.post(path, {**extra, field: "1999-12-31T23:59:59+08:00"}))[field]
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    assert "future" in _field_errors(api.post(path, {**extra, field: tomorrow}))[field]
    a_minute_ago = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert api.post(path, {**extra, field: a_minute_ago}).status_code == 201


def test_a_privacy_request_cannot_be_received_in_the_future(api, customer):
    r = api.post("/privacy/requests", {"customer_id": customer.pk, "kind": "access", "channel": "hotline",
                                       "details": "要一份我的资料", "received_at": "2999-01-01T00:00:00+08:00"})
    assert "received_at" in _field_errors(r)


# --- NUL characters in web forms ---------------------------------------------------------------

@pytest.fixture
def web(client, agent):
    client.force_login(agent)
    return client


def test_nul_in_a_query_string_is_refused_naming_the_field(web, db):
    r = web.get("/knowledge/?" + urlencode({"q": "宽带\x00"}))
    assert r.status_code == 422
    assert "“q”" in r.content.decode() and "\x00" not in r.content.decode()
    assert web.get("/knowledge/?" + urlencode({"q": "宽带"})).status_code == 200


@pytest.mark.parametrize("action,data", [
    ("comment", {"body": "客户来电\x00催办", "visibility": "internal"}),
    ("cancel", {"reason": "重复\x00登记"}),
    ("requeue", {"reason": "\x00"}),
    ("transfer", {"note": "转\x00派", "department_id": "1"}),
])
def test_nul_in_an_order_form_is_refused_and_nothing_is_written(web, order, action, data):
    events = OrderEvent.objects.filter(order=order).count()
    r = web.post(f"/orders/{order.pk}/{action}/", data)
    assert r.status_code == 422, r.content[:300]
    assert OrderEvent.objects.filter(order=order).count() == events
    order.refresh_from_db()
    assert order.version == 1


def test_nul_in_a_field_name_or_the_portal_or_the_admin_is_refused(client, db):
    assert client.post("/portal/login/", {"phone\x00": "13800000000"}).status_code == 422
    assert client.post("/admin/login/", {"username": "admin\x00", "password": "x"}).status_code == 422


def test_the_refusal_is_translated(web, db):
    r = web.get("/knowledge/?q=%00", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422
    assert "空字符" in r.content.decode()


# --- bodies that are not JSON -----------------------------------------------------------------

@pytest.fixture
def token(supervisor):
    return ApiToken.issue(supervisor)[1]


def _post(client, token, path, body, content_type, method="post"):
    return getattr(client, method)("/api/v1" + path, data=body, content_type=content_type,
                                   headers={"Authorization": f"Bearer {token}"})


ORDER = {"kind": "consultation", "title": "查询本月流量", "channel": "hotline"}


@pytest.mark.parametrize("content_type,body", [
    ("text/plain", json.dumps(ORDER)),
    ("application/x-www-form-urlencoded", json.dumps(ORDER)),
    ("application/xml", json.dumps(ORDER)),
    ("application/json; charset=utf-16", json.dumps(ORDER)),  # the test client encodes it
    ("application/merge-patch+json", json.dumps(ORDER)),  # only PATCH takes merge patches
])
def test_bodies_not_sent_as_json_are_refused_with_415(client, token, content_type, body):
    r = _post(client, token, "/orders", body, content_type)
    assert r.status_code == 415, r.content
    assert r.json()["code"] == "unsupported_media_type"


def test_utf16_bytes_labelled_json_are_not_guessed(client, token):
    r = _post(client, token, "/orders", json.dumps(ORDER).encode("utf-16"), "application/json")
    assert r.status_code == 400


def test_json_and_merge_patches_are_taken(client, token, customer):
    r = _post(client, token, "/orders", json.dumps({**ORDER, "customer_id": customer.pk}), "application/json; charset=UTF-8")
    assert r.status_code == 201, r.content
    order = r.json()
    r = _post(client, token, f"/orders/{order['id']}", json.dumps({"version": order["version"], "title": "查询本月剩余流量"}),
              "application/merge-patch+json", method="patch")
    assert r.status_code == 200, r.content
    assert r.json()["title"] == "查询本月剩余流量"


def test_only_bodies_need_a_content_type(client, token, order):
    # No body: nothing to parse, so no 415; the operation itself says what it misses.
    r = client.generic("POST", f"/api/v1/orders/{order.pk}/accept", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and r.json()["fields"] == [{"field": "body", "message": "required"}]
    r = client.generic("POST", f"/api/v1/orders/{order.pk}/accept", "{}", content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.content


# --- unique constraints under racing requests ---------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_subscriptions_with_one_number_get_one_201_and_422s(supervisor, customer):
    _t, token = ApiToken.issue(supervisor)
    number = mobile(99_000_001)
    rounds, parallel = 5, 8
    answers = []
    for _round in range(rounds):
        Subscription.objects.filter(service_number=number).delete()
        barrier = threading.Barrier(parallel)
        statuses = []

        def register(barrier=barrier, statuses=statuses):
            try:
                barrier.wait()
                resp = Client().post("/api/v1/subscriptions", data=json.dumps(
                    {"customer_id": customer.pk, "service_number": number, "product": "mobile", "opened_on": "2025-01-01"}),
                    content_type="application/json", headers={"Authorization": f"Bearer {token}"})
                statuses.append((resp.status_code, resp.json().get("fields")))
            finally:
                connection.close()

        threads = [threading.Thread(target=register) for _ in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answers.extend(statuses)
        assert sorted(s for s, _f in statuses) == [201] + [422] * (parallel - 1), statuses
        assert all(f == [{"field": "service_number", "message": "already belongs to a live subscription"}]
                   for s, f in statuses if s == 422)
    assert Subscription.objects.filter(service_number=number).count() == 1
    print(f"\n{rounds * parallel} racing registrations of one number: "
          f"{sum(s == 201 for s, _ in answers)} created, {sum(s == 422 for s, _ in answers)} refused, "
          f"{sum(s >= 500 for s, _ in answers)} errors")


def test_the_admin_form_refuses_the_same_moments(customer, agent):
    # The contacts admin edits these fields: the model's validators apply the API's rule there.
    from django.core.exceptions import ValidationError

    from kefu.contacts.models import Contact

    contact = Contact(channel="hotline", customer=customer, agent=agent, started_at=timezone.now())
    contact.full_clean()
    for moment in ("9999-12-31T23:00:00+00:00", "1999-01-01T00:00:00+08:00"):
        contact.started_at = contact.ended_at = timezone.datetime.fromisoformat(moment)
        with pytest.raises(ValidationError) as refused:
            contact.full_clean()
        assert set(refused.value.message_dict) == {"started_at", "ended_at"}
