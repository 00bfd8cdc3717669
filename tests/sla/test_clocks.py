"""Policies and clocks: chosen on creation, moved on re-classification, paused while waiting
for the customer, stopped as met or breached, restarted on reopening."""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from kefu.core.errors import ValidationFailed
from kefu.orders import services
from kefu.orders.models import WorkOrder
from kefu.sla import services as sla
from kefu.sla.models import ClockPause, OrderClock, SlaPolicy

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def now():
    """A settable clock for the services: now.set(datetime) moves time."""
    class Now:
        value = datetime(2025, 9, 29, 10, 0, tzinfo=CST)  # a Monday

        def set(self, value):
            self.value = value

        def __call__(self):
            return self.value

    fake = Now()
    with mock.patch("django.utils.timezone.now", fake):
        yield fake


def _clock(order, metric):
    return OrderClock.objects.filter(order=order, metric=metric).order_by("-id").first()


def _complaint(agent, customer, subscription, **kw):
    return services.create_order(agent, kind="complaint", title="乱扣费", customer_id=customer.pk,
                                 subscription_id=subscription.pk, channel="hotline", **kw)


def _started(agent, handler, customer, subscription):
    """A complaint accepted, assigned to HANDLER and in progress."""
    order = _complaint(agent, customer, subscription)
    services.accept(agent, order.pk)
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    return order


def test_most_specific_policy_wins_and_history_says_why(now, agent, customer, subscription):
    order = _complaint(agent, customer, subscription, severity="major")
    event = order.events.get(action="sla_policy")
    assert event.data["policy"] == "投诉（重大）"
    assert event.data["matched_on"] == {"kind": "complaint", "severity": "major"}
    assert _clock(order, "resolution").due_at == now.value + timedelta(hours=24)


def test_rural_fault_gets_the_72_hour_ceiling(now, agent, customer, subscription):
    subscription.area = "rural"
    subscription.save()
    order = services.create_order(agent, kind="fault", title="宽带断网", customer_id=customer.pk,
                                  subscription_id=subscription.pk, channel="hotline")
    assert order.events.get(action="sla_policy").data["policy"] == "故障（农村）"
    assert _clock(order, "resolution").due_at == now.value + timedelta(hours=72)


def test_category_criterion_covers_the_subtree(now, agent, customer, subscription):
    from kefu.orders.models import Category

    billing = Category.objects.get(code="cmp-billing")
    policy = SlaPolicy.objects.create(name="Billing complaints", kind="complaint", category=billing)
    policy.targets.create(metric="resolution", calendar_id=_cal("24x7"), duration="5d")
    order = _complaint(agent, customer, subscription, category_id=Category.objects.get(code="cmp-billing-wrong").pk)
    assert order.events.get(action="sla_policy").data["policy"] == "Billing complaints"
    # Only the targets of the chosen policy run.
    assert set(order.clocks.values_list("metric", flat=True)) == {"resolution"}


def _cal(name):
    from kefu.sla.models import Calendar

    return Calendar.objects.get(name=name).pk


def test_working_day_target_counts_like_the_civil_code(now, agent, customer, subscription):
    now.set(datetime(2025, 9, 30, 17, 0, tzinfo=CST))  # the day before National Day
    order = _complaint(agent, customer, subscription)
    # Result fed back within 3 working days: 9 Oct, 10 Oct, 11 Oct (make-up Saturday) → 18:00 on 11 Oct.
    assert _clock(order, "feedback").due_at == datetime(2025, 10, 11, 18, 0, tzinfo=CST)


def test_acceptance_met_or_breached(now, agent, customer, subscription):
    order = _complaint(agent, customer, subscription)
    now.set(now.value + timedelta(hours=2))
    services.accept(agent, order.pk)
    acceptance = _clock(order, "acceptance")
    assert (acceptance.state, acceptance.is_breached, acceptance.taken_seconds) == ("met", False, 7200)
    # First response (1 h for complaints) was not given in time: accept is not customer-visible.
    services.add_comment(agent, order.pk, note="已受理，正在核查", visibility="customer")
    first = _clock(order, "first_response")
    assert first.state == "met" and first.is_breached and first.breached_at == first.due_at


def test_waiting_pauses_resolution_side_and_resume_extends_by_the_pause(now, agent, handler, customer, subscription):
    order = _started(agent, handler, customer, subscription)
    feedback_due = _clock(order, "feedback").due_at  # 3wd, office calendar
    resolution_due = _clock(order, "resolution").due_at  # 15d, natural
    now.set(datetime(2025, 9, 29, 11, 0, tzinfo=CST))
    services.wait_for_customer(handler, order.pk, reason="需要话费清单")
    assert _clock(order, "feedback").state == "paused" and _clock(order, "feedback").next_check_at is None
    assert _clock(order, "acceptance").state == "met" and _clock(order, "first_response").state == "met"
    now.set(datetime(2025, 9, 29, 15, 0, tzinfo=CST))  # 4 h later, 2.5 of them working hours (lunch)
    services.resume(handler, order.pk)
    feedback = _clock(order, "feedback")
    assert feedback.state == "running" and feedback.paused_seconds == int(2.5 * 3600)
    assert feedback.due_at > feedback_due
    assert _clock(order, "resolution").due_at == resolution_due + timedelta(hours=4)
    pause = ClockPause.objects.get(clock=feedback)
    assert (pause.started_at, pause.ended_at, pause.seconds) == (datetime(2025, 9, 29, 11, 0, tzinfo=CST),
                                                                 datetime(2025, 9, 29, 15, 0, tzinfo=CST), 9000)


def test_the_customers_answer_resumes_the_clocks_but_is_no_response(now, agent, handler, customer, subscription):
    order = _started(agent, handler, customer, subscription)
    # Asked without a word to the customer yet (an internal note): first response still runs.
    services.wait_for_customer(handler, order.pk, reason="需要话费清单", visibility="internal")
    now.set(datetime(2025, 9, 29, 10, 30, tzinfo=CST))
    services.record_answer(agent, order.pk, answer="客户来电说清单已发邮箱", channel="hotline")
    assert WorkOrder.objects.get(pk=order.pk).status == "in_progress"
    assert _clock(order, "first_response").state == "running"  # the customer spoke; the provider has not
    feedback = _clock(order, "feedback")
    assert (feedback.state, feedback.paused_seconds) == ("running", 1800)
    assert order.events.get(action="answer").visibility == "customer"
    assert handler.notifications.filter(order=order, message__contains="answered").exists()


def test_an_answer_needs_words_and_a_known_channel(now, agent, handler, customer, subscription):
    order = _started(agent, handler, customer, subscription)
    services.wait_for_customer(handler, order.pk, reason="需要话费清单")
    with pytest.raises(ValidationFailed) as err:
        services.record_answer(agent, order.pk, answer="  ", channel="pigeon")
    assert set(err.value.fields) == {"answer", "channel"}
    assert WorkOrder.objects.get(pk=order.pk).status == "waiting_customer"
    assert _clock(order, "feedback").state == "paused"


def test_reopening_starts_a_new_round(now, agent, handler, customer, subscription):
    order = _started(agent, handler, customer, subscription)
    services.resolve(handler, order.pk, resolution="已退费")
    assert _clock(order, "resolution").state == "met"
    now.set(now.value + timedelta(days=1))
    services.reopen(agent, order.pk, reason="客户不认可")
    fresh = _clock(order, "resolution")
    assert (fresh.round, fresh.state, fresh.started_at) == (1, "running", now.value)
    assert OrderClock.objects.filter(order=order, metric="resolution").count() == 2


def test_reclassification_moves_live_clocks(now, agent, customer, subscription):
    order = _complaint(agent, customer, subscription)
    # 15 days, the starting day not counted, ending at 24:00 of the last day (Civil Code 201–203).
    assert _clock(order, "resolution").due_at == datetime(2025, 10, 15, 0, 0, tzinfo=CST)
    services.update_order(agent, order.pk, version=WorkOrder.objects.get(pk=order.pk).version, changes={"severity": "major"})
    clock = _clock(order, "resolution")
    assert clock.due_at == now.value + timedelta(hours=24) and clock.duration == "24h"
    assert [e.data["policy"] for e in order.events.filter(action="sla_policy").order_by("id")] == ["投诉", "投诉（重大）"]


def test_closing_stops_every_clock(now, agent, handler, customer, subscription):
    order = _complaint(agent, customer, subscription)
    services.cancel(agent, order.pk, reason="客户撤诉")
    assert not OrderClock.objects.filter(order=order, state__in=["running", "paused"]).exists()
    assert _clock(order, "closure").state == "met"


def test_uncovered_year_fails_closed_and_writes_nothing(now, agent, customer, subscription):
    now.set(datetime(2031, 1, 6, 10, 0, tzinfo=CST))
    with pytest.raises(ValidationFailed) as err:
        _complaint(agent, customer, subscription)
    assert "2031" in str(err.value.message)
    assert not WorkOrder.objects.exists() and not OrderClock.objects.exists()


def test_api_answers_422_for_an_uncovered_year(now, api_client, agent, customer, subscription):
    now.set(datetime(2031, 1, 6, 10, 0, tzinfo=CST))
    r = api_client(agent).post("/orders", {"kind": "complaint", "title": "x", "customer_id": customer.pk, "channel": "hotline"})
    assert r.status_code == 422 and "2031" in r.json()["message"]


def test_sla_state_and_filters(now, agent, customer, subscription):
    late = _complaint(agent, customer, subscription)
    now.set(now.value + timedelta(minutes=30))
    fresh = _complaint(agent, customer, subscription)
    now.set(now.value + timedelta(minutes=45))  # late's 1 h first response is past; fresh's is 15 min away
    state = {s["metric"]: s for s in sla.sla_state(WorkOrder.objects.get(pk=late.pk))}
    assert state["first_response"]["breached"] is True and state["first_response"]["remaining_minutes"] == -15
    assert state["resolution"]["breached"] is False
    assert set(sla.breached_order_ids().values_list("order_id", flat=True)) == {late.pk}
    assert set(sla.due_within_order_ids(20).values_list("order_id", flat=True)) == {fresh.pk}


def test_api_shows_sla_and_filters_on_it(now, api_client, agent, customer, subscription):
    api = api_client(agent)
    late = api.post("/orders", {"kind": "complaint", "title": "迟", "customer_id": customer.pk, "channel": "hotline"}).json()
    now.set(now.value + timedelta(minutes=70))
    fresh = api.post("/orders", {"kind": "consultation", "title": "新", "customer_id": customer.pk, "channel": "hotline"}).json()
    sla_of = {s["metric"]: s for s in api.get(f"/orders/{late['id']}").json()["sla"]}
    assert sla_of["first_response"]["breached"] is True and sla_of["first_response"]["remaining_minutes"] == -10
    assert sla_of["resolution"]["state"] == "running" and sla_of["resolution"]["duration"] == "15d"
    assert {o["id"] for o in api.get("/orders?breached=true").json()["results"]} == {late["id"]}
    assert {o["id"] for o in api.get("/orders?breached=false").json()["results"]} == {fresh["id"]}
    assert {o["id"] for o in api.get("/orders?due_within=20").json()["results"]} == {fresh["id"]}
    assert api.get("/orders?due_within=0").status_code == 422


def _nearest(order):
    running = OrderClock.objects.filter(order=order, state=OrderClock.State.RUNNING)
    return min(running.values_list("due_at", flat=True), default=None), min(running.values_list("warn_at", flat=True), default=None)


def test_the_order_carries_its_nearest_running_due_time(order, agent, handler):
    """What queues sort and colour by follows every clock change (sla.services.refresh_due)."""
    def check():
        fresh = WorkOrder.objects.get(pk=order.pk)
        assert (fresh.sla_due_at, fresh.sla_warn_at) == _nearest(order)
        return fresh.sla_due_at

    created = check()
    assert created is not None
    services.accept(agent, order.pk)
    check()  # the acceptance limit stopped
    assert not OrderClock.objects.filter(order=order, metric="acceptance", state=OrderClock.State.RUNNING).exists()
    services.assign(agent, order.pk, handler_id=handler.pk)
    services.start(handler, order.pk)
    services.wait_for_customer(handler, order.pk, reason="请提供账单")
    check()  # paused clocks no longer count
    services.resume(handler, order.pk)
    check()
    services.cancel(agent, order.pk, reason="客户撤诉")
    assert check() is None
    WorkOrder.objects.filter(pk=order.pk).update(sla_due_at=None)
    assert sla.refresh_due_all([order.pk]) == 1 and check() is None


def test_the_owner_reads_what_others_told_the_customer_in_words(now, agent, supervisor, customer, subscription):
    order = _complaint(agent, customer, subscription)
    services.reject(supervisor, order.pk, reason="不属于受理范围")
    message = agent.notifications.get(order=order).message
    assert message == f"{order.number}: Reject by {supervisor}."  # the action's label, not its code


def test_the_update_clock_stops_when_the_order_is_resolved_and_stays_stopped(now, agent, handler, customer, subscription):
    """"Update to the customer while open" has no purpose once the order is resolved: the
    resolution is the last update, and nothing after it (a word to the customer, the
    confirmation) starts the clock again; reopening does."""
    order = _started(agent, handler, customer, subscription)
    assert _clock(order, "update").state == "running"
    now.set(now.value + timedelta(hours=1))
    services.resolve(handler, order.pk, resolution="已退费")
    assert not OrderClock.objects.filter(order=order, metric="update", state__in=["running", "paused"]).exists()
    services.add_comment(agent, order.pk, note="已短信告知客户退费到账时间", visibility="customer")
    now.set(now.value + timedelta(days=4))
    services.auto_confirm_due()
    assert WorkOrder.objects.get(pk=order.pk).status == "confirmed"
    assert not OrderClock.objects.filter(order=order, metric="update", state__in=["running", "paused"]).exists()
    assert WorkOrder.objects.get(pk=order.pk).sla_due_at == _clock(order, "closure").due_at  # only closure runs
    services.reopen(agent, order.pk, reason="客户不认可")
    assert _clock(order, "update").state == "running" and _clock(order, "update").round == 1


def test_the_migration_cancels_update_clocks_left_running_on_resolved_orders(now, agent, handler, customer, subscription):
    """Orders resolved before the fix kept an update clock running (and escalating)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kefu.sla.migrations.0007_stop_update_clocks_after_resolution")
    order = _started(agent, handler, customer, subscription)
    services.resolve(handler, order.pk, resolution="已退费")
    left = _clock(order, "update")  # as earlier versions left it: started again at the resolution
    OrderClock.objects.filter(pk=left.pk).update(state="running", stopped_at=None, next_check_at=left.due_at)
    WorkOrder.objects.filter(pk=order.pk).update(sla_due_at=left.due_at)
    open_order = _started(agent, handler, customer, subscription)
    migration.forwards(apps, None)
    assert _clock(order, "update").state == "cancelled" and _clock(order, "update").next_check_at is None
    assert WorkOrder.objects.get(pk=order.pk).sla_due_at == _clock(order, "closure").due_at
    assert _clock(open_order, "update").state == "running"
