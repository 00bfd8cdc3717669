"""The survey's other channels (decision 0030): the one-question SMS answered by replying a digit
(KEFU_SURVEY_SMS_MODE "reply", the SMS gateway's inbound messages) and the hotline's post-call
IVR score posted through the API; both answer only the overall question."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import SmsMessage
from kefu.core.errors import Conflict, Forbidden, ValidationFailed
from kefu.orders import events
from kefu.orders import services as orders
from kefu.surveys import services
from kefu.surveys.models import Answer, Invitation, OptOut

from ..conftest import mobile, resident_id


@pytest.fixture(autouse=True)
def consumer(db, settings):
    settings.KEFU_SURVEY_LOW_SCORE_ACTIONS = ()  # the low-score actions have tests of their own
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


@pytest.fixture
def gateway(db):
    from django.contrib.auth.models import Permission

    from kefu.staff.models import User

    user = User.objects.create_user("sms-gateway", password="pw", data_scope="all")
    user.user_permissions.add(Permission.objects.get(codename="add_optout"))
    return User.objects.get(pk=user.pk)


def _resolve(order, agent, handler):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain(services.CONSUMER)


def _overall(invitation) -> int | None:
    return (Answer.objects.filter(invitation=invitation, question__dimension="overall")
            .values_list("score", flat=True).first())


def _reply_survey(customer, order=None, **kw) -> Invitation:
    invitation = services.invite(customer, "post_resolution", channel="sms_reply", order=order, **kw)
    assert invitation is not None
    return invitation


# --- the one-question SMS ------------------------------------------------------------------

def test_the_reply_mode_texts_one_question_and_a_digit_answers_it(order, agent, handler, customer, gateway, settings):
    settings.KEFU_SURVEY_SMS_MODE = "reply"
    _resolve(order, agent, handler)
    invitation = Invitation.objects.get(order=order)
    assert invitation.channel == "sms_reply"
    sms = SmsMessage.objects.get(purpose="survey")
    assert order.number in sms.text and "1 very satisfied" in sms.text and "/portal/survey/" not in sms.text
    # The customer types a full-width digit and a full stop, from a phone whose number the
    # gateway writes with the country code.
    assert services.receive_reply(gateway, "+86 " + customer.phone, "２。") == "answered"
    invitation.refresh_from_db()
    assert invitation.status == "answered" and _overall(invitation) == 8
    assert Answer.objects.filter(invitation=invitation).count() == 1  # the other questions were not asked
    # Idempotent: the same message delivered again, or a second reply, changes nothing.
    assert services.receive_reply(gateway, customer.phone, "２。") == "ignored"
    assert services.receive_reply(gateway, customer.phone, "5") == "ignored"
    assert _overall(invitation) == 8


def test_the_link_mode_stays_the_default(order, agent, handler):
    _resolve(order, agent, handler)
    assert Invitation.objects.get(order=order).channel == "sms_link"
    assert "/portal/survey/" in SmsMessage.objects.get(purpose="survey").text


@pytest.mark.parametrize(("text", "score"), [("1", 10), ("2", 8), ("3", 6), ("4", 4), ("5", 2),
                                             ("５", 2), (" 1 ", 10), ("【3】", 6), ("4！", 4), ("①", 10)])
def test_each_digit_maps_onto_the_overall_score(customer, gateway, text, score):
    invitation = _reply_survey(customer)
    assert services.receive_reply(gateway, customer.phone, text) == "answered"
    assert _overall(Invitation.objects.get(pk=invitation.pk)) == score


@pytest.mark.parametrize("text", ["0", "6", "12", "1分", "好", ""])
def test_other_replies_are_ignored(customer, gateway, text):
    invitation = _reply_survey(customer)
    assert services.receive_reply(gateway, customer.phone, text) == "ignored"
    assert Invitation.objects.get(pk=invitation.pk).status == "pending" and not Answer.objects.exists()


def test_an_expired_or_missing_survey_takes_no_reply(customer, gateway):
    assert services.receive_reply(gateway, customer.phone, "1") == "expired"  # nothing was texted
    services.invite(customer, "post_resolution", channel="sms_link")  # a link survey takes no digit
    assert services.receive_reply(gateway, customer.phone, "1") == "expired"
    Invitation.objects.all().delete()
    invitation = _reply_survey(customer, hours=1)
    later = timezone.now() + dt.timedelta(hours=2)
    assert services.receive_reply(gateway, customer.phone, "1", now=later) == "expired"
    # Received in time, posted late by the gateway: it counts.
    assert services.receive_reply(gateway, customer.phone, "1", now=later,
                                  received_at=later - dt.timedelta(hours=1, minutes=30)) == "answered"
    assert _overall(Invitation.objects.get(pk=invitation.pk)) == 10
    assert services.receive_reply(gateway, "13700000000", "1") == "unknown"


def test_the_latest_survey_of_the_numbers_holders_wins(customer, agent, gateway):
    from kefu.customers import services as customers

    relative = customers.create_customer(agent, name="张小三", id_number=resident_id(9_901), phone=customer.phone,
                                         province="广东", city="广州")
    now = timezone.now()
    first = _reply_survey(customer, now=now - dt.timedelta(hours=2))
    latest = _reply_survey(relative, now=now - dt.timedelta(hours=1))
    assert services.receive_reply(gateway, customer.phone, "4") == "answered"
    first.refresh_from_db()
    latest.refresh_from_db()
    assert (first.status, latest.status) == ("pending", "answered") and _overall(latest) == 4
    # A reply received before the latest survey was texted answers the one before it.
    assert services.receive_reply(gateway, customer.phone, "1", received_at=now - dt.timedelta(minutes=90)) == "answered"
    assert _overall(Invitation.objects.get(pk=first.pk)) == 10


def test_a_refusal_by_reply_then_a_digit_stores_nothing(customer, gateway):
    invitation = _reply_survey(customer)
    assert services.receive_reply(gateway, customer.phone, "ＴＤ。") == "refused"
    assert services.receive_reply(gateway, customer.phone, "1") == "ignored"
    assert Invitation.objects.get(pk=invitation.pk).status == "withdrawn" and not Answer.objects.exists()


def test_receiving_replies_needs_the_gateways_permission(customer, agent):
    with pytest.raises(Forbidden):
        services.receive_reply(agent, customer.phone, "1")


def test_the_gateway_posts_replies_through_the_api(customer, gateway, api_client):
    invitation = _reply_survey(customer)
    api = api_client(gateway)
    body = {"phone": customer.phone, "text": "3", "received_at": timezone.now().isoformat(), "message_id": "gw-1"}
    assert api.post("/surveys/sms-replies", body).json() == {"result": "answered"}
    assert api.post("/surveys/sms-replies", body).json() == {"result": "ignored"}
    assert _overall(Invitation.objects.get(pk=invitation.pk)) == 6


# --- answers on one-question channels --------------------------------------------------------

def test_only_one_question_channels_take_the_overall_answer_alone(customer):
    overall = services.overall_question()
    for channel in ("sms_reply", "ivr"):
        invitation = services.invite(customer, "post_resolution", channel=channel, now=timezone.now())
        assert services.answer(invitation.pk, {overall.pk: 7}).status == "answered"
        Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    for channel in ("sms_link", "portal", "phone"):
        invitation = services.invite(customer, "post_resolution", channel=channel)
        with pytest.raises(ValidationFailed) as e:
            services.answer(invitation.pk, {overall.pk: 7})
        assert e.value.fields  # the questionnaire's other required questions
        Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    # On a one-question channel the overall question is the one that may not be left out.
    invitation = services.invite(customer, "post_resolution", channel="ivr")
    other = invitation.instrument.questions.exclude(pk=overall.pk).filter(type="score").first()
    with pytest.raises(ValidationFailed) as e:
        services.answer(invitation.pk, {other.pk: 7})
    assert set(e.value.fields) == {f"answers.{overall.pk}"}
    assert services.required(overall, "sms_reply") and not services.required(other, "ivr")
    assert services.required(other, "portal")


# --- the hotline's IVR score -----------------------------------------------------------------

def test_an_ivr_score_answers_the_overall_question_of_the_latest_resolved_order(order, agent, handler, customer,
                                                                                gateway, api_client):
    _resolve(order, agent, handler)
    Invitation.objects.all().delete()  # the SMS survey of the resolution: this customer is asked again by the IVR
    called = timezone.now()
    api = api_client(gateway)
    answer = api.post("/surveys/ivr-scores", {"phone": "+86" + customer.phone, "score": 4, "scale": 5,
                                             "called_at": called.isoformat(), "call_id": "call-1"})
    assert answer.status_code == 200 and answer.json()["result"] == "answered"
    assert answer.json()["order_number"] == order.number
    invitation = Invitation.objects.get(pk=answer.json()["invitation_id"])
    assert (invitation.channel, invitation.order_id, invitation.status) == ("ivr", order.pk, "answered")
    assert _overall(invitation) == 8 and invitation.answered_at == called  # 4 of 5, doubled
    # The hotline retries the same post: stored once.
    again = api.post("/surveys/ivr-scores", {"phone": customer.phone, "score": 4, "scale": 5,
                                            "called_at": called.isoformat(), "call_id": "call-1"}).json()
    assert again["result"] == "duplicate" and again["invitation_id"] == invitation.pk
    assert Invitation.objects.filter(channel="ivr").count() == 1
    bad = api.post("/surveys/ivr-scores", {"phone": customer.phone, "score": 7, "scale": 5, "called_at": called.isoformat()})
    assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == ["score"]
    assert api_client(agent).post("/surveys/ivr-scores", {"phone": customer.phone, "score": 9,
                                                         "called_at": called.isoformat()}).status_code == 403


def test_an_ivr_score_names_its_order_or_none(order, agent, handler, customer, gateway, settings):
    from kefu.orders.models import WorkOrder

    called = timezone.now() - dt.timedelta(hours=1)
    # Not resolved yet and no number given: about no order.
    result, invitation = services.receive_ivr_score(gateway, customer.phone, 9, called_at=called)
    assert result == "answered" and invitation.order_id is None and _overall(invitation) == 9
    # Resolved longer ago than KEFU_SURVEY_IVR_ORDER_DAYS: about no order either.
    _resolve(order, agent, handler)
    WorkOrder.objects.filter(pk=order.pk).update(resolved_at=timezone.now() - dt.timedelta(days=2))
    settings.KEFU_SURVEY_IVR_ORDER_DAYS = 1
    result, invitation = services.receive_ivr_score(gateway, customer.phone, 7, called_at=called + dt.timedelta(minutes=1))
    assert result == "answered" and invitation.order_id is None
    settings.KEFU_SURVEY_IVR_ORDER_DAYS = 3
    result, invitation = services.receive_ivr_score(gateway, customer.phone, 7, called_at=called + dt.timedelta(minutes=2))
    assert invitation.order_id == order.pk
    # The number the IVR knows, as typed, from a number nobody has.
    result, invitation = services.receive_ivr_score(gateway, "13700000000", 10, called_at=called + dt.timedelta(minutes=3),
                                                    order_number=" " + order.number.lower())
    assert result == "answered" and (invitation.order_id, invitation.customer_id) == (order.pk, customer.pk)
    # A number that names no order the hotline's user may see, a scale that does not exist, a
    # call in the future: refused, each field named.
    with pytest.raises(ValidationFailed) as e:
        services.receive_ivr_score(gateway, customer.phone, 10, scale=7, called_at=timezone.now() + dt.timedelta(hours=1),
                                   order_number="GD000")
    assert set(e.value.fields) == {"order_number", "scale", "called_at"}
    gateway.data_scope = "own"  # the order is not theirs: as if it did not exist
    with pytest.raises(ValidationFailed) as e:
        services.receive_ivr_score(gateway, customer.phone, 10, called_at=called, order_number=order.number)
    assert set(e.value.fields) == {"order_number"}


def test_a_customer_who_refused_gets_nothing_stored_from_the_ivr(customer, gateway):
    services.opt_out(customer, "sms_reply")
    assert services.receive_ivr_score(gateway, customer.phone, 2, called_at=timezone.now()) == ("refused", None)
    assert services.receive_ivr_score(gateway, "13700000000", 2, called_at=timezone.now()) == ("unknown", None)
    assert not Invitation.objects.exists() and OptOut.objects.count() == 1


def test_an_anonymised_customer_gets_nothing_stored_from_the_ivr(customer, gateway):
    from kefu.privacy.models import Anonymisation

    Anonymisation.objects.create(customer=customer, scope="full", at=timezone.now())
    assert services.receive_ivr_score(gateway, customer.phone, 10, called_at=timezone.now())[0] == "refused"
    assert not Invitation.objects.exists()


def test_no_overall_question_no_ivr_score(customer, gateway):
    from kefu.surveys.models import Question

    Question.objects.filter(dimension="overall").update(dimension="")
    with pytest.raises(Conflict):
        services.receive_ivr_score(gateway, customer.phone, 10, called_at=timezone.now())


def test_an_ivr_score_is_not_held_back_by_the_fatigue_rule(customer, gateway):
    services.invite(customer, "post_resolution", channel="sms_link")
    assert services.refusal(customer.pk) == services.RECENTLY_ASKED
    assert services.receive_ivr_score(gateway, customer.phone, 10, called_at=timezone.now())[0] == "answered"


def test_a_second_customer_with_a_number_of_their_own_is_not_mixed_up(customer, agent, gateway):
    from kefu.customers import services as customers

    other = customers.create_customer(agent, name="李四", id_number=resident_id(9_902), phone=mobile(9_902),
                                      province="广东", city="广州")
    _result, invitation = services.receive_ivr_score(gateway, other.phone, 3, called_at=timezone.now())
    assert invitation.customer_id == other.pk
