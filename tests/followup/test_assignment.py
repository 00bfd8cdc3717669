"""Follow-up tasks on the SLA calendars and routing: the time limit in working hours of
KEFU_FOLLOWUP_CALENDAR, new tasks given to the follow-up desk's people by its strategy, claims of
the unassigned ones, and the questionnaire asked on the call stored as phone survey answers."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.followup import services
from kefu.followup.models import FollowUpTask
from kefu.orders import events
from kefu.orders import services as orders
from kefu.staff import roles
from kefu.staff.models import User
from kefu.surveys import services as surveys
from kefu.surveys.models import Answer, Invitation

ZONE = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZONE)  # a Tuesday


@pytest.fixture(autouse=True)
def consumer(db):
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


def _complaint(agent, customer, subscription, title="话费多扣了20元"):
    return orders.create_order(agent, kind="complaint", title=title, customer_id=customer.pk,
                               subscription_id=subscription.pk, channel="hotline")


def _resolve(order, agent, handler, *, drain=True):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    if drain:
        events.drain(services.CONSUMER)
    return FollowUpTask.objects.filter(order=order).order_by("-pk").first()


# --- the time limit on a calendar --------------------------------------------------------------

def test_the_time_limit_counts_working_hours_of_the_calendar(db, settings):
    settings.KEFU_FOLLOWUP_DUE_HOURS = 2
    friday = dt.datetime(2026, 12, 11, 17, 0, tzinfo=ZONE)
    assert services.due_after(friday) == friday + dt.timedelta(hours=2)  # 24x7: natural hours
    settings.KEFU_FOLLOWUP_CALENDAR = "cn-office"  # 09:00–12:00, 13:30–18:00 on working days
    assert services.due_after(friday) == dt.datetime(2026, 12, 14, 10, 0, tzinfo=ZONE)  # 1 h Friday, 1 h Monday
    settings.KEFU_FOLLOWUP_CALENDAR = "no-such-calendar"  # never blocks the tasks: natural hours
    assert services.due_after(friday) == friday + dt.timedelta(hours=2)


def test_a_task_made_by_the_consumer_is_due_on_the_calendar(order, agent, handler, settings):
    settings.KEFU_FOLLOWUP_CALENDAR = "cn-office"
    task = _resolve(order, agent, handler)
    resolved = order.events.get(action="resolve").at
    assert task.due_at == services.due_after(resolved) > resolved + dt.timedelta(hours=48)


# --- routing -------------------------------------------------------------------------------

@pytest.fixture
def desk(departments, make_user, settings):
    """The complaints department as the follow-up desk: two agents at work, one offline."""
    complaints = departments["complaints"]
    complaints.assignment = "round_robin"
    complaints.save()
    settings.KEFU_FOLLOWUP_DEPARTMENT = "complaints"
    people = [make_user(roles.AGENT, "complaints", name) for name in ("caller1", "caller2", "caller3")]
    User.objects.filter(pk__in=[people[0].pk, people[1].pk]).update(presence="available")
    User.objects.filter(pk=people[2].pk).update(presence="offline")
    return complaints, people


def test_new_tasks_go_to_the_desks_people_by_its_strategy(agent, handler, customer, subscription, desk):
    complaints, (first, second, offline) = desk
    tasks = [_resolve(_complaint(agent, customer, subscription, f"投诉{n}"), agent, handler) for n in range(3)]
    assignees = [t.assignee_id for t in tasks]
    assert set(assignees) == {first.pk, second.pk} and offline.pk not in assignees  # nobody offline is given calls
    assert assignees[0] != assignees[1] and all(t.assigned_at for t in tasks)  # round-robin: each in turn
    # Their open tasks count against their capacity: nobody with room, the task waits to be claimed.
    User.objects.filter(pk__in=[first.pk, second.pk]).update(capacity=1)
    assert _resolve(_complaint(agent, customer, subscription, "投诉3"), agent, handler).assignee_id is None


def test_a_manual_desk_or_none_leaves_tasks_to_claim(agent, handler, customer, subscription, desk, settings):
    complaints, _people = desk
    settings.KEFU_FOLLOWUP_DEPARTMENT = complaints.name  # by its name as well as its code
    complaints.assignment = "manual"
    complaints.save()
    assert _resolve(_complaint(agent, customer, subscription), agent, handler).assignee_id is None
    settings.KEFU_FOLLOWUP_DEPARTMENT = ""
    assert services.plan_assignees(2, MORNING) == [None, None]


def test_least_loaded_gives_the_task_to_whoever_has_fewest_open_calls(agent, handler, customer, subscription, desk):
    complaints, (first, second, _offline) = desk
    complaints.assignment = "least_loaded"
    complaints.save()
    from django.utils import timezone

    busy = _resolve(_complaint(agent, customer, subscription, "投诉A"), agent, handler)
    other = second if busy.assignee_id == first.pk else first
    # Each pick counts before the next: the idle one, then (one open each) whoever waited longer.
    assert services.plan_assignees(3, timezone.now()) == [other.pk, busy.assignee_id, other.pk]


# --- claims --------------------------------------------------------------------------------

def test_an_unassigned_task_is_claimed_once(order, agent, handler, make_user):
    task = _resolve(order, agent, handler)
    assert task.assignee_id is None
    services.claim(agent, task.pk, now=MORNING)
    task.refresh_from_db()
    assert (task.assignee_id, task.assigned_at) == (agent.pk, MORNING)
    assert services.claim(agent, task.pk).assignee_id == agent.pk  # one's own again: nothing changes
    colleague = make_user(roles.AGENT, "front-office")
    with pytest.raises(Conflict) as refused:
        services.claim(colleague, task.pk)
    assert "agent" in str(refused.value)
    with pytest.raises(Forbidden):
        services.claim(handler, task.pk)  # tech support makes no follow-up calls


def test_the_queue_puts_mine_and_the_unclaimed_first(agent, handler, customer, subscription, make_user):
    colleague = make_user(roles.AGENT, "front-office")
    theirs, unclaimed, mine = (_resolve(_complaint(agent, customer, subscription, f"投诉{n}"), agent, handler)
                               for n in range(3))
    services.claim(colleague, theirs.pk)
    services.claim(agent, mine.pk)
    assert [t.pk for t in services.queue(agent)] == [mine.pk, unclaimed.pk, theirs.pk]
    assert [t.pk for t in services.queue(agent, which="mine")] == [mine.pk, unclaimed.pk]
    assert services.queue(agent, reason="sample") == []
    with pytest.raises(ValidationFailed) as bad:
        services.queue(agent, reason="whim", which="theirs")
    assert set(bad.value.fields) == {"reason", "which"}


# --- the questionnaire asked on the call -----------------------------------------------------

def _answers(score=9) -> dict:
    """Answers to every question of the active post-resolution questionnaire."""
    values = {}
    for q in surveys.active("post_resolution").questions.all():
        values[q.pk] = {"score": score, "recommend": 8, "text": "处理及时"}.get(q.type, q.options[:1])
    return values


def test_answers_on_the_call_are_stored_as_phone_survey_answers(order, agent, handler, customer):
    task = _resolve(order, agent, handler)
    assert services.questionnaire(services.get_task(agent, task.pk))["refusal"] is None
    services.record_outcome(agent, task.pk, "satisfied", note="客户表示已解决", answers=_answers(9), reached=True, now=MORNING)
    task.refresh_from_db()
    assert (task.status, task.outcome, task.attempts) == ("done", "satisfied", 1)  # the reaching call recorded with it
    invitation = Invitation.objects.get(order=order, channel="phone")
    assert (invitation.customer_id, invitation.status) == (customer.pk, "answered")
    assert Answer.objects.filter(invitation=invitation, score=9).exists()
    assert order.events.get(action="followup").data["survey_invitation"] == invitation.pk


def test_answers_are_refused_for_a_customer_asked_recently_and_nothing_is_recorded(order, agent, handler, customer):
    task = _resolve(order, agent, handler)
    surveys.invite(customer, "post_resolution", channel="sms_link", now=MORNING - dt.timedelta(days=1))  # another matter
    script = services.questionnaire(services.get_task(agent, task.pk), now=MORNING)
    assert script["instrument"] is None and "less than 30 days ago" in script["refusal"]
    with pytest.raises(ValidationFailed) as refused:
        services.record_outcome(agent, task.pk, "satisfied", answers=_answers(), reached=True, now=MORNING)
    assert "less than 30 days ago" in str(refused.value.fields["answers"])
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("open", 0) and not Invitation.objects.filter(channel="phone").exists()
    services.record_outcome(agent, task.pk, "satisfied", reached=True, now=MORNING)  # without the questionnaire
    assert FollowUpTask.objects.get(pk=task.pk).outcome == "satisfied"


def test_the_call_answers_the_orders_own_survey_still_waiting(order, agent, handler, customer):
    """The SMS link the customer has not answered yet is no reason to skip the questionnaire on
    the call: the call answers that invitation (one per order, counted once)."""
    task = _resolve(order, agent, handler)
    waiting = surveys.invite(customer, "post_resolution", channel="sms_link", order=order, now=MORNING - dt.timedelta(hours=20))
    script = services.questionnaire(services.get_task(agent, task.pk), now=MORNING)
    assert script["instrument"] is not None and script["refusal"] is None
    services.record_outcome(agent, task.pk, "satisfied", answers=_answers(), reached=True, now=MORNING)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.channel) == ("answered", "phone")
    assert Invitation.objects.filter(order=order).count() == 1


def test_a_wrong_answer_or_a_refusal_with_answers_records_nothing(order, agent, handler):
    task = _resolve(order, agent, handler)
    wrong = _answers(11)
    with pytest.raises(ValidationFailed) as bad:
        services.record_outcome(agent, task.pk, "satisfied", answers=wrong, reached=True, now=MORNING)
    assert any(name.startswith("answers.") for name in bad.value.fields)
    with pytest.raises(ValidationFailed) as refused:
        services.record_outcome(agent, task.pk, "refused", answers=_answers(), reached=True, now=MORNING)
    assert set(refused.value.fields) == {"answers"}
    assert not Invitation.objects.filter(channel="phone").exists()
    assert FollowUpTask.objects.get(pk=task.pk).status == "open"


def test_a_caller_out_of_scope_claims_nothing(order, agent, handler, make_user):
    from kefu.core.errors import NotFound

    task = _resolve(order, agent, handler)
    outsider = make_user(roles.TECH_SUPPORT, "billing", "outsider")
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["add_attempt", "view_followuptask"]))
    outsider = User.objects.get(pk=outsider.pk)
    for call in (lambda: services.claim(outsider, task.pk), lambda: services.get_task(outsider, task.pk)):
        with pytest.raises(NotFound):
            call()
    assert services.queue(outsider) == []


def test_the_api_claims_and_takes_the_answers_with_the_outcome(order, agent, handler, customer, api_client, settings):
    settings.KEFU_FOLLOWUP_CALL_HOURS = "00:00-23:59"  # whenever the test runs
    settings.KEFU_FOLLOWUP_NO_CALL_CALENDAR = ""
    task = _resolve(order, agent, handler)
    api = api_client(agent)
    claimed = api.post(f"/followup/tasks/{task.pk}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee_id"] == agent.pk
    assert claimed.json()["customer_name"] == customer.masked_name
    assert [t["id"] for t in api.get("/followup/tasks?which=mine&reason=complaint").json()] == [task.pk]
    assert api.get("/followup/tasks?which=theirs").status_code == 422
    answers = {str(k): v for k, v in _answers(4).items()}
    done = api.post(f"/followup/tasks/{task.pk}/outcome", {"outcome": "dissatisfied", "answers": answers, "reached": True})
    assert done.status_code == 200 and done.json()["outcome"] == "dissatisfied"
    invitation = Invitation.objects.get(order=order, channel="phone")
    assert sorted(invitation.answers.values_list("score", flat=True).exclude(score=None)) == sorted(
        v for v in _answers(4).values() if isinstance(v, int))
    order.refresh_from_db()
    assert order.status == "in_progress" and order.handler_id == agent.pk  # reopened to the first-contact owner
