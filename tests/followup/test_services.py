"""Follow-up calls (回访): tasks made by the order-event consumer, calls only in calling hours,
retries until unreachable, and outcomes that reopen the order or record a refusal."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.followup import services
from kefu.followup.models import FollowUpTask
from kefu.orders import events
from kefu.orders import services as orders

ZONE = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def consumer(db):
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


def _resolved(order, agent, handler):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain(services.CONSUMER)
    return FollowUpTask.objects.filter(order=order).first()


def test_a_resolved_complaint_gets_a_task_due_within_48_hours(order, agent, handler):
    task = _resolved(order, agent, handler)
    assert task is not None and (task.reason, task.status, task.attempts) == ("complaint", "open", 0)
    resolved = order.events.get(action="resolve").at
    assert task.due_at == (resolved + dt.timedelta(hours=48)).replace(microsecond=0)  # 48 h of the 24x7 calendar
    assert services.in_calling_hours(task.next_call_at)


def test_other_orders_are_sampled_and_a_low_score_asks_again(agent, handler, customer, subscription, settings):
    settings.KEFU_FOLLOWUP_SAMPLE_PERCENT = 0
    consultation = orders.create_order(agent, kind="consultation", title="套餐资费咨询", customer_id=customer.pk,
                                       subscription_id=subscription.pk, channel="hotline")
    assert _resolved(consultation, agent, handler) is None
    orders.record_feedback(agent, consultation.pk, confirmed=True, score=5, channel="hotline")
    events.drain(services.CONSUMER)
    assert FollowUpTask.objects.get(order=consultation).reason == "low_score"
    settings.KEFU_FOLLOWUP_SAMPLE_PERCENT = 100
    other = orders.create_order(agent, kind="consultation", title="流量查询", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline")
    assert _resolved(other, agent, handler).reason == "sample"


def test_one_open_task_per_order(order, agent, handler):
    task = _resolved(order, agent, handler)
    orders.record_feedback(agent, order.pk, confirmed=True, score=3, channel="hotline")  # low: reopened
    events.drain(services.CONSUMER)
    assert list(FollowUpTask.objects.filter(order=order)) == [task]


def test_no_task_for_a_customer_who_refused(order, agent, handler, customer):
    from kefu.surveys import services as surveys

    surveys.opt_out(customer, "sms_reply")
    assert _resolved(order, agent, handler) is None


def test_calls_only_in_calling_hours_and_unreachable_after_the_last_try(order, agent, handler, settings):
    settings.KEFU_FOLLOWUP_ATTEMPTS = 2
    task = _resolved(order, agent, handler)
    with pytest.raises(ValidationFailed) as e:
        services.record_call(agent, task.pk, "no_answer", now=MORNING.replace(hour=21))
    assert set(e.value.fields) == {"at"}
    services.record_call(agent, task.pk, "no_answer", now=MORNING)
    task.refresh_from_db()
    assert (task.attempts, task.status) == (1, "open") and task.next_call_at == MORNING + dt.timedelta(minutes=120)
    services.record_call(agent, task.pk, "busy", now=MORNING.replace(hour=19, minute=30))
    task.refresh_from_db()
    assert (task.status, task.outcome, task.next_call_at) == ("done", "unreachable", None)
    with pytest.raises(Conflict):
        services.record_call(agent, task.pk, "reached", now=MORNING)


def test_a_retry_late_in_the_day_waits_for_the_morning():
    evening = MORNING.replace(hour=19, minute=0)
    assert services.calling_time(evening + dt.timedelta(hours=2)) == MORNING.replace(day=9, hour=9)
    assert services.calling_time(MORNING.replace(hour=7)) == MORNING.replace(hour=9)
    assert services.calling_time(MORNING) == MORNING


def test_nobody_is_called_on_a_holiday(db, settings):
    from kefu.sla.models import Calendar, CalendarDay

    holidays = CalendarDay.objects.filter(calendar__name="cn-office", kind="holiday")
    national_day = holidays.get(date=dt.date(2026, 10, 1)).date
    at = dt.datetime.combine(national_day, dt.time(10), tzinfo=ZONE)
    assert not services.in_calling_hours(at)
    after = services.calling_time(at)
    rest = set(holidays.values_list("date", flat=True))
    assert after.time() == dt.time(9) and after.date() > national_day and after.date() not in rest
    assert all(national_day + dt.timedelta(days=n) in rest for n in range((after.date() - national_day).days))
    settings.KEFU_FOLLOWUP_NO_CALL_CALENDAR = ""  # every day
    assert services.in_calling_hours(at) and Calendar.objects.filter(name="cn-office").exists()


def test_problem_recurred_reopens_the_order_with_the_follow_up_record(order, agent, handler):
    task = _resolved(order, agent, handler)
    with pytest.raises(ValidationFailed):  # nobody reached yet
        services.record_outcome(agent, task.pk, "recurred", now=MORNING)
    services.record_call(agent, task.pk, "reached", now=MORNING)
    services.record_outcome(agent, task.pk, "recurred", note="客户反映本月又被多扣20元", now=MORNING)
    order.refresh_from_db()
    reopen = order.events.filter(action="reopen").get()
    assert order.status == "in_progress" and order.reopen_count == 1
    assert order.handler_id == order.owner_id == agent.pk  # back to the first-contact owner, not the handler
    assert order.department_id == agent.department_id
    assert reopen.data["followup_task"] == task.pk and reopen.data["followup_outcome"] == "recurred"
    assert reopen.data["handler"] == [handler.pk, agent.pk]
    assert reopen.reason == "Follow-up call: the problem recurred."
    assert reopen.note == "客户反映本月又被多扣20元"
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "recurred")
    # The calls and the outcome are in the order's history, before the reopening.
    history = list(order.events.filter(action__in=["followup_call", "followup", "reopen"]).order_by("id"))
    assert [(e.action, e.note) for e in history] == [
        ("followup_call", "Reached"), ("followup", "Problem recurred: 客户反映本月又被多扣20元"),
        ("reopen", "客户反映本月又被多扣20元")]
    assert history[1].data == {"followup_task": task.pk, "outcome": "recurred"}


def test_a_refusal_on_the_call_stops_surveys_everywhere(order, agent, handler, customer):
    from kefu.surveys import services as surveys

    task = _resolved(order, agent, handler)
    services.record_call(agent, task.pk, "reached", now=MORNING)
    services.record_outcome(agent, task.pk, "refused", now=MORNING)
    assert surveys.refusal(customer.pk) == surveys.REFUSED


def test_a_task_out_of_scope_looks_like_none(order, agent, handler, make_user):
    task = _resolved(order, agent, handler)
    from django.contrib.auth.models import Permission

    from kefu.staff.models import User

    outsider = make_user("tech_support", "billing", "outsider")  # department scope: not their order
    outsider.user_permissions.add(Permission.objects.get(codename="add_attempt"))

    outsider = User.objects.get(pk=outsider.pk)
    with pytest.raises(NotFound):
        services.record_call(outsider, task.pk, "reached", now=MORNING)


def test_the_api_lists_the_queue_and_records_a_call_and_its_outcome(order, agent, handler, api_client, settings):
    settings.KEFU_FOLLOWUP_CALL_HOURS = "00:00-23:59"  # whenever the test runs
    task = _resolved(order, agent, handler)
    api = api_client(agent)
    queue = api.get("/followup/tasks").json()
    assert [(t["id"], t["order_number"], t["reason"], t["reason_label"]) for t in queue] == [
        (task.pk, order.number, "complaint", "Complaint resolved")]
    bad = api.post(f"/followup/tasks/{task.pk}/calls", {"result": "hung_up"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "result"
    assert api.post(f"/followup/tasks/{task.pk}/calls", {"result": "reached"}).status_code == 201
    done = api.post(f"/followup/tasks/{task.pk}/outcome", {"outcome": "satisfied", "note": "客户表示已解决"})
    assert done.status_code == 200 and (done.json()["status"], done.json()["outcome_label"]) == ("done", "Satisfied")
    assert api.get("/followup/tasks").json() == []
    assert api.get("/followup/tasks?status=later").status_code == 422


def test_the_order_page_shows_the_follow_up_in_chinese(client, order, agent, handler):
    from django.utils import translation

    task = _resolved(order, agent, handler)
    with translation.override("zh-hans"):  # the agent works in Chinese: the history is written so
        services.record_call(agent, task.pk, "no_answer", now=MORNING)
        services.record_call(agent, task.pk, "reached", now=MORNING.replace(hour=14))
        services.record_outcome(agent, task.pk, "satisfied", note="客户表示已解决", now=MORNING.replace(hour=14))
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    page = client.get(f"/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "电话回访" in page and "无人接听" in page and "回访结果" in page and "满意：客户表示已解决" in page
