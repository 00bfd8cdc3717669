"""What the customer reads of a work order: its customer-visible summary, apart from the staff's
title and description (issue 13)."""

import pytest

from kefu.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from kefu.orders import services
from kefu.orders.models import CUSTOMER_SUMMARY_MAX, Category, OrderEvent, WorkOrder
from kefu.routing import services as routing

SUMMARY = "您反映的话费问题已受理，我们会在两个工作日内核实并答复您。"


def _order(agent, customer, subscription, **extra):
    return services.create_order(agent, kind="complaint", title="客户情绪激动，称要去工信部投诉", customer_id=customer.pk,
                                 subscription_id=subscription.pk, channel="hotline",
                                 description="再不解决我要去工信部投诉", **extra)


def test_an_order_is_registered_with_what_the_customer_reads(agent, customer, subscription):
    order = _order(agent, customer, subscription, customer_summary=f"  {SUMMARY}\n")
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == SUMMARY
    assert services.customer_text(order) == ("Complaint", SUMMARY)


def test_without_a_summary_the_customer_reads_kind_category_and_number_never_the_internal_text(agent, customer, subscription):
    category = Category.objects.get(code="cmp-billing-wrong")
    order = _order(agent, customer, subscription, category_id=category.pk)
    title, summary = services.customer_text(order)
    assert title == f"Complaint: {category.name}"
    assert order.number in summary and category.name in summary
    assert "工信部" not in title + summary and "情绪" not in title + summary


def test_an_overlong_summary_is_refused_naming_the_field(agent, customer, subscription):
    with pytest.raises(ValidationFailed) as refused:
        _order(agent, customer, subscription, customer_summary="长" * (CUSTOMER_SUMMARY_MAX + 1))
    assert set(refused.value.fields) == {"customer_summary"} and str(CUSTOMER_SUMMARY_MAX) in str(refused.value.fields["customer_summary"])
    assert not WorkOrder.objects.exists()
    order = _order(agent, customer, subscription)
    with pytest.raises(ValidationFailed) as refused:
        services.update_order(agent, order.pk, version=order.version, changes={"customer_summary": "长" * (CUSTOMER_SUMMARY_MAX + 1)})
    assert set(refused.value.fields) == {"customer_summary"}


def test_changing_the_summary_is_recorded_on_the_history(agent, customer, subscription):
    order = _order(agent, customer, subscription)
    order = services.update_order(agent, order.pk, version=order.version, changes={"customer_summary": SUMMARY})
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == SUMMARY
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.action, event.actor, event.visibility) == ("update", agent, "internal")
    assert event.data == {"changes": {"customer_summary": ["", SUMMARY]}}
    services.set_customer_summary(agent, order.pk, customer_summary="已为您安排复核。")
    event = OrderEvent.objects.filter(order=order).last()
    assert event.data == {"changes": {"customer_summary": [SUMMARY, "已为您安排复核。"]}}
    assert WorkOrder.objects.get(pk=order.pk).version == order.version + 1


def test_the_summary_is_changed_only_in_scope_with_the_permission_and_while_open(agent, auditor, customer, subscription, make_user):
    from kefu.staff import roles
    from kefu.staff.models import User

    order = _order(agent, customer, subscription)
    with pytest.raises(NotFound):
        services.set_customer_summary(agent, 999999, customer_summary=SUMMARY)
    other = make_user(roles.AGENT)
    User.objects.filter(pk=other.pk).update(data_scope="own")
    with pytest.raises(NotFound):  # not theirs to see: as if it did not exist
        services.set_customer_summary(User.objects.get(pk=other.pk), order.pk, customer_summary=SUMMARY)
    assert services.can_edit(order, agent) and not services.can_edit(order, auditor)
    with pytest.raises(Forbidden):
        services.set_customer_summary(auditor, order.pk, customer_summary=SUMMARY)
    services.cancel(agent, order.pk, reason="客户撤销")
    order.refresh_from_db()
    assert not services.can_edit(order, agent)
    with pytest.raises(InvalidTransition):
        services.set_customer_summary(agent, order.pk, customer_summary=SUMMARY)
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == ""


def test_a_routed_order_keeps_its_summary(agent, customer, subscription):
    order = routing.intake(agent, title="宽带断网", description="客户很生气", customer_id=customer.pk, channel="hotline",
                           kind="fault", subscription_id=subscription.pk, customer_summary=SUMMARY)
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == SUMMARY
    order = routing.register(agent, route=False, kind="fault", title="宽带断网", customer_id=customer.pk, channel="hotline",
                             customer_summary=SUMMARY)
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == SUMMARY


# --- over the API ----------------------------------------------------------------------------

def test_the_api_takes_validates_and_returns_the_summary(api_client, agent, customer, subscription):
    api = api_client(agent)
    body = {"kind": "complaint", "title": "内部标题", "description": "内部描述", "customer_id": customer.pk,
            "subscription_id": subscription.pk, "channel": "hotline", "route": False}
    r = api.post("/orders", body | {"customer_summary": SUMMARY})
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["customer_summary"] == SUMMARY
    assert api.get(f"/orders/{created['id']}").json()["customer_summary"] == SUMMARY
    assert api.get(f"/orders?customer={customer.pk}").json()["results"][0]["customer_summary"] == SUMMARY
    r = api.patch(f"/orders/{created['id']}", {"version": created["version"], "customer_summary": "已为您安排复核。"})
    assert r.status_code == 200 and r.json()["customer_summary"] == "已为您安排复核。"
    assert api.get(f"/orders/{created['id']}/events").json()[-1]["data"] == {
        "changes": {"customer_summary": [SUMMARY, "已为您安排复核。"]}}
    too_long = "长" * (CUSTOMER_SUMMARY_MAX + 1)
    r = api.post("/orders", body | {"customer_summary": too_long})
    assert r.status_code == 422 and "customer_summary" in r.content.decode()
    r = api.patch(f"/orders/{created['id']}", {"version": created["version"] + 1, "customer_summary": too_long})
    assert r.status_code == 422 and "customer_summary" in r.content.decode()
    assert WorkOrder.objects.get(pk=created["id"]).customer_summary == "已为您安排复核。"
