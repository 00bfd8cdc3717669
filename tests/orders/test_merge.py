"""Merging a duplicate: one step, nothing lost."""

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact, ContactOrder
from kefu.core.errors import ValidationFailed
from kefu.orders import services
from kefu.orders.models import OrderLink, Status, WorkOrder
from kefu.sla.models import OrderClock


def _fault(agent, customer, title="宽带断网了", **kw):
    return services.create_order(agent, kind="fault", title=title, customer_id=customer.pk, channel="hotline", **kw)


def test_merge_keeps_both_histories_links_and_moves_contacts(agent, customer, handler, api_client):
    keep = _fault(agent, customer)
    contact = Contact.objects.create(channel="hotline", started_at=timezone.now(), agent=agent, customer=customer)
    dup = _fault(agent, customer, title="宽带又断了", severity="urgent", contact_id=contact.pk)
    services.add_comment(agent, dup.pk, note="客户说光猫灯是红的")
    dup_events = list(dup.events.values_list("pk", flat=True))

    merged = services.merge(agent, dup.pk, into_id=keep.pk, reason="同一次断网")
    assert merged.status == Status.MERGED and merged.closed_at is not None
    assert OrderLink.objects.filter(source=dup, target=keep, type="duplicate").exists()
    assert ContactOrder.objects.filter(contact=contact, order=keep).exists()
    keep = WorkOrder.objects.get(pk=keep.pk)
    assert keep.severity == "urgent"  # the stronger of the two
    absorbed = keep.events.get(action="merged_in")
    assert absorbed.data["merged"] == dup.number and absorbed.data["changes"]["severity"] == ["general", "urgent"]
    # The merged order's clocks stop; its history is intact and also shows on the kept order.
    assert not OrderClock.objects.filter(order=dup, state__in=["running", "paused"]).exists()
    r = api_client(agent).get(f"/orders/{keep.pk}/events")
    shown = {(e["order_number"], e["id"]) for e in r.json()}
    assert {(dup.number, pk) for pk in dup_events} <= shown
    assert any(e["action"] == "merge" and e["order_number"] == dup.number for e in r.json())


def test_merge_refusals_name_the_field_and_change_nothing(agent, customer, make_user):
    from kefu.customers import services as customers
    from tests.conftest import mobile, resident_id

    stranger = customers.create_customer(agent, name="李四", id_number=resident_id(990), phone=mobile(990), province="广东", city="深圳")
    a, b = _fault(agent, customer), _fault(agent, stranger)
    for into, field_message in ((b.pk, "another customer"), (a.pk, "same order"), (999999, "no work order")):
        with pytest.raises(ValidationFailed) as err:
            services.merge(agent, a.pk, into_id=into, reason="dup")
        assert field_message in str(err.value.fields["into_id"])
    with pytest.raises(ValidationFailed) as err:
        services.merge(agent, a.pk, into_id=b.pk, reason=" ")
    assert "reason" in err.value.fields
    closed = _fault(agent, customer)
    WorkOrder.objects.filter(pk=closed.pk).update(status="closed")
    with pytest.raises(ValidationFailed):
        services.merge(agent, a.pk, into_id=closed.pk, reason="dup")
    assert WorkOrder.objects.get(pk=a.pk).status == Status.NEW
    assert not OrderLink.objects.filter(source=a).exists()


def test_merge_over_the_api(agent, customer, api_client):
    keep, dup = _fault(agent, customer), _fault(agent, customer, title="宽带还是断网")
    api = api_client(agent)
    r = api.get(f"/orders/{dup.pk}/duplicates")
    assert r.status_code == 200 and [d["order"]["id"] for d in r.json()] == [keep.pk]
    r = api.post(f"/orders/{dup.pk}/merge", {"into_id": keep.pk, "reason": "同一次断网"})
    assert r.status_code == 200 and r.json()["status"] == "merged"
    r = api.post(f"/orders/{dup.pk}/merge", {"into_id": keep.pk, "reason": "again"})
    assert r.status_code == 409
