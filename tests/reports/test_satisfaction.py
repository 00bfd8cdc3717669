"""The customer's word in the figures: a survey answered on the phone reaches the rollups (the
worker's turn, no order event needed), the satisfaction page, its API and the monthly report,
credited to everyone who handled the order; the agent's attitude apart from the result."""

import re

import pytest
from django.utils import timezone

from kefu.orders import events
from kefu.orders import services as orders
from kefu.reports import periods, queries, rollups
from kefu.reports import services as reports
from kefu.reports.models import Rollup
from kefu.staff import roles
from kefu.surveys import services as surveys
from kefu.surveys.models import Invitation


@pytest.fixture
def manager(make_user):
    user = make_user(roles.MANAGER, None, "manager")
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def answered(client, order, agent, handler):
    """The complaint resolved by the handler, its customer texted the link and answering it on
    a phone: the agent's attitude 9, the result 4, a comment."""
    events.drain()  # the consumers start at the latest event (history=False): before this order's
    assert rollups.refresh_due() == 0  # the worker's watermark
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain()
    invitation = Invitation.objects.get(order=order, channel="sms_link")
    q = {question.dimension or question.type: question.pk for question in invitation.instrument.questions.all()}
    page = client.post(f"/portal/survey/{invitation.token}/", {
        f"q{q['overall']}": "7", f"q{q['attitude']}": "9", f"q{q['result']}": "4", f"q{q['timeliness']}": "6",
        f"q{q['recommend']}": "9", f"q{q['text']}": "态度很好，可是问题没有彻底解决"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    events.drain()
    return invitation


def test_the_answers_reach_the_rollups_on_the_workers_turn(answered, agent, handler):
    month = periods.month(timezone.localdate())
    everything = queries.Scope(everything=True)
    codes = ["score_attitude", "score_result", "score_timeliness", "satisfaction_rate", "nps", "response_rate"]
    assert rollups.refresh_due() >= 1  # the invitation made and answered since the last turn
    figures = reports.compute(codes, month, everything)[""]
    assert figures == {"score_attitude": 9, "score_result": 4, "score_timeliness": 6, "satisfaction_rate": 0,
                       "nps": 100, "response_rate": 1}
    # Credited to everyone who handled or answered the order: the first-contact owner and the resolver.
    by_agent = reports.compute(["score_attitude", "score_result"], month, everything, by="agent")
    assert by_agent[str(agent.pk)] == by_agent[str(handler.pk)] == {"score_attitude": 9, "score_result": 4}
    # Incremental = rebuilt.
    before = {(r.period, r.dim, r.key, r.measure): r.value for r in Rollup.objects.exclude(value=0)}
    rollups.rebuild()
    assert before == {(r.period, r.dim, r.key, r.measure): r.value for r in Rollup.objects.exclude(value=0)}


def test_the_satisfaction_page_its_api_and_the_monthly_report_show_them(answered, client, manager, api_client):
    rollups.refresh_due()
    month = periods.month(timezone.localdate())
    client.force_login(manager)
    page = client.get(f"/reports/satisfaction/?period={month.code}&by=agent").content.decode()
    row = lambda code: re.search(rf'data-indicator="{code}".*?</tr>', page, re.S).group(0)  # noqa: E731
    assert '<td class="num">9.00</td>' in row("score_attitude") and '<td class="num">4.00</td>' in row("score_result")
    assert "服务态度评分" in page and "处理结果评分" in page and "参评率" in page
    assert "态度很好，可是问题没有彻底解决" in page and "handler" in page  # the low score's words; the handler's row
    assert "本季度尚未开展季度满意度调查。" in page  # no relationship wave this quarter
    api = api_client(manager)
    data = api.get(f"/reports/satisfaction?period={month.code}&by=department").json()
    values = {i["code"]: i["value"] for i in data["indicators"]}
    assert values["score_attitude"] == 9 and values["score_result"] == 4 and values["nps"] == 100
    report = api.get(f"/reports/report?period={month.code}").json()
    values = {i["code"]: i["value"] for i in report["indicators"]}
    assert values["score_attitude"] == 9 and values["score_result"] == 4
    assert api.get(f"/reports/satisfaction?period={month.code}&by=colour").status_code == 422


def test_a_score_at_resolution_is_an_answer_counted_once(order, agent, handler, make_user):
    """The customer's confirmation with a score (orders' Feedback) is stored as the overall
    question's answer with the order, in the same transaction."""
    from kefu.orders.models import Feedback

    events.drain()
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    orders.record_feedback(agent, order.pk, confirmed=True, score=9, channel="hotline")
    feedback = Feedback.objects.get(order=order)
    mirror = Invitation.objects.get(feedback=feedback)
    assert (mirror.status, mirror.channel, mirror.answered_at) == ("answered", "phone", feedback.at)
    assert surveys.dimension_scores(mirror) == {"overall": 9}
    assert surveys.mirror_feedback([feedback]) == 0  # once
    events.drain()
    month = periods.month(timezone.localdate())
    figures = reports.compute(["avg_score", "response_rate"], month, queries.Scope(everything=True))[""]
    assert figures["avg_score"] == 9
    assert figures["response_rate"] in (0, None)  # the mirror is no invitation sent; the SMS survey waits


def test_a_follow_up_counts_when_it_comes_due_or_is_done(order, agent, handler):
    """回访完成率: tasks due in the period; a task not due yet is not counted, and one that came
    due without an outcome is counted undone on the worker's turn (no order event marks it)."""
    import datetime as dt

    from kefu.followup.models import FollowUpTask

    events.drain()
    assert rollups.refresh_due() == 0
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain()
    task = FollowUpTask.objects.get(order=order)
    everything = queries.Scope(everything=True)
    day = periods.Period(periods.RANGE, timezone.localdate(task.due_at), timezone.localdate(task.due_at))
    rate = lambda: reports.compute(["complaint_followup_done_rate"], day, everything)[""]["complaint_followup_done_rate"]  # noqa: E731
    rollups.refresh_due()
    assert rate() is None  # not due yet: no data
    rollups.refresh_due(now=task.due_at + dt.timedelta(minutes=1))
    assert rate() == 0  # came due, no outcome
    rollups.rebuild()  # as of now, before the due time: the rebuild agrees with the first turn
    assert rate() is None
