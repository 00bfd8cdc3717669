"""An inspection from a flag to its final score: the automatic check's hit pre-fills the fatal
item (score 0), the inspector confirms and publishes, the agent appeals within the window, the
QA lead upholds; nobody inspects their own contacts; the API walks the same story."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.orders import services as orders
from kefu.quality import services
from kefu.quality.models import Appeal, Inspection
from kefu.staff import roles


@pytest.fixture
def inspector(make_user):
    return make_user(roles.QA_INSPECTOR, "complaints", "inspector")


@pytest.fixture
def flagged(agent, customer, subscription):
    started = timezone.now() - dt.timedelta(minutes=12)
    contact = Contact.objects.create(channel="hotline", started_at=started, agent=agent, customer=customer,
                                     summary="客户反映话费多扣，已登记工单")
    order = orders.create_order(agent, kind="complaint", title="话费多扣", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline", contact_id=contact.pk)
    orders.add_comment(agent, order.pk, note="客户新号码13912345678，请回访时使用")
    Contact.objects.filter(pk=contact.pk).update(ended_at=timezone.now() - dt.timedelta(minutes=1), outcome="order_created")
    services.check_contacts([contact.pk])
    return contact


def test_flag_inspect_publish_appeal_uphold(flagged, inspector, agent, supervisor):
    inspection = services.start_inspection(inspector, flagged.pk)
    leak = inspection.items.get(item__text__startswith="泄露客户个人信息")
    assert (leak.result, leak.prefilled, inspection.score, inspection.fatal, inspection.passed) == ("fail", True, 0, True, False)
    assert "139****5678" in leak.note
    # The inspector confirms the pre-filled item and marks down the record's completeness.
    record = inspection.items.get(item__section="记录完整")
    services.score(inspector, inspection.pk, {str(leak.item_id): {"result": "fail", "note": "确认：备注中录入完整手机号"},
                                              str(record.item_id): {"result": "partial", "points": 6}})
    inspection.refresh_from_db()
    assert inspection.score == 0 and inspection.fatal  # fatal: 0 whatever the rest
    services.publish(inspector, inspection.pk)
    inspection.refresh_from_db()
    assert inspection.status == "published" and inspection.appeal_until > inspection.published_at
    with pytest.raises(NotFound):
        services.appeal(supervisor, inspection.pk, "不是我的质检")  # only the inspected agent
    services.appeal(agent, inspection.pk, "客户主动要求记录新号码，便于回访")
    with pytest.raises(Conflict):
        services.appeal(agent, inspection.pk, "再次申诉")
    with pytest.raises(ValidationFailed) as bad:
        services.arbitrate(supervisor, inspection.pk, "changed", "")
    assert set(bad.value.fields) == {"reason", "score"}
    services.arbitrate(supervisor, inspection.pk, "upheld", "个人信息应记录在客户资料中，不得写入备注")
    inspection.refresh_from_db()
    assert (inspection.status, inspection.score, inspection.fatal) == ("final", 0, True)
    assert Appeal.objects.get(inspection=inspection).decision == "upheld"


def test_a_changed_score_and_a_late_appeal(flagged, inspector, agent, supervisor):
    inspection = services.start_inspection(inspector, flagged.pk)
    services.publish(inspector, inspection.pk)
    inspection.refresh_from_db()
    with pytest.raises(Conflict):
        services.appeal(agent, inspection.pk, "理由", now=inspection.appeal_until + dt.timedelta(minutes=1))
    services.appeal(agent, inspection.pk, "理由")
    services.arbitrate(supervisor, inspection.pk, "changed", "客户同意记录，改判", score=85)
    inspection.refresh_from_db()
    assert (inspection.score, inspection.fatal, inspection.passed) == (85, False, True)


def test_nobody_inspects_their_own_contacts_or_twice(flagged, inspector, agent, make_user):
    qa_agent = make_user(roles.QA_INSPECTOR, "front-office", "qa-agent")
    Contact.objects.filter(pk=flagged.pk).update(agent=qa_agent)
    with pytest.raises(Forbidden):
        services.start_inspection(qa_agent, flagged.pk)
    services.start_inspection(inspector, flagged.pk)
    with pytest.raises(Conflict):
        services.start_inspection(inspector, flagged.pk)
    with pytest.raises(Forbidden):
        services.start_inspection(agent, flagged.pk)  # agents do not inspect
    assert Inspection.objects.count() == 1


def test_the_api_walks_the_story(flagged, inspector, agent, supervisor, api_client):
    qa = api_client(inspector)
    started = qa.post("/quality/inspections", {"contact_id": flagged.pk})
    assert started.status_code == 201
    body = started.json()
    assert body["score"] == 0 and body["fatal"] and any(i["prefilled"] and i["fatal"] for i in body["items"])
    pk = body["id"]
    bad = qa.post(f"/quality/inspections/{pk}/scores", {"results": {"999999": {"result": "pass"}}})
    assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == ["items.999999"]
    assert qa.post(f"/quality/inspections/{pk}/publish").json()["status"] == "published"
    assert api_client(agent).get(f"/quality/inspections/{pk}").json()["score"] == 0  # the agent reads their own
    assert api_client(agent).post(f"/quality/inspections/{pk}/appeal", {"reason": "客户要求记录"}).status_code == 201
    done = api_client(supervisor).post(f"/quality/inspections/{pk}/decision", {"decision": "upheld", "reason": "维持"})
    assert done.status_code == 200 and done.json()["status"] == "final" and done.json()["appeal"]["decision"] == "upheld"
