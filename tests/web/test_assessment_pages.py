"""The 考核 and 校准 pages as their users walk them, in zh-Hans: the supervisor computes last
month's assessment from the rollups and publishes it; the agent opens her sheet from 我的质检 and
sees her rank and the team's distribution, not a colleague's sheet; the QA lead sets a
calibration from the form, the inspectors score it blind, the lead closes it and everyone sees
the spread."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.assessment.models import Run, Scheme
from kefu.contacts.models import Contact
from kefu.quality import services as quality
from kefu.quality.models import Calibration, Inspection, Sample, SamplingPlan, SamplingRun
from kefu.reports import rollups
from kefu.reports.models import Grain
from kefu.staff import roles
from tests.web.test_zh_pages import english_in, kefu_english

MONTH = dt.date(2026, 10, 1)


def _zh(client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.fixture
def colleague(make_user):
    return make_user(roles.AGENT, "front-office", "colleague")


@pytest.fixture
def month(agent, colleague):
    for person, satisfied in ((agent, 9), (colleague, 7)):
        rollups._add({(Grain.MONTH, MONTH, person.department_id, "", "agent", str(person.pk), m): v for m, v in
                      {f"score:{satisfied}": 10, "qa_done": 2, "qa_points": 1860, "contacts_ended": 650, "fcr": 500,
                       "clock_due:resolution": 10, "clock_met:resolution": 10}.items()})


def test_compute_publish_and_read_a_sheet(client, month, supervisor, agent, colleague, departments):
    english = kefu_english()
    departments["front-office"].__class__.objects.filter(code="front-office").update(name="一线客服班")  # data, named as in life
    web = _zh(client, supervisor)
    page = web.get("/assessment/")
    assert page.status_code == 200 and "客服代表月度考核方案" in page.content.decode()
    scheme = Scheme.objects.get(role="agent")
    refused = web.post("/assessment/compute/", {"scheme_id": scheme.pk, "period": "十月"}, follow=True)
    assert "统计期间的写法" in refused.content.decode() and not Run.objects.exists()
    made = web.post("/assessment/compute/", {"scheme_id": scheme.pk, "period": "2026-10"}, follow=True)
    run = Run.objects.get()
    body = made.content.decode()
    assert made.redirect_chain[-1][0] == f"/assessment/runs/{run.pk}/" and "满意率" in body and "质检平均分" in body
    assert english_in(body, english) == []
    web.post(f"/assessment/runs/{run.pk}/publish/", {})
    run.refresh_from_db()
    assert run.status == "draft"  # not without the confirmation
    web.post(f"/assessment/runs/{run.pk}/publish/", {"confirm": "1"})
    run.refresh_from_db()
    assert run.status == "published"
    mine = _zh(client, agent)
    my_quality = mine.get("/quality/mine/").content.decode()
    assert f"/assessment/runs/{run.pk}/people/{agent.pk}/" in my_quality
    sheet = mine.get(f"/assessment/runs/{run.pk}/people/{agent.pk}/")
    text = sheet.content.decode()
    assert sheet.status_code == 200 and "1/2" not in text and "第 1 名" in text.replace("第1名", "第 1 名")
    assert english_in(text, english) == []
    assert mine.get(f"/assessment/runs/{run.pk}/people/{colleague.pk}/").status_code == 404
    assert mine.get(f"/assessment/runs/{run.pk}/").status_code == 302  # to her own sheet


def test_a_calibration_from_the_form_to_the_spread(client, make_user, agent, customer, supervisor):
    english = kefu_english()
    first, second = (make_user(roles.QA_INSPECTOR, "complaints", f"qa{n}") for n in (1, 2))
    now = timezone.now()
    contact = Contact.objects.create(channel="hotline", started_at=now - dt.timedelta(hours=2), ended_at=now - dt.timedelta(hours=1),
                                     agent=agent, customer=customer, outcome="answered", summary="咨询套餐")
    done = quality.start_inspection(first, contact.pk)
    quality.publish(first, done.pk)
    lead = _zh(client, supervisor)
    form = lead.get("/quality/calibration/").content.decode()
    assert "新建校准" in form and "抽样方案" in form and english_in(form, english) == []
    # This week's sample, drawn from the lead's page: the ended contact is picked, once.
    plan = SamplingPlan.objects.get(is_active=True)
    drawn = lead.post(f"/quality/plans/{plan.pk}/draw/", follow=True).content.decode()
    run = SamplingRun.objects.get(plan=plan)
    assert run.first_day <= timezone.localdate() <= run.last_day and "已为" in drawn
    assert Sample.objects.filter(run=run, contact=contact).exists()
    assert "已抽取" in lead.get("/quality/calibration/").content.decode()
    refused = lead.post("/quality/calibration/", {"title": "", "contact_ids": [contact.pk], "inspector_ids": [first.pk]})
    assert refused.status_code == 422 and not Calibration.objects.exists()
    made = lead.post("/quality/calibration/", {"title": "十二月校准", "contact_ids": [contact.pk],
                                                "inspector_ids": [first.pk, second.pk]})
    calibration = Calibration.objects.get()
    assert made.status_code == 302 and Inspection.objects.filter(calibration=calibration).count() == 2
    for inspector in (first, second):
        mine = Inspection.objects.get(calibration=calibration, inspector=inspector)
        quality.publish(inspector, mine.pk)
    waiting = _zh(client, second).get(f"/quality/calibration/{calibration.pk}/").content.decode()
    assert "质检组长关闭校准后" in waiting
    _zh(client, supervisor).post(f"/quality/calibration/{calibration.pk}/close/")
    shown = _zh(client, second).get(f"/quality/calibration/{calibration.pk}/").content.decode()
    assert "各评分项差异" in shown and english_in(shown, english) == []
