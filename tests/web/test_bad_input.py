"""Input no database column can hold is refused with 422 naming the field, before it reaches a
service: NUL characters (PostgreSQL refuses them in text), integers beyond 64 bits (an
overflow in the driver), moments that do not exist in UTC. The fuzzing of every operation is in
test_api_fuzz.py; these pin the cases down, for SQLite and PostgreSQL alike."""

from urllib.parse import urlencode

import pytest

from kefu.core.api import BIGINT_MAX

HUGE = BIGINT_MAX + 1


@pytest.fixture
def api(api_client, supervisor):
    return api_client(supervisor)


def _refused(r, field):
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "validation_failed"
    assert field in [f["field"] for f in body["fields"]], body
    return {f["field"]: f["message"] for f in body["fields"]}[field]


def test_nul_characters_are_refused_in_bodies_naming_the_field(api, customer, subscription):
    r = api.post("/orders", {"kind": "complaint", "title": "话费\x00多扣", "customer_id": customer.pk,
                             "subscription_id": subscription.pk, "channel": "hotline"})
    assert "NUL" in _refused(r, "title")
    r = api.post("/contacts", {"channel": "hotline", "summary": "ok", "caller": "139\x00"})
    _refused(r, "caller")


def test_nul_characters_are_refused_in_queries(api, customer):
    _refused(api.get("/customers" + "?" + urlencode({"q": "张\x00"})), "q")
    _refused(api.get("/orders" + "?" + urlencode({"q": "\x00"})), "q")
    _refused(api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"reason": "客户\x00来电"})), "reason")
    _refused(api.get("/categories" + "?" + urlencode({"kind": "\x00"})), "kind")


def test_nul_characters_are_refused_in_lists(api, order):
    r = api.post("/routing/skills", {"code": "a\x00", "name": "x"})
    _refused(r, "code")


@pytest.mark.parametrize("path", ["/orders/{big}", "/customers/{big}", "/contacts/{big}", "/subscriptions/{big}",
                                  "/incidents/{big}", "/orders/{big}/events"])
def test_ids_beyond_64_bits_in_paths_are_refused(api, path, db):
    r = api.get(path.format(big=HUGE))
    assert r.status_code == 422, r.content


def test_ids_beyond_64_bits_in_bodies_are_refused(api, order):
    _refused(api.post(f"/orders/{order.pk}/merge", {"into_id": HUGE, "reason": "重复"}), "into_id")
    _refused(api.post("/routing/route", {"order_ids": [order.pk, HUGE]}), "order_ids")
    _refused(api.post("/routing/skills", {"code": "bb", "name": "宽带", "member_ids": [-HUGE - 5]}), "member_ids")
    _refused(api.post("/accounts", {"customer_id": HUGE}), "customer_id")


def test_ids_beyond_64_bits_in_queries_are_refused(api, db):
    _refused(api.get("/accounts" + "?" + urlencode({"customer": HUGE})), "customer")
    _refused(api.get("/contacts" + "?" + urlencode({"customer": HUGE})), "customer")
    _refused(api.get("/orders" + "?" + urlencode({"handler": HUGE})), "handler")
    _refused(api.get("/routing/agents" + "?" + urlencode({"department": HUGE})), "department")


@pytest.mark.parametrize("path", ["/customers", "/contacts", "/orders", "/subscriptions", "/audit"])
def test_pages_beyond_any_table_are_refused(api, path, db):
    assert "at most" in _refused(api.get(path + "?" + urlencode({"page": 10**12})), "page")
    r = api.get(path + "?" + urlencode({"page": 10**9}))  # the last page there is: empty, not an error
    assert r.status_code == 200 and r.json()["results"] == []


def test_moments_that_do_not_exist_in_utc_are_refused(api, db):
    # Stored in UTC: the first moment of year 1 in Shanghai (or any zone east of UTC) is before it.
    _refused(api.get("/orders" + "?" + urlencode({"created_from": "0001-01-01T00:00:00+08:00"})), "created_from")
    _refused(api.get("/orders" + "?" + urlencode({"created_to": "0001-01-01T00:00:00"})), "created_to")  # local time
    _refused(api.get("/contacts" + "?" + urlencode({"started_to": "9999-12-31T23:59:59-10:00"})), "started_to")
    _refused(api.post("/contacts", {"channel": "hotline", "started_at": "0001-01-01T00:00:00+01:00"}), "started_at")
    assert api.get("/orders" + "?" + urlencode({"created_from": "0001-01-02T00:00:00+08:00"})).status_code == 200


def test_due_within_is_bounded(api, db):
    _refused(api.get("/orders" + "?" + urlencode({"due_within": 10**12})), "due_within")
    assert api.get("/orders" + "?" + urlencode({"due_within": 60 * 24 * 366})).status_code == 200


def test_a_non_ascii_id_number_is_a_failed_verification_not_an_error(api, customer):
    contact = api.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    r = api.post(f"/contacts/{contact['id']}/verifications", {"method": "id_number", "secret": "身份证号码"})
    assert r.status_code == 201 and r.json()["result"] == "failed"
