"""交接班: an agent hands over first-contact ownership of everything they still answer for."""

import pytest

from kefu.core.errors import Forbidden, ValidationFailed
from kefu.orders import services
from kefu.orders.models import Status, WorkOrder
from kefu.staff import roles


@pytest.fixture
def colleague(make_user):
    return make_user(roles.AGENT, "front-office", "colleague")


def _orders(agent, customer, statuses):
    made = []
    for status in statuses:
        o = services.create_order(agent, kind="complaint", title=f"投诉 {status}", customer_id=customer.pk, channel="hotline")
        WorkOrder.objects.filter(pk=o.pk).update(status=status)
        made.append(o.pk)
    return made


def test_every_order_still_answered_for_changes_owner_with_its_own_event(agent, colleague, customer):
    mine = _orders(agent, customer, [Status.NEW, Status.IN_PROGRESS, Status.RESOLVED, Status.CONFIRMED])
    finished = _orders(agent, customer, [Status.CLOSED, Status.CANCELLED])
    theirs = _orders(colleague, customer, [Status.NEW])
    done, remaining = services.hand_over_shift(agent, new_owner_id=colleague.pk, reason="下班交接")
    assert sorted(o.pk for o in done) == mine and remaining == 0
    assert set(WorkOrder.objects.filter(pk__in=mine).values_list("owner", flat=True)) == {colleague.pk}
    assert set(WorkOrder.objects.filter(pk__in=finished).values_list("owner", flat=True)) == {agent.pk}
    for pk in mine:
        event = WorkOrder.objects.get(pk=pk).events.get(action="handover")
        assert (event.actor, event.reason, event.data) == (agent, "下班交接", {"owner": [agent.pk, colleague.pk]})
    assert WorkOrder.objects.get(pk=theirs[0]).events.filter(action="handover").count() == 0
    # The new owner hears of each order now theirs.
    assert sorted(colleague.notifications.filter(message__contains="handed over to you").values_list("order", flat=True)) == mine


def test_a_refusal_changes_nothing(agent, colleague, customer):
    mine = _orders(agent, customer, [Status.NEW, Status.ACCEPTED])
    with pytest.raises(ValidationFailed) as err:
        services.hand_over_shift(agent, new_owner_id=colleague.pk, reason=" ")
    assert "reason" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.hand_over_shift(agent, new_owner_id=agent.pk, reason="下班")  # to oneself: the first order refuses
    assert "new_owner_id" in err.value.fields
    assert set(WorkOrder.objects.filter(pk__in=mine).values_list("owner", flat=True)) == {agent.pk}
    assert not WorkOrder.objects.filter(pk__in=mine, events__action="handover").exists()


def test_someone_elses_orders_need_a_supervisor(agent, colleague, supervisor, customer):
    theirs = _orders(colleague, customer, [Status.NEW])
    with pytest.raises(Forbidden):
        services.hand_over_shift(agent, new_owner_id=agent.pk, reason="同事病假", from_owner_id=colleague.pk)
    done, _remaining = services.hand_over_shift(supervisor, new_owner_id=agent.pk, reason="同事病假", from_owner_id=colleague.pk)
    assert [o.pk for o in done] == theirs and WorkOrder.objects.get(pk=theirs[0]).owner == agent


def test_large_handovers_go_in_batches(agent, colleague, customer, monkeypatch):
    monkeypatch.setattr(services.ownership, "SHIFT_HANDOVER_BATCH", 2)
    mine = _orders(agent, customer, [Status.NEW] * 3)
    done, remaining = services.hand_over_shift(agent, new_owner_id=colleague.pk, reason="下班")
    assert ([o.pk for o in done], remaining) == (mine[:2], 1)
    done, remaining = services.hand_over_shift(agent, new_owner_id=colleague.pk, reason="下班")
    assert ([o.pk for o in done], remaining) == (mine[2:], 0)


def test_the_api_and_the_queue_page(api_client, client, agent, colleague, customer):
    mine = _orders(agent, customer, [Status.NEW, Status.NEW])
    r = api_client(agent).post("/orders/handover", {"new_owner_id": colleague.pk, "reason": "下班"})
    assert r.status_code == 200 and r.json() == {"handed_over": [WorkOrder.objects.get(pk=pk).number for pk in mine], "remaining": 0}
    r = api_client(colleague).post("/orders/handover", {"new_owner_id": agent.pk, "reason": ""})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "reason"
    client.force_login(colleague)
    page = client.get("/queue/mine/").content.decode()
    assert 'action="/queue/handover/"' in page and f'<option value="{agent.pk}">' in page
    r = client.post("/queue/handover/", {"new_owner_id": agent.pk, "reason": "交班"}, follow=True)
    assert "Handed over 2 orders" in r.content.decode()
    assert set(WorkOrder.objects.filter(pk__in=mine).values_list("owner", flat=True)) == {agent.pk}
