"""Complaints are archived (closed) only after their follow-up's outcome (KEFU_FOLLOWUP_BEFORE_CLOSE):
the follow-up app guards the orders' close action through orders.extensions, and the close says
what is missing; the system is held back alike."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.core.errors import InvalidTransition
from kefu.followup import services
from kefu.followup.models import FollowUpTask
from kefu.orders import events, extensions
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder

ZONE = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZONE)
OPEN_TASK = "the follow-up task has no outcome yet"
NOT_YET = "no follow-up call has been made yet"


@pytest.fixture(autouse=True)
def consumer(db):
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


def _confirmed(order, agent, handler, *, drain=True):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    if drain:
        events.drain(services.CONSUMER)
    orders.confirm(agent, order.pk, channel="hotline", customer_confirmed=True, note="客户确认已退款")
    return FollowUpTask.objects.filter(order=order).first()


def _refused_close(actor, order) -> InvalidTransition:
    with pytest.raises(InvalidTransition) as refused:
        orders.close(actor, order.pk)
    assert WorkOrder.objects.get(pk=order.pk).status == "confirmed"
    return refused.value


def test_a_complaint_closes_only_after_its_follow_up_outcome(order, agent, handler):
    task = _confirmed(order, agent, handler)
    refused = _refused_close(agent, order)
    assert str(refused) == f"Work orders of kind Complaint are closed only after their follow-up call: {OPEN_TASK}."
    assert refused.extra["missing"] == [str(refused)] and "close" not in refused.extra["allowed_actions"]
    services.record_call(agent, task.pk, "reached", now=MORNING)
    services.record_outcome(agent, task.pk, "satisfied", now=MORNING)
    assert orders.close(agent, order.pk).status == "closed"


def test_unreachable_is_an_outcome_too(order, agent, handler, settings):
    settings.KEFU_FOLLOWUP_ATTEMPTS = 1
    task = _confirmed(order, agent, handler)
    services.record_call(agent, task.pk, "no_answer", now=MORNING)
    assert FollowUpTask.objects.get(pk=task.pk).outcome == "unreachable"
    assert orders.close(agent, order.pk).status == "closed"


def test_a_task_not_made_yet_holds_the_close_back_and_the_system_alike(order, agent, handler):
    assert _confirmed(order, agent, handler, drain=False) is None  # the consumer has not run yet
    assert NOT_YET in str(_refused_close(agent, order))
    assert NOT_YET in str(_refused_close(None, order))  # a close by the system (no actor) is held back too
    events.drain(services.CONSUMER)
    assert OPEN_TASK in str(_refused_close(agent, order))


def test_orders_the_rules_leave_out_close_freely(order, agent, handler, customer, subscription, settings):
    from kefu.surveys import services as surveys

    surveys.opt_out(customer, "phone")  # a customer who refused follow-up gets no task, and waits for none
    assert _confirmed(order, agent, handler) is None
    assert orders.close(agent, order.pk).status == "closed"
    consultation = orders.create_order(agent, kind="consultation", title="套餐资费咨询", customer_id=customer.pk,
                                       subscription_id=subscription.pk, channel="hotline")
    settings.KEFU_FOLLOWUP_SAMPLE_PERCENT = 100
    surveys.OptOut.objects.all().delete()
    assert _confirmed(consultation, agent, handler) is not None  # sampled: a task, but consultations are not held
    assert orders.close(agent, consultation.pk).status == "closed"


def test_the_operator_turns_it_off_or_on_for_other_kinds(order, agent, handler, customer, subscription, settings):
    _confirmed(order, agent, handler)
    settings.KEFU_FOLLOWUP_BEFORE_CLOSE = []
    assert extensions.close_refusals(WorkOrder.objects.get(pk=order.pk)) == []
    assert orders.close(agent, order.pk).status == "closed"
    settings.KEFU_FOLLOWUP_BEFORE_CLOSE = ["fault"]
    settings.KEFU_FOLLOWUP_SAMPLE_PERCENT = 100
    fault = orders.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline")
    _confirmed(fault, agent, handler)
    assert str(_refused_close(agent, fault)).startswith("Work orders of kind Fault report are closed only after")


def test_a_recurred_problem_needs_a_new_follow_up_after_the_new_resolution(order, agent, handler, supervisor):
    task = _confirmed(order, agent, handler)
    services.record_call(agent, task.pk, "reached", now=MORNING)
    services.record_outcome(agent, task.pk, "recurred", note="又被多扣了", now=MORNING)  # reopened to the owner
    orders.resolve(agent, order.pk, resolution="已再次退款并关闭增值业务")
    events.drain(services.CONSUMER)
    orders.confirm(supervisor, order.pk, channel="hotline", customer_confirmed=True)
    assert OPEN_TASK in str(_refused_close(agent, order))  # the first follow-up was before this resolution
    second = FollowUpTask.objects.get(order=order, status="open")
    services.record_call(agent, second.pk, "reached", now=MORNING)
    services.record_outcome(agent, second.pk, "satisfied", now=MORNING)
    assert orders.close(agent, order.pk).status == "closed"


def test_the_api_close_says_what_is_missing(order, agent, handler, api_client):
    _confirmed(order, agent, handler)
    r = api_client(agent).post(f"/orders/{order.pk}/close", {})
    body = r.json()
    assert r.status_code == 409 and body["code"] == "invalid_transition" and OPEN_TASK in body["message"]
    assert body["missing"] == [body["message"]] and body["state"] == "confirmed"


def test_the_order_page_close_says_what_is_missing(client, order, agent, handler):
    _confirmed(order, agent, handler)
    client.force_login(agent)
    page = client.post(f"/orders/{order.pk}/close/", {"note": ""}, follow=True).content.decode()
    assert OPEN_TASK in page and WorkOrder.objects.get(pk=order.pk).status == "confirmed"


@pytest.mark.parametrize(("value", "ok"), [("complaint,fault", True), ("", True), ("complaints", False)])
def test_the_setting_names_order_kinds(value, ok, tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env |= {"KEFU_FOLLOWUP_BEFORE_CLOSE": value, "KEFU_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", "import kefu.settings as s; print(s.KEFU_FOLLOWUP_BEFORE_CLOSE)"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert (run.returncode == 0) is ok, run.stderr
    assert ok or "KEFU_FOLLOWUP_BEFORE_CLOSE must list order kinds" in run.stderr
