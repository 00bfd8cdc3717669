"""A customer answers the survey the SMS brought, on a phone: the resolution's event invites
them (consumer "surveys"), the SMS outbox holds the link, the page takes the answers."""

import re

import pytest

from kefu.contacts.models import SmsMessage
from kefu.orders import events
from kefu.orders import services as orders
from kefu.surveys import services
from kefu.surveys.models import Answer, Invitation


@pytest.fixture(autouse=True)
def consumer(db):
    events.drain(services.CONSUMER)  # the consumer starts at the latest event (history=False): before these


def _resolve(order, agent, handler):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.resolve(handler, order.pk, resolution="已退还多扣的20元")
    events.drain(services.CONSUMER)


def _link(order) -> str:
    sms = SmsMessage.objects.get(purpose="survey")
    assert order.number in sms.text
    return re.search(r"/portal/survey/[\w-]+/", sms.text).group(0)


def test_the_resolution_texts_a_survey_link_and_the_page_takes_the_answers(client, order, agent, handler):
    _resolve(order, agent, handler)
    invitation = Invitation.objects.get(order=order)
    assert (invitation.channel, invitation.status) == ("sms_link", "pending")
    link = _link(order)
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "服务满意度评价" in page.content.decode()
    q = {question.dimension or question.type: question.pk for question in invitation.instrument.questions.all()}
    # Attitude 9, result 4: the agent was good, the outcome was not.
    missing = client.post(link, {f"q{q['attitude']}": "9"})
    assert missing.status_code == 422 and not Answer.objects.exists()
    done = client.post(link, {f"q{q['overall']}": "6", f"q{q['attitude']}": "9", f"q{q['result']}": "4", f"q{q['timeliness']}": "6",
                              f"q{q['recommend']}": "7", f"q{q['text']}": "处理太慢"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert done.status_code == 200 and "感谢" in done.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "answered"
    assert services.dimension_scores(invitation) == {"overall": 6, "attitude": 9, "result": 4, "timeliness": 6}
    assert client.get("/portal/survey/not-a-token/").status_code == 404


def test_stopping_surveys_from_the_page_is_honoured_everywhere(client, order, agent, handler, customer):
    _resolve(order, agent, handler)
    link = _link(order)
    assert client.get(link + "stop/").status_code == 405
    client.post(link + "stop/")
    assert services.refusal(customer.pk) == services.REFUSED
    assert Invitation.objects.get(order=order).status == "withdrawn"
    assert "withdrawn" in client.get(link).content.decode()


def test_no_sms_for_a_customer_who_refused(order, agent, handler, customer):
    services.opt_out(customer, "phone", actor=agent)
    _resolve(order, agent, handler)
    assert not Invitation.objects.exists() and not SmsMessage.objects.filter(purpose="survey").exists()
