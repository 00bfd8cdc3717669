"""The follow-up workbench (/followup/) as a follow-up agent uses it: the queue, a task's page
with the order, the customer 360 and the call script, a missed call, a claim and the one-click
outcome with the questionnaire's answers; and who may not see it."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from kefu.followup import services
from kefu.followup.models import FollowUpTask
from kefu.orders import events
from kefu.orders import services as orders
from kefu.staff import roles
from kefu.staff.models import User
from kefu.surveys import services as surveys
from kefu.surveys.models import Invitation


@pytest.fixture(autouse=True)
def consumer(db, settings):
    settings.KEFU_FOLLOWUP_CALL_HOURS = "00:00-23:59"  # whenever the test runs
    settings.KEFU_FOLLOWUP_NO_CALL_CALENDAR = ""
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


@pytest.fixture
def task(order, agent, handler):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain(services.CONSUMER)
    return FollowUpTask.objects.get(order=order)


@pytest.fixture
def as_agent(client, agent):
    client.force_login(agent)
    return client


def _text(response) -> str:
    return response.content.decode()


def test_the_queue_lists_the_task_with_its_customer_masked(as_agent, task, order, customer):
    page = as_agent.get("/followup/")
    html = _text(page)
    assert page.status_code == 200 and order.number in html and "Complaint resolved" in html
    assert customer.masked_name in html and customer.name not in html
    assert 'href="/followup/"' in html  # the header's link
    assert f'action="/followup/{task.pk}/claim/"' in html  # unclaimed: anyone may take it
    assert order.number not in _text(as_agent.get("/followup/?reason=sample"))
    refused = as_agent.get("/followup/?reason=whim")
    assert refused.status_code == 200 and order.number in _text(refused) and "whim" in _text(refused)  # said, not hidden


def test_the_task_page_shows_the_order_the_customer_and_the_script(as_agent, task, order, customer, subscription):
    html = _text(as_agent.get(f"/followup/{task.pk}/"))
    assert order.number in html and "已退还多扣的20元" in html  # the order and its resolution
    assert "Timeline" in html and "Resolve" in html  # its history
    assert customer.masked_name in html and subscription.masked_service_number in html  # the customer 360, masked
    assert customer.name not in html and subscription.service_number not in html
    assert "Call script" in html and "identity" in html.lower()
    for q in surveys.active("post_resolution").questions.all():
        assert q.text in html and f'name="q{q.pk}"' in html
    assert re.search(r'name="outcome" value="recurred"', html) and re.search(r'name="result" value="busy"', html)


def test_a_missed_call_is_recorded_and_the_queue_says_when_to_call_again(as_agent, task, order):
    done = as_agent.post(f"/followup/{task.pk}/call/", {"result": "no_answer", "note": "关机"}, follow=True)
    task.refresh_from_db()
    assert (task.attempts, task.status) == (1, "open") and task.calls.get().note == "关机"
    assert "No answer" in _text(done) and "Next call from" in _text(done)
    assert as_agent.post(f"/followup/{task.pk}/call/", {"result": "reached"}).status_code == 302  # not a missed call
    assert task.calls.count() == 1
    assert as_agent.get(f"/followup/{task.pk}/call/").status_code == 405


def test_a_claim_from_the_queue(as_agent, task, agent):
    as_agent.post(f"/followup/{task.pk}/claim/")
    assert FollowUpTask.objects.get(pk=task.pk).assignee_id == agent.pk
    assert "Me" in _text(as_agent.get("/followup/?which=mine"))


def test_one_click_outcome_with_the_questionnaire(as_agent, task, order, customer):
    questions = list(surveys.active("post_resolution").questions.all())
    form = {"outcome": "satisfied", "note": "客户表示已解决"}
    form |= {f"q{q.pk}": {"score": "9", "recommend": "8"}.get(q.type, "很满意") for q in questions
             if q.type in ("score", "recommend", "text")}
    done = as_agent.post(f"/followup/{task.pk}/outcome/", form)
    assert done.status_code == 302 and done["Location"] == "/followup/"
    task.refresh_from_db()
    assert (task.status, task.outcome, task.note, task.attempts) == ("done", "satisfied", "客户表示已解决", 1)
    invitation = Invitation.objects.get(order=order, channel="phone", status="answered")
    assert invitation.answers.count() == len([q for q in questions if q.type in ("score", "recommend", "text")])
    finished = _text(as_agent.get(f"/followup/{task.pk}/"))
    assert "Satisfied" in finished and 'name="outcome"' not in finished


def test_a_wrong_answer_shows_the_page_again_keeping_the_note(as_agent, task):
    score = next(q for q in surveys.active("post_resolution").questions.all() if q.type == "score")
    page = as_agent.post(f"/followup/{task.pk}/outcome/", {"outcome": "satisfied", "note": "客户说还行", f"q{score.pk}": "9"})
    html = _text(page)
    assert page.status_code == 422 and "is required" in html and "客户说还行" in html
    assert FollowUpTask.objects.get(pk=task.pk).status == "open" and not Invitation.objects.filter(channel="phone").exists()


def test_recurred_reopens_the_order_from_the_page(as_agent, task, order, agent):
    as_agent.post(f"/followup/{task.pk}/outcome/", {"outcome": "recurred", "note": "本月又多扣了"})
    order.refresh_from_db()
    assert (order.status, order.handler_id) == ("in_progress", agent.pk)


def test_outside_calling_hours_the_page_says_when_to_call(as_agent, task, settings):
    hour = timezone.localtime().hour
    settings.KEFU_FOLLOWUP_CALL_HOURS = "05:00-06:00" if hour != 5 else "07:00-08:00"
    html = _text(as_agent.get(f"/followup/{task.pk}/"))
    assert "the next call may be made from" in html
    assert re.search(r'value="busy" class="secondary" disabled', html)
    as_agent.post(f"/followup/{task.pk}/call/", {"result": "busy"})
    assert FollowUpTask.objects.get(pk=task.pk).attempts == 0  # the service refuses it as well
    assert "the next call may be made from" in _text(as_agent.get("/followup/"))


def test_without_the_follow_up_permissions_the_pages_are_forbidden(client, task, handler):
    client.force_login(handler)  # tech support: no follow-up calls
    assert client.get("/followup/").status_code == 403
    assert client.get(f"/followup/{task.pk}/").status_code == 403
    assert client.post(f"/followup/{task.pk}/outcome/", {"outcome": "satisfied"}).status_code == 403
    assert 'href="/followup/"' not in _text(client.get("/"))


def test_a_task_out_of_scope_looks_like_none(client, task, make_user):
    outsider = make_user(roles.TECH_SUPPORT, "billing", "outsider")
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["add_attempt", "view_followuptask"]))
    client.force_login(User.objects.get(pk=outsider.pk))
    assert client.get(f"/followup/{task.pk}/").status_code == 404
    assert client.get("/followup/987654/").status_code == 404
    assert client.post(f"/followup/{task.pk}/claim/").status_code == 404
    assert client.post(f"/followup/{task.pk}/outcome/", {"outcome": "satisfied"}).status_code == 404
    assert FollowUpTask.objects.get(pk=task.pk).status == "open"
