"""A low survey score does what the operator configures (KEFU_SURVEY_LOW_SCORE_ACTIONS): flag it
for a supervisor's review, reopen the order to its first-contact owner as a re-complaint, or ask
for a follow-up call (the signal surveys.signals.low_score, which the follow-up app turns into
a task). Not for the scores given at resolution: the orders app acts on those itself."""

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, NotFound
from kefu.followup.models import FollowUpTask
from kefu.orders import events
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.staff import roles
from kefu.surveys import services, signals
from kefu.surveys.models import Invitation


@pytest.fixture(autouse=True)
def _actions(db, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("followup", "review")  # the default


@pytest.fixture
def resolved(order, agent, handler):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    return WorkOrder.objects.get(pk=order.pk)


def _survey(order, channel="sms_reply") -> Invitation:
    invitation = services.invite(order.customer, "post_resolution", channel=channel, order=order)
    assert invitation is not None
    return invitation


def _overall_only(invitation, score: int) -> Invitation:
    return services.answer(invitation.pk, {services.overall_question().pk: score})


def _all_questions(invitation, *, overall=9, result=9, text="") -> Invitation:
    values = {}
    for q in invitation.instrument.questions.all():
        if q.dimension == "overall":
            values[q.pk] = overall
        elif q.dimension == "result":
            values[q.pk] = result
        elif q.type in ("score", "recommend"):
            values[q.pk] = 9
        elif q.type == "text":
            values[q.pk] = text
    return services.answer(invitation.pk, values)


def test_by_default_a_low_score_is_flagged_and_asks_for_a_follow_up_call(resolved):
    invitation = _overall_only(_survey(resolved), 4)
    invitation.refresh_from_db()
    assert invitation.flagged_at is not None and invitation.reviewed_at is None
    task = FollowUpTask.objects.get(order=resolved)  # made by the follow-up app, through the signal
    assert (task.reason, task.status) == ("low_score", "open")
    assert WorkOrder.objects.get(pk=resolved.pk).status == "resolved"  # not reopened


def test_a_satisfied_score_does_nothing(resolved):
    invitation = _overall_only(_survey(resolved), 8)  # the threshold itself is satisfied
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is None
    assert not FollowUpTask.objects.exists()


def test_a_low_dimension_is_a_low_score_too(resolved):
    # Overall 9, the result 4: the customer liked the agent, not the outcome.
    invitation = _all_questions(_survey(resolved, "sms_link"), overall=9, result=4)
    assert services.low_scores(invitation) == {"result": 4}
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is not None


def test_reopen_to_the_first_contact_owner(resolved, agent, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("reopen",)
    invitation = _overall_only(_survey(resolved), 2)
    order = WorkOrder.objects.get(pk=resolved.pk)
    assert (order.status, order.handler_id, order.reopen_count) == ("in_progress", agent.pk, 1)
    reopen = order.events.get(action="reopen")
    assert reopen.actor_id is None and reopen.data["survey_invitation"] == invitation.pk
    assert reopen.data["survey_scores"] == {"overall": 2} and "score" not in reopen.data
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is None and not FollowUpTask.objects.exists()


def test_an_order_still_open_is_not_reopened(order, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("reopen", "review")
    invitation = _overall_only(_survey(order), 2)
    assert WorkOrder.objects.get(pk=order.pk).reopen_count == 0
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is not None


def test_no_action_configured_no_action(resolved, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ()
    invitation = _overall_only(_survey(resolved), 2)
    assert services.act_on_low_score(invitation) == []
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is None and not FollowUpTask.objects.exists()
    assert WorkOrder.objects.get(pk=resolved.pk).status == "resolved"


def test_each_action_on_its_own(resolved, settings):
    invitation = _overall_only(_survey(resolved), 2)
    Invitation.objects.filter(pk=invitation.pk).update(flagged_at=None)
    FollowUpTask.objects.all().delete()
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("followup",)
    assert services.act_on_low_score(invitation) == ["followup"]
    assert FollowUpTask.objects.count() == 1 and Invitation.objects.get(pk=invitation.pk).flagged_at is None
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("review",)
    assert services.act_on_low_score(invitation) == ["review"]
    assert FollowUpTask.objects.count() == 1 and Invitation.objects.get(pk=invitation.pk).flagged_at is not None


def test_the_score_at_resolution_is_left_to_the_orders_app(resolved, agent, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("reopen", "followup", "review")
    settings.KEFU_LOW_SCORE_ACTION = "review"
    orders.record_feedback(agent, resolved.pk, confirmed=True, score=3, channel="hotline")
    mirror = Invitation.objects.get(feedback__isnull=False)
    assert services.low_scores(mirror) == {"overall": 3}
    assert services.act_on_low_score(mirror) == []
    assert mirror.flagged_at is None and not FollowUpTask.objects.exists()
    assert WorkOrder.objects.get(pk=resolved.pk).reopen_count == 0


def test_a_survey_about_no_order_acts_on_nothing(customer):
    invitation = services.invite(customer, "post_resolution", channel="ivr")
    _overall_only(invitation, 1)
    assert Invitation.objects.get(pk=invitation.pk).flagged_at is None and not FollowUpTask.objects.exists()


def test_the_follow_up_app_hears_the_signal_once_per_order_never_for_a_refusal(resolved, customer):
    invitation = _survey(resolved)
    signals.low_score.send(sender=Invitation, invitation=invitation, scores={"overall": 2}, at=timezone.now())
    signals.low_score.send(sender=Invitation, invitation=invitation, scores={"overall": 2}, at=timezone.now())
    task = FollowUpTask.objects.get(order=resolved)  # one open task per order
    assert task.reason == "low_score" and task.due_at > timezone.now()
    task.delete()
    services.opt_out(customer, "sms_reply")
    signals.low_score.send(sender=Invitation, invitation=invitation, scores={"overall": 2}, at=timezone.now())
    assert not FollowUpTask.objects.exists()


def test_an_sms_reply_with_a_low_digit_acts_too(resolved, customer, settings):
    from kefu.staff.models import User

    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ("reopen", "followup", "review")
    invitation = _survey(resolved)
    gateway = User.objects.create_superuser("sms-gateway", password="pw")
    assert services.receive_reply(gateway, customer.phone, "4") == "answered"  # 4 不满意: 4 of 10
    invitation.refresh_from_db()
    assert invitation.flagged_at is not None
    assert WorkOrder.objects.get(pk=resolved.pk).status == "in_progress"
    assert FollowUpTask.objects.filter(order=resolved, reason="low_score").exists()
    events.drain()  # the reopening's event, handed to every consumer: no second task for the order
    assert FollowUpTask.objects.filter(order=resolved, status="open").count() == 1


# --- flagged for review ------------------------------------------------------------------

@pytest.fixture
def supervisors(make_user):
    from kefu.staff.models import User

    inside = make_user(roles.SUPERVISOR, "tech-support")  # the order's department
    outside = make_user(roles.SUPERVISOR, "billing")
    User.objects.filter(pk__in=[inside.pk, outside.pk]).update(data_scope="department")
    return User.objects.get(pk=inside.pk), User.objects.get(pk=outside.pk)


def test_flagged_low_scores_in_the_supervisors_scope_and_their_review(resolved, supervisors, agent):
    inside, outside = supervisors
    invitation = _all_questions(_survey(resolved, "sms_link"), overall=3, result=2, text="处理太慢，问题没解决")
    [row] = services.flagged(inside)
    assert row.pk == invitation.pk and row.order.number == resolved.number
    assert row.scores["overall"] == 3 and row.scores["result"] == 2 and row.comments == ["处理太慢，问题没解决"]
    assert services.flagged(outside) == []
    with pytest.raises(Forbidden):
        services.flagged(agent)  # no surveys.view_answer
    with pytest.raises(NotFound):
        services.review(outside, invitation.pk, "看看")
    with pytest.raises(Forbidden):
        services.review(agent, invitation.pk, "看看")
    reviewed = services.review(inside, invitation.pk, "  已致电客户致歉，问题转技术部复查  ")
    assert reviewed.reviewed_at is not None and reviewed.review_note == "已致电客户致歉，问题转技术部复查"
    assert services.flagged(inside) == []
    with pytest.raises(Conflict):
        services.review(inside, invitation.pk, "")
    from kefu.audit.models import AuditEntry

    assert AuditEntry.objects.filter(object_type="surveys.invitation", object_id=str(invitation.pk),
                                     actor=inside).exists()


def test_only_a_flagged_score_is_reviewed(resolved, supervisors):
    inside, _outside = supervisors
    invitation = _overall_only(_survey(resolved), 10)
    with pytest.raises(Conflict):
        services.review(inside, invitation.pk, "")


def test_flagged_and_review_through_the_api(resolved, supervisors, api_client):
    inside, outside = supervisors
    invitation = _overall_only(_survey(resolved), 4)
    api = api_client(inside)
    [row] = api.get("/surveys/flagged").json()
    assert (row["id"], row["order_number"], row["channel"], row["scores"]) == (
        invitation.pk, resolved.number, "sms_reply", {"overall": 4})
    assert api_client(outside).get("/surveys/flagged").json() == []
    assert api_client(outside).post(f"/surveys/invitations/{invitation.pk}/review", {"note": "x"}).status_code == 404
    done = api.post(f"/surveys/invitations/{invitation.pk}/review", {"note": "已回访"})
    assert done.status_code == 200 and done.json()["review_note"] == "已回访" and done.json()["reviewed_at"]
    assert api.post(f"/surveys/invitations/{invitation.pk}/review", {"note": "再看"}).status_code == 409
    assert api.get("/surveys/flagged").json() == []
