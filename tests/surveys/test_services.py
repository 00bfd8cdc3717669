"""Surveys: versions of a questionnaire, who may be asked, answers checked alike on every
channel, and refusals honoured everywhere at once."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.surveys import services
from kefu.surveys.models import Answer, Instrument, Invitation, OptOut

QUESTIONS = [
    {"type": "score", "text": "您对客服人员的服务态度是否满意？", "dimension": "attitude"},
    {"type": "score", "text": "您对问题的处理结果是否满意？", "dimension": "result"},
    {"type": "recommend", "text": "您有多大可能向亲友推荐我们？"},
    {"type": "single", "text": "问题是否已经解决？", "options": ["已解决", "未解决"]},
    {"type": "multiple", "text": "您希望我们改进哪些方面？", "options": ["接通速度", "处理时长", "服务态度"], "required": False},
    {"type": "text", "text": "其他意见和建议", "required": False},
    OVERALL := {"type": "score", "text": "总体而言，您对本次服务是否满意？", "dimension": "overall"},
]


def test_a_new_installation_asks_the_default_questionnaire(db):
    default = services.active("post_resolution")
    assert (default.version, default.title) == (2, "服务满意度评价")  # 2: with the overall question (migration 0004)
    assert [(q.type, q.dimension) for q in default.questions.all()] == [
        ("score", "overall"), ("score", "attitude"), ("score", "result"), ("score", "timeliness"), ("recommend", ""), ("text", "")]


@pytest.fixture(autouse=True)
def _no_default(request, db):
    """These tests make their own questionnaires (the default one is tested above)."""
    if request.function.__name__ != "test_a_new_installation_asks_the_default_questionnaire":
        Instrument.objects.all().delete()


@pytest.fixture
def admin(db):
    from kefu.staff.models import User

    return User.objects.create_superuser("surveyadmin", password="pw")


@pytest.fixture
def published(admin):
    draft = services.create_draft(admin, "post_resolution", "工单处理满意度回访", QUESTIONS)
    return services.publish(admin, draft.pk)


def _values(instrument, **overrides):
    q = {question.position: question.pk for question in instrument.questions.all()}
    values = {q[1]: 9, q[2]: 4, q[3]: 8, q[4]: "未解决", q[5]: ["处理时长"], q[6]: "希望处理快一点", q[7]: 6}
    values.update({q[int(k[1:])]: v for k, v in overrides.items()})
    return values


def test_versions_one_active_per_purpose(admin, published):
    assert (published.version, published.status) == (1, "active")
    second = services.create_draft(admin, "post_resolution", "工单处理满意度回访（第二版）", [*QUESTIONS[:2], OVERALL])
    assert (second.version, second.status) == (2, "draft") and services.active("post_resolution") == published
    services.publish(admin, second.pk)
    published.refresh_from_db()
    assert published.status == "retired" and services.active("post_resolution") == second
    with pytest.raises(Conflict):
        services.publish(admin, second.pk)
    other = services.create_draft(admin, "relationship", "季度满意度调查", QUESTIONS[:1])
    assert other.version == 1  # numbered per purpose


def test_a_bad_questionnaire_names_each_field(admin):
    with pytest.raises(ValidationFailed) as e:
        services.create_draft(admin, "post_resolution", "问卷", [
            {"type": "stars", "text": "?"},
            {"type": "single", "text": "只有一个选项", "options": ["是"]},
            {"type": "text", "text": "", "dimension": "attitude"},
        ])
    assert set(e.value.fields) == {"questions.1.type", "questions.2.options", "questions.3.text", "questions.3.dimension"}
    with pytest.raises(ValidationFailed) as e:
        services.create_draft(admin, "exit_poll", "问卷", QUESTIONS)
    assert set(e.value.fields) == {"purpose"}
    assert not Instrument.objects.exists()


def test_drafting_needs_the_permission(agent):
    with pytest.raises(Forbidden):
        services.create_draft(agent, "post_resolution", "问卷", QUESTIONS)


def test_an_answer_is_stored_once_with_its_dimensions(published, customer):
    invitation = services.invite(customer, "post_resolution", channel="sms_link")
    assert services.by_token(invitation.token) == invitation and services.by_token("x" * 43) is None
    services.answer(invitation.pk, _values(published))
    invitation.refresh_from_db()
    assert invitation.status == "answered" and invitation.answered_at is not None
    assert services.dimension_scores(invitation) == {"attitude": 9, "result": 4, "overall": 6}  # the agent is not blamed
    assert Answer.objects.filter(invitation=invitation).count() == 7
    with pytest.raises(Conflict):
        services.answer(invitation.pk, _values(published))


def test_bad_answers_are_refused_whole(published, customer):
    invitation = services.invite(customer, "post_resolution", channel="portal")
    q = {question.position: question.pk for question in published.questions.all()}
    with pytest.raises(ValidationFailed) as e:
        services.answer(invitation.pk, {**_values(published), q[1]: 11, q[3]: "十", q[4]: ["已解决", "未解决"],
                                        q[5]: ["别的"], 99999: 1})
    assert set(e.value.fields) == {f"answers.{q[1]}", f"answers.{q[3]}", f"answers.{q[4]}", f"answers.{q[5]}",
                                   "answers.99999"}
    values = _values(published)
    del values[q[2]]
    with pytest.raises(ValidationFailed) as e:
        services.answer(invitation.pk, values)
    assert set(e.value.fields) == {f"answers.{q[2]}"}  # required
    assert not Answer.objects.exists() and Invitation.objects.get().status == "pending"
    values = _values(published)
    del values[q[5]], values[q[6]]  # optional ones may be left out
    services.answer(invitation.pk, values)


def test_an_expired_invitation_takes_no_answer(published, customer):
    invitation = services.invite(customer, "post_resolution", channel="sms_link", hours=1)
    with pytest.raises(Conflict):
        services.answer(invitation.pk, _values(published), now=timezone.now() + dt.timedelta(hours=2))


def test_a_customer_is_asked_once_within_the_fatigue_window(published, customer, settings):
    settings.KEFU_SURVEY_FATIGUE_DAYS = 30
    now = timezone.now()
    assert services.invite(customer, "post_resolution", channel="portal", now=now) is not None
    assert services.refusal(customer.pk, now + dt.timedelta(days=29)) == services.RECENTLY_ASKED
    assert services.invite(customer, "post_resolution", channel="phone", now=now + dt.timedelta(days=29)) is None
    assert services.invite(customer, "post_resolution", channel="phone", now=now + dt.timedelta(days=31)) is not None


def test_a_refusal_is_honoured_on_every_channel(published, customer, agent):
    waiting = services.invite(customer, "post_resolution", channel="sms_link")
    refusal = services.opt_out(customer, "sms_reply")
    assert (refusal.channel, refusal.recorded_by) == ("sms_reply", None)
    waiting.refresh_from_db()
    assert waiting.status == "withdrawn"
    with pytest.raises(Conflict):
        services.answer(waiting.pk, _values(published))
    later = timezone.now() + dt.timedelta(days=400)
    for channel in ("portal", "sms_link", "sms_reply", "phone", "ivr"):
        assert services.invite(customer, "post_resolution", channel=channel, now=later) is None
    assert services.opt_out(customer, "phone", actor=agent) == refusal  # once
    assert OptOut.objects.count() == 1


def test_anonymised_customers_are_never_asked(published, customer):
    from kefu.privacy.models import Anonymisation

    Anonymisation.objects.create(customer=customer, scope="full", at=timezone.now())
    assert services.refusal(customer.pk) == services.ANONYMISED
    assert services.invite(customer, "post_resolution", channel="portal") is None


def test_no_active_questionnaire_no_invitation(admin, customer):
    services.create_draft(admin, "post_resolution", "草稿", QUESTIONS)
    assert services.invite(customer, "post_resolution", channel="portal") is None


def test_a_td_reply_refuses_surveys_on_every_channel(published, customer, api_client, agent):
    from kefu.staff.models import User

    gateway = User.objects.create_superuser("sms-gateway", password="pw")
    api = api_client(gateway)
    assert api.post("/surveys/sms-replies", {"phone": customer.phone, "text": "谢谢"}).json() == {"result": "ignored"}
    assert services.invite(customer, "post_resolution", channel="sms_link") is not None
    assert api.post("/surveys/sms-replies", {"phone": "+86 " + customer.phone, "text": " ｔｄ "}).json() == {"result": "refused"}
    refusal = OptOut.objects.get(customer=customer)
    assert refusal.channel == "sms_reply" and Invitation.objects.get().status == "withdrawn"
    later = timezone.now() + dt.timedelta(days=400)
    assert all(services.invite(customer, "post_resolution", channel=c, now=later) is None
               for c in ("portal", "sms_link", "phone", "ivr"))
    assert api.post("/surveys/sms-replies", {"phone": "13900000000", "text": "TD"}).json() == {"result": "unknown"}
    assert api_client(agent).post("/surveys/sms-replies", {"phone": customer.phone, "text": "TD"}).status_code == 403
