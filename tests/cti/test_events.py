"""POST /api/v1/cti/events: signature, validation, idempotency, the call record and its contact."""

import json
import time

import pytest

from kefu.contacts.models import Contact
from kefu.cti.models import Call, CallEvent, Extension

from .helpers import T0, event, full_call, make_platform, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(db):
    return make_platform()


def test_signed_event_applied(client, platform):
    r = post(client, event(0, 0, "offered", caller="13912345678", called="10000"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["call_id"] == "c-1" and body["outcome"] == "applied" and body["duplicate"] is False
    assert CallEvent.objects.get(pk=body["event_id"]).outcome == "applied"
    call = Call.objects.get()
    assert call.caller == "13912345678" and call.state == "offered" and call.offered_at == T0


def test_secret_is_stored_encrypted(platform):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT secret FROM cti_platform")
        assert cur.fetchone()[0].startswith("enc1:")


@pytest.mark.parametrize("case", ["bad_signature", "stale", "future", "unknown_platform", "inactive", "no_timestamp"])
def test_refused_events_are_401_and_not_stored(client, platform, case):
    doc = event(0, 0, "offered", caller="13912345678", called="10000")
    kw: dict = {
        "bad_signature": {"secret": "wrong"},
        "stale": {"ts": int(time.time()) - 400},  # well outside the 300 s window, however slow the request
        "future": {"ts": int(time.time()) + 400},
        "unknown_platform": {"platform": "nope"},
        "no_timestamp": {"ts": "", "signature": "x"},
    }.get(case, {})
    if case == "inactive":
        platform.is_active = False
        platform.save()
    r = post(client, doc, **kw)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"
    assert not CallEvent.objects.exists() and not Call.objects.exists()


def test_replay_window_is_the_platform_s(client, platform):
    platform.replay_window_seconds = 1000
    platform.save()
    assert post(client, event(0, 0, "offered", caller="1", called="2"), ts=int(time.time()) - 900).status_code == 200


INVALID = [
    ("type", {"type": "exploded"}),
    ("call_id", {"call_id": ""}),
    ("seq", {"seq": -1}),
    ("seq", {"seq": "3"}),
    ("occurred_at", {"occurred_at": "2026-03-02T09:00:00"}),
    ("occurred_at", {"occurred_at": "yesterday"}),
    ("occurred_at", {"occurred_at": "2999-01-01T00:00:00+08:00"}),
    ("data.caller", {"data": {"called": "10000"}}),
    ("data.called", {"data": {"caller": "1", "called": "x" * 41}}),
    ("version", {"version": "2"}),
    ("data", {"data": [1]}),
]


@pytest.mark.parametrize(("field", "change"), INVALID)
def test_invalid_event_is_422_naming_the_field_and_kept(client, platform, field, change):
    doc = event(0, 0, "offered", caller="13912345678", called="10000") | change
    r = post(client, doc)
    assert r.status_code == 422, r.content
    body = r.json()
    assert field in [f["field"] for f in body["fields"]]
    stored = CallEvent.objects.get(pk=body["event_id"])
    assert stored.outcome == "invalid" and field in stored.error and stored.body
    assert not Call.objects.exists()


@pytest.mark.parametrize(("kind", "data", "field"), [
    ("ivr", {"keys": "1a"}, "data.keys"),
    ("ivr", {"keys": "1", "verified": "yes"}, "data.verified"),
    ("queued", {}, "data.queue"),
    ("answered", {"extension": ""}, "data.extension"),
    ("transferred", {"target_type": "moon", "target": "x"}, "data.target_type"),
    ("ended", {"by": "nobody"}, "data.by"),
    ("recording", {}, "data.ref"),
    ("survey", {"score": 6, "scale": 5}, "data.score"),
    ("survey", {"score": 3, "scale": 7}, "data.scale"),
])
def test_per_type_fields(client, platform, kind, data, field):
    r = post(client, event(1, 0, kind, **data))
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["fields"]] == [field]
    assert CallEvent.objects.get().outcome == "invalid"


def test_body_not_json_and_nul(client, platform):
    r = post(client, None, raw=b"{not json")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body"
    r = post(client, None, raw=json.dumps(event(0, 0, "offered", caller="1\u0000", called="2")).encode())
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body"
    assert CallEvent.objects.filter(outcome="invalid").count() == 2


def test_an_invalid_event_changes_nothing(client, platform):
    post(client, event(0, 0, "offered", caller="13912345678", called="10000"))
    before = Call.objects.values().get()
    assert post(client, event(1, 5, "queued")).status_code == 422
    assert Call.objects.values().get() == before


def test_duplicate_is_200_duplicate_and_changes_nothing(client, platform):
    first = post(client, event(0, 0, "offered", caller="13912345678", called="10000")).json()
    again = post(client, event(0, 0, "offered", caller="13912345678", called="10000"))
    assert again.status_code == 200
    assert again.json() == {"event_id": first["event_id"], "call_id": "c-1", "outcome": "duplicate", "duplicate": True}
    changed = post(client, event(0, 9, "offered", caller="13800000000", called="10000")).json()
    assert changed["duplicate"] is True
    assert Call.objects.get().caller == "13912345678"
    assert list(CallEvent.objects.order_by("id").values_list("outcome", flat=True)) == ["applied", "duplicate", "duplicate"]
    assert CallEvent.objects.order_by("id").last().error  # the differing repeat says so


def _record(call):
    skip = {"id", "updated_at", "contact", "key_id"}
    return {f.attname: getattr(call, f.attname) for f in Call._meta.concrete_fields if f.name not in skip}


def test_full_call_in_order_and_out_of_order_give_the_same_record(client, platform, make_user, customer):
    from kefu.staff import roles

    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=platform, extension="8001", user=agent)
    for doc in full_call(customer.phone, "in-order"):
        assert post(client, doc).status_code == 200
    shuffled = full_call(customer.phone, "shuffled")
    for doc in [shuffled[7], shuffled[4], shuffled[8], *shuffled[:4], shuffled[6], shuffled[5], shuffled[4]]:
        assert post(client, doc).status_code == 200
    a, b = Call.objects.get(call_id="in-order"), Call.objects.get(call_id="shuffled")
    assert _record(a) | {"call_id": ""} == _record(b) | {"call_id": ""}
    assert (a.wait_seconds, a.ring_seconds, a.talk_seconds, a.hold_seconds, a.acw_seconds) == (16, 4, 170, 30, 30)
    assert a.state == "finished" and a.agent == agent and a.customer == customer and a.verified_in_ivr


def test_contact_opened_at_answer_and_ended_with_the_call(client, platform, make_user, customer):
    from kefu.staff import roles

    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=platform, extension="8001", user=agent)
    events = full_call(customer.phone)
    for doc in events[:5]:
        post(client, doc)
    call = Call.objects.get()
    contact = call.contact
    assert contact.channel == "hotline" and contact.agent == agent and contact.customer == customer
    assert contact.caller == customer.phone and contact.started_at == call.answered_at and contact.ended_at is None
    for doc in events[5:]:
        post(client, doc)
    contact.refresh_from_db()
    assert contact.ended_at == Call.objects.get().ended_at and contact.outcome == "answered"
    assert Contact.objects.count() == 1


def test_ended_before_answered_still_makes_one_ended_contact(client, platform, customer):
    events = full_call(customer.phone)
    post(client, events[7])
    assert Call.objects.get().contact is None and Call.objects.get().abandoned  # as far as it knows yet
    for doc in events[:7]:
        post(client, doc)
    call = Call.objects.get()
    assert not call.abandoned and call.state == "after_call_work"
    assert call.contact.ended_at == call.ended_at and call.contact.agent is None  # extension not mapped


def test_abandoned_in_queue_makes_no_contact(client, platform):
    for doc in [event(0, 0, "offered", caller="13700000001", called="10000"), event(1, 4, "queued", queue="billing"),
                event(2, 50, "abandoned")]:
        assert post(client, doc).status_code == 200
    call = Call.objects.get()
    assert call.abandoned and call.abandoned_in == "queue" and call.wait_seconds == 46 and call.contact is None
    assert call.customer is None


def test_caller_matched_by_a_service_number(client, platform, customer, subscription):
    post(client, event(0, 0, "offered", caller=f"+86 {subscription.service_number}", called="10000"))
    assert Call.objects.get().customer == customer


def test_a_caller_verified_in_the_ivr_is_verified_on_the_contact(client, platform, make_user, customer):
    from kefu.contacts.services import current_verification
    from kefu.staff import roles

    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=platform, extension="8001", user=agent)
    for doc in full_call(customer.phone)[:5]:  # the IVR event says the service password was keyed in
        post(client, doc)
    contact = Call.objects.get().contact
    passed = current_verification(agent, contact.pk, customer.pk)
    assert passed is not None and passed.method == "ivr_password" and passed.agent_id is None
    post(client, event(5, 40, "held"))  # later events add no second verification
    assert contact.verifications.count() == 1
    # Not verified in the IVR: nothing recorded.
    for doc in full_call(customer.phone, call_id="c-2")[:5]:
        if doc["type"] == "ivr":
            doc["data"]["verified"] = False
        post(client, doc)
    assert not Call.objects.get(call_id="c-2").contact.verifications.exists()


def test_the_post_call_score_is_a_survey_answer(client, platform, customer, order, agent, handler):
    import datetime as dt

    from kefu.orders import services as orders
    from kefu.orders.models import WorkOrder
    from kefu.surveys.models import Answer

    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    WorkOrder.objects.filter(pk=order.pk).update(resolved_at=T0 - dt.timedelta(hours=2))  # resolved before the call
    for doc in full_call(customer.phone)[:8]:
        post(client, doc)
    survey = event(9, 290, "survey", score=4, scale=5)
    assert post(client, survey).status_code == 200
    answer = Answer.objects.get(invitation__channel="ivr")
    assert answer.score == 8 and answer.invitation.order_id == order.pk and answer.invitation.customer_id == customer.pk
    assert post(client, survey).json()["duplicate"] is True
    assert Answer.objects.filter(invitation__channel="ivr").count() == 1
