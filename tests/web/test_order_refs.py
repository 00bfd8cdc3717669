"""The order page: orders named by their number (the merge form, /orders/GD…/), confirmation
relayed from the customer and never offered to the resolver, and why an order is a repeat
complaint, in Chinese."""

from urllib.parse import quote

import pytest
from django.utils import translation

from kefu.orders import services
from kefu.orders.models import Feedback, Status, WorkOrder


def _fault(agent, customer, title="宽带断网了"):
    return services.create_order(agent, kind="fault", title=title, customer_id=customer.pk, channel="hotline")


def _resolved(order, agent, handler):
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    services.resolve(handler, order.pk, resolution="已退还多扣的20元")


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def zh(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def _as(client, user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def test_merge_form_takes_the_order_number_in_any_case(client, agent, customer):
    keep, dup, dup2 = _fault(agent, customer), _fault(agent, customer), _fault(agent, customer)
    web = _as(client, agent)
    page = web.get(f"/orders/{dup.pk}/").content.decode()
    assert 'name="into"' in page and 'inputmode="numeric"' not in page
    r = web.post(f"/orders/{dup.pk}/merge/", {"into": keep.number, "reason": "同一次断网"}, follow=True)
    assert r.status_code == 200 and WorkOrder.objects.get(pk=dup.pk).status == Status.MERGED, _messages(r)
    r = web.post(f"/orders/{dup2.pk}/merge/", {"into": f" {keep.number.lower()} ", "reason": "同一次断网"}, follow=True)
    assert WorkOrder.objects.get(pk=dup2.pk).status == Status.MERGED, _messages(r)


def test_merge_form_refusal_names_the_field_by_its_chinese_label(client, zh, agent, customer):
    dup = _fault(agent, customer)
    r = _as(client, agent, "zh-hans").post(f"/orders/{dup.pk}/merge/", {"into": "GD20000101999999", "reason": "重复"}, follow=True)
    assert _messages(r) == ["无法合并到该工单。 合并到工单（工单编号）：没有这个编号的工单"]
    assert WorkOrder.objects.get(pk=dup.pk).status == Status.NEW


def test_an_order_page_by_its_number(client, agent, order):
    web = _as(client, agent)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in order.number)
    for typed in (order.number, order.number.lower(), fullwidth, f" {order.number} "):
        r = web.get(f"/orders/{quote(typed)}/")
        assert (r.status_code, r["Location"]) == (302, f"/orders/{order.pk}/"), typed
    assert web.get("/orders/GD20000101999999/").status_code == 404


def test_an_order_out_of_scope_by_its_number_is_not_found(client, handler, order):
    # A new order with no department yet is outside tech support's department scope.
    web = _as(client, handler)
    assert web.get(f"/orders/{order.number}/").status_code == 404
    assert web.get(f"/orders/{order.pk}/").status_code == 404


def test_the_resolver_is_offered_no_confirm_button(client, agent, handler, order):
    _resolved(order, agent, handler)
    confirm_form = f'action="/orders/{order.pk}/confirm/"'
    handler_page = _as(client, handler).get(f"/orders/{order.pk}/").content.decode()
    assert confirm_form not in handler_page
    agent_page = _as(client, agent).get(f"/orders/{order.pk}/").content.decode()
    assert confirm_form in agent_page and 'name="customer_confirmed"' in agent_page


def test_the_resolver_posting_confirm_is_refused(client, agent, handler, order):
    _resolved(order, agent, handler)
    r = _as(client, handler).post(f"/orders/{order.pk}/confirm/", {"channel": "hotline", "customer_confirmed": "yes"}, follow=True)
    assert "cannot confirm it for the customer" in " ".join(_messages(r))
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RESOLVED


def test_confirm_form_needs_the_tick_and_records_the_channel(client, zh, agent, handler, order):
    _resolved(order, agent, handler)
    web = _as(client, agent, "zh-hans")
    r = web.post(f"/orders/{order.pk}/confirm/", {"channel": "hotline", "note": "好了"}, follow=True)
    said = " ".join(_messages(r))
    assert "客户已确认问题解决（记录客户的原话）：" in said and "customer_confirmed" not in said, said
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RESOLVED
    r = web.post(f"/orders/{order.pk}/confirm/", {"channel": "wechat", "customer_confirmed": "yes", "note": "好了，谢谢"}, follow=True)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.CONFIRMED, _messages(r)
    feedback = Feedback.objects.get(order=order)
    assert (feedback.channel, feedback.comment, feedback.score) == ("wechat", "好了，谢谢", None)
    assert WorkOrder.objects.get(pk=order.pk).events.last().data["relayed"] is True


def test_the_timeline_says_why_an_order_is_a_repeat_complaint(client, zh, agent, order, customer, subscription):
    again = services.create_order(agent, kind="complaint", title="又多扣了", customer_id=customer.pk,
                                  subscription_id=subscription.pk, channel="hotline")
    assert again.repeat_count == 1
    page = _as(client, agent, "zh-hans").get(f"/orders/{again.pk}/").content.decode()
    assert f"重复投诉：与 {order.number} 同一业务" in page
    first = _as(client, agent, "zh-hans").get(f"/orders/{order.pk}/").content.decode()
    assert "重复投诉：" not in first  # the first complaint repeats nothing (its links name the later one)


def test_the_timeline_names_the_category_family_of_a_repeat(client, zh, agent, customer):
    from kefu.orders.models import Category

    leaf = Category.objects.filter(kind="complaint", parent__parent__isnull=False, is_active=True).select_related("parent").first()
    assert leaf is not None
    first = services.create_order(agent, kind="complaint", title="费用过高", customer_id=customer.pk, category_id=leaf.pk, channel="hotline")
    again = services.create_order(agent, kind="complaint", title="还是费用过高", customer_id=customer.pk, category_id=leaf.pk,
                                  channel="hotline")
    page = _as(client, agent, "zh-hans").get(f"/orders/{again.pk}/").content.decode()
    assert f"重复投诉：与 {first.number} 同属一类问题（{leaf.parent.name}）" in page
