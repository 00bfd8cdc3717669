"""Orders are referred to as people know them, by their number (GD20261122000123, typed in any
case, full-width, with spaces), wherever an order is named; and a confirmation is the
customer's word, relayed by whoever heard it, never the resolver's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.errors import Forbidden, NotFound, ValidationFailed
from kefu.orders import services
from kefu.orders.models import Feedback, OrderLink, Status, WorkOrder


def _fault(agent, customer, title="宽带断网了"):
    return services.create_order(agent, kind="fault", title=title, customer_id=customer.pk, channel="hotline")


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _resolved(order, agent, handler):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    return services.resolve(handler, order.pk, resolution="已退还多扣的20元")


# --- finding an order by its number ----------------------------------------------------------

def test_an_order_is_found_by_its_number_as_typed_or_by_its_id(agent, order):
    number = order.number
    for typed in (number, number.lower(), f"  {number} ", _fullwidth(number), _fullwidth(number.lower()),
                  f"{number[:10]} {number[10:]}", f"“{number}”", order.pk, str(order.pk), _fullwidth(str(order.pk))):
        assert services.find_order(agent, typed) == order, typed
        assert services.get_order(agent, typed) == order, typed


def test_a_number_out_of_scope_is_answered_as_one_that_does_not_exist(agent, handler, order):
    # A new order with no department yet is outside tech support's department scope.
    assert services.find_order(handler, order.number) is None
    assert services.find_order(handler, order.pk) is None
    with pytest.raises(NotFound) as out:
        services.get_order(handler, order.number)
    missing = "GD20000101999999"
    with pytest.raises(NotFound) as absent:
        services.get_order(handler, missing)
    assert str(out.value.message).replace(order.number, missing) == str(absent.value.message)
    for nothing in ("", "  ", None, "0", "-5", str(2**64), "GD", "，"):
        assert services.find_order(agent, nothing) is None, nothing


def test_the_customer_lookup_finds_a_number_typed_with_spaces(agent, order):
    assert services.customer_of_number(agent, f" {order.number[:6].lower()} {order.number[6:]}") == order.customer_id
    assert services.customer_of_number(agent, str(order.pk)) is None  # an id is no customer's number


# --- merge and link by number ---------------------------------------------------------------

def test_merge_into_an_order_named_by_its_number(agent, customer):
    keep, dup = _fault(agent, customer), _fault(agent, customer, title="宽带又断了")
    merged = services.merge(agent, dup.pk, into=_fullwidth(keep.number.lower()), reason="同一次断网")
    assert merged.status == Status.MERGED
    assert OrderLink.objects.filter(source=dup, target=keep, type="duplicate").exists()
    assert merged.last_event.data == {"into": keep.number}


def test_merge_still_takes_an_id_under_either_name(agent, customer):
    keep, a, b = _fault(agent, customer), _fault(agent, customer), _fault(agent, customer)
    services.merge(agent, a.pk, into=str(keep.pk), reason="dup")
    services.merge(agent, b.pk, into_id=keep.pk, reason="dup")
    assert set(WorkOrder.objects.filter(status=Status.MERGED).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_merge_refusals_name_the_field_given(agent, handler, customer, departments):
    a = _fault(agent, customer)
    theirs = _fault(agent, customer)
    services.accept(agent, a.pk)
    services.assign(agent, a.pk, department_id=departments["tech-support"].pk)
    # The handler sees A (his department's) but not THEIRS (new, no department): "no such number".
    for kwargs, field, reason in [({"into": theirs.number}, "into", "no work order with this number"),
                                  ({"into": "GD20000101999999"}, "into", "no work order with this number"),
                                  ({"into": a.number.lower()}, "into", "is the same order"),
                                  ({"into_id": theirs.pk}, "into_id", "no work order with this number"),
                                  ({}, "into", "is required"), ({"into": " "}, "into", "is required")]:
        with pytest.raises(ValidationFailed) as err:
            services.merge(handler, a.pk, reason="dup", **kwargs)
        assert set(err.value.fields) == {field} and str(err.value.fields[field]) == reason, kwargs
    assert WorkOrder.objects.get(pk=a.pk).status == Status.ASSIGNED


def test_link_to_an_order_named_by_its_number(agent, handler, customer):
    a, b = _fault(agent, customer), _fault(agent, customer)
    link = services.link(agent, a.pk, target=f" {b.number.lower()} ", type="related")
    assert (link.source_id, link.target_id) == (a.pk, b.pk)
    with pytest.raises(ValidationFailed) as err:
        services.link(agent, a.pk, target=a.number)
    assert set(err.value.fields) == {"target"}
    with pytest.raises(ValidationFailed) as err:
        services.link(agent, a.pk, target="GD20000101999999")
    assert set(err.value.fields) == {"target"}


# --- confirmation: the customer's word --------------------------------------------------------

def test_confirm_records_the_channel_and_that_it_was_relayed(order, agent, handler):
    _resolved(order, agent, handler)
    confirmed = services.confirm(agent, order.pk, channel="online_chat", customer_confirmed=True, note="已经好了，谢谢")
    assert confirmed.status == Status.CONFIRMED
    event = confirmed.last_event
    feedback = Feedback.objects.get(order=order)
    assert (event.action, event.actor, event.note) == ("confirm", agent, "已经好了，谢谢")
    assert event.data == {"feedback": feedback.pk, "score": None, "confirmed": True, "channel": "online_chat", "relayed": True}
    assert (feedback.confirmed, feedback.score, feedback.satisfied, feedback.channel, feedback.comment, feedback.recorded_by) == (
        True, None, None, "online_chat", "已经好了，谢谢", agent)
    assert feedback.resolution_event == order.events.get(action="resolve")


def test_confirm_needs_the_channel_and_the_customers_confirmation(order, agent, handler):
    _resolved(order, agent, handler)
    with pytest.raises(ValidationFailed) as err:
        services.confirm(agent, order.pk, channel="", customer_confirmed=False)
    assert set(err.value.fields) == {"channel", "customer_confirmed"}
    with pytest.raises(ValidationFailed) as err:
        services.confirm(agent, order.pk, channel="carrier pigeon", customer_confirmed=True)
    assert set(err.value.fields) == {"channel"}
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RESOLVED and not Feedback.objects.exists()


def test_the_resolver_is_not_offered_confirm_and_is_refused_it(order, agent, handler):
    _resolved(order, agent, handler)
    order = WorkOrder.objects.get(pk=order.pk)
    assert "confirm" not in services.allowed_actions(order, handler)
    assert "confirm" in services.allowed_actions(WorkOrder.objects.get(pk=order.pk), agent)
    with pytest.raises(Forbidden) as err:
        services.confirm(handler, order.pk, channel="hotline", customer_confirmed=True)
    assert "cannot confirm it for the customer" in str(err.value.message)
    # Nor by recording the customer's feedback as a confirmation; a dispute he may record.
    with pytest.raises(Forbidden):
        services.record_feedback(handler, order.pk, confirmed=True, score=10)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RESOLVED and not Feedback.objects.exists()
    services.record_feedback(handler, order.pk, confirmed=False, comment="客户说还是断网")
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS


def test_the_latest_resolution_decides_who_resolved(order, agent, handler, supervisor):
    _resolved(order, agent, handler)
    services.reopen(agent, order.pk, reason="客户说还是不行")
    services.resolve(supervisor, order.pk, resolution="主管亲自处理")  # manage_any: not the handler
    order = WorkOrder.objects.get(pk=order.pk)
    assert "confirm" in services.allowed_actions(order, handler)
    assert "confirm" not in services.allowed_actions(WorkOrder.objects.get(pk=order.pk), supervisor)


def test_a_list_reads_its_resolvers_in_one_query(order, agent, handler, customer, api_client):
    for title in ("一", "二", "三"):
        _resolved(_fault(agent, customer, title=title), agent, handler)
    _resolved(order, agent, handler)
    api = api_client(handler)
    api.get("/orders?status=resolved")  # the token's first use is written once
    with CaptureQueriesContext(connection) as four:
        rows = api.get("/orders?status=resolved").json()["results"]
    assert len(rows) == 4 and not any("confirm" in o["allowed_actions"] for o in rows)
    WorkOrder.objects.exclude(pk=order.pk).update(status=Status.IN_PROGRESS)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/orders?status=resolved").json()["results"]) == 1
    assert len(four.captured_queries) == len(one.captured_queries)


# --- the API --------------------------------------------------------------------------------

def test_api_merge_by_number(agent, customer, api_client):
    keep, dup = _fault(agent, customer), _fault(agent, customer)
    api = api_client(agent)
    r = api.post(f"/orders/{dup.pk}/merge", {"into": keep.number.lower(), "reason": "同一次断网"})
    assert r.status_code == 200 and r.json()["status"] == "merged"
    other = _fault(agent, customer)
    r = api.post(f"/orders/{other.pk}/merge", {"into": "GD20000101999999", "reason": "dup"})
    assert r.status_code == 422 and [f["field"] for f in r.json()["fields"]] == ["into"]
    r = api.post(f"/orders/{other.pk}/merge", {"into": keep.pk, "reason": "dup"})  # a JSON number is an id
    assert r.status_code == 200, r.content


def test_api_link_by_number(agent, customer, api_client):
    a, b = _fault(agent, customer), _fault(agent, customer)
    r = api_client(agent).post(f"/orders/{a.pk}/links", {"target": b.number, "type": "duplicate"})
    assert r.status_code == 201 and r.json()["target_id"] == b.pk


def test_api_get_by_number(agent, handler, order, api_client):
    r = api_client(agent).get(f"/orders/by-number/{order.number.lower()}")
    assert r.status_code == 200 and r.json()["id"] == order.pk
    out = api_client(handler).get(f"/orders/by-number/{order.number}")
    missing = api_client(handler).get("/orders/by-number/GD20000101999999")
    assert out.status_code == missing.status_code == 404
    assert out.json()["message"].replace(order.number, "GD20000101999999") == missing.json()["message"]


def test_api_confirm_needs_a_channel_and_refuses_the_resolver(order, agent, handler, api_client):
    _resolved(order, agent, handler)
    r = api_client(agent).post(f"/orders/{order.pk}/confirm", {"note": "好了"})
    assert r.status_code == 422 and [f["field"] for f in r.json()["fields"]] == ["channel"]
    r = api_client(handler).post(f"/orders/{order.pk}/confirm", {"channel": "hotline"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert "confirm" not in api_client(handler).get(f"/orders/{order.pk}").json()["allowed_actions"]
    r = api_client(agent).post(f"/orders/{order.pk}/confirm", {"channel": "wechat", "note": "好了"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    event = api_client(agent).get(f"/orders/{order.pk}/events").json()[-1]
    assert (event["data"]["channel"], event["data"]["relayed"], event["note"]) == ("wechat", True, "好了")
