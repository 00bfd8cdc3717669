"""The 质检 pages, as their users walk them: the inspector starts an inspection from a flagged
contact on the workbench (the fatal item comes pre-filled, score 0), saves the marks and
publishes; the agent finds it under 我的质检 and appeals; the QA lead decides from the page.
Agents do not see the workbench, nor another agent's inspections."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.orders import services as orders
from kefu.quality import services
from kefu.quality.models import Appeal, Inspection
from kefu.staff import roles


def _chinese(user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def inspector(make_user):
    return _chinese(make_user(roles.QA_INSPECTOR, "complaints", "inspector"))


@pytest.fixture
def flagged(agent, customer, subscription):
    """A call whose agent typed the customer's full new number into a note: flagged."""
    started = timezone.now() - dt.timedelta(minutes=12)
    contact = Contact.objects.create(channel="hotline", started_at=started, agent=agent, customer=customer,
                                     summary="客户反映话费多扣，已登记工单")
    order = orders.create_order(agent, kind="complaint", title="话费多扣", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline", contact_id=contact.pk)
    orders.add_comment(agent, order.pk, note="客户新号码13912345678，请回访时使用")
    Contact.objects.filter(pk=contact.pk).update(ended_at=timezone.now() - dt.timedelta(minutes=1), outcome="order_created")
    services.check_contacts([contact.pk])
    contact.order = order
    return contact


@pytest.fixture
def published(flagged, inspector):
    inspection = services.start_inspection(inspector, flagged.pk)
    services.publish(inspector, inspection.pk)
    return inspection


def _leak(inspection):
    return inspection.items.get(item__text__startswith="泄露客户个人信息")


def test_the_workbench_lists_the_flagged_contact_and_starts_its_inspection(client, flagged, inspector):
    client.force_login(inspector)
    page = client.get("/quality/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="/quality/contacts/{flagged.pk}/inspect/"' in html
    assert timezone.localtime(flagged.started_at).strftime("%Y-%m-%d %H:%M") in html and "agent" in html
    assert 'href="/quality/" aria-current="page">质检</a>' in html  # the nav, in Chinese
    assert "自由文本中出现完整手机号或身份证号</strong>：139****5678" in html  # what fired, in words
    started = client.post(f"/quality/contacts/{flagged.pk}/inspect/")
    inspection = Inspection.objects.get(contact=flagged, inspector=inspector)
    assert started.status_code == 302 and started["Location"] == f"/quality/inspections/{inspection.pk}/"
    html = client.get(started["Location"]).content.decode()
    # The score at the top: 0, failed, a fatal error; the fatal item pre-filled as failed, with the masked words.
    assert re.search(r"<strong>0</strong>", html) and "<strong>不合格</strong>" in html and "致命差错" in html
    leak = _leak(inspection)
    fieldset = html[html.index(leak.item.text):]
    fieldset = fieldset[:fieldset.index("</fieldset>")]
    assert "致命项" in fieldset and "由自动质检预判" in fieldset and "139****5678" in fieldset
    assert re.search(rf'name="result-{leak.item_id}" value="fail" checked', fieldset)
    # The contact beside it: its summary, the check that fired and its order's history.
    assert flagged.summary in html and flagged.order.number in html and "评分中" in html
    # Again: the inspector has inspected it already, which the workbench says.
    again = client.post(f"/quality/contacts/{flagged.pk}/inspect/", follow=True)
    assert again.redirect_chain[-1][0] == "/quality/" and "您已质检过该接触。" in again.content.decode()
    assert Inspection.objects.count() == 1


def test_the_inspector_saves_the_marks_then_publishes(client, flagged, inspector):
    inspection = services.start_inspection(inspector, flagged.pk)
    leak = _leak(inspection)
    record = inspection.items.get(item__section="记录完整")
    client.force_login(inspector)
    url = f"/quality/inspections/{inspection.pk}/score/"
    form = {f"result-{r.item_id}": r.result for r in inspection.items.all()}
    form |= {f"note-{leak.item_id}": "确认：备注中录入完整手机号", f"result-{record.item_id}": "partial",
             f"points-{record.item_id}": "99", "note": "总体良好", "do": "save"}
    refused = client.post(url, form)
    assert refused.status_code == 422
    html = refused.content.decode()
    error = re.search(rf'id="item{record.item_id}-error">([^<]+)<', html)
    assert error and "0" in error.group(1) and str(record.item.points) in error.group(1)
    assert 'value="99"' in html  # what was typed, kept
    assert client.post(url, form | {f"points-{record.item_id}": "6"}).status_code == 302
    record.refresh_from_db()
    inspection.refresh_from_db()
    assert (record.result, record.points, inspection.note, inspection.status) == ("partial", 6, "总体良好", "draft")
    assert _leak(inspection).note == "确认：备注中录入完整手机号"
    # Publishing asks for the box to be ticked.
    client.post(url, form | {f"points-{record.item_id}": "6", "do": "publish"})
    inspection.refresh_from_db()
    assert inspection.status == "draft"
    done = client.post(url, form | {f"points-{record.item_id}": "6", "do": "publish", "confirm": "yes"}, follow=True)
    inspection.refresh_from_db()
    assert inspection.status == "published" and inspection.appeal_until
    html = done.content.decode()
    assert f'action="/quality/inspections/{inspection.pk}/score/"' not in html  # no longer scored
    assert "确认：备注中录入完整手机号" in html


def test_the_agent_finds_it_under_my_quality_and_appeals(client, published, agent):
    _chinese(agent)
    client.force_login(agent)
    home = client.get("/").content.decode()
    assert 'href="/quality/mine/"' in home and 'href="/quality/"' not in home
    mine = client.get("/quality/mine/")
    assert mine.status_code == 200
    html = mine.content.decode()
    assert f'href="/quality/inspections/{published.pk}/"' in html and "致命差错" in html and "不合格" in html
    page = client.get(f"/quality/inspections/{published.pk}/").content.decode()
    assert f'action="/quality/inspections/{published.pk}/appeal/"' in page
    assert timezone.localtime(published.appeal_until).strftime("%Y-%m-%d %H:%M") in page
    assert f'action="/quality/inspections/{published.pk}/score/"' not in page
    empty = client.post(f"/quality/inspections/{published.pk}/appeal/", {"reason": "  "})
    assert empty.status_code == 422 and 'id="appeal-reason-error"' in empty.content.decode()
    done = client.post(f"/quality/inspections/{published.pk}/appeal/", {"reason": "客户主动要求记录新号码"}, follow=True)
    assert "客户主动要求记录新号码" in done.content.decode() and "申诉中" in done.content.decode()
    assert Appeal.objects.get(inspection=published).reason == "客户主动要求记录新号码"
    assert f'action="/quality/inspections/{published.pk}/appeal/"' not in done.content.decode()  # once


def test_the_qa_lead_decides_the_appeal_from_the_page(client, published, agent, supervisor):
    services.appeal(agent, published.pk, "客户主动要求记录新号码")
    _chinese(supervisor)
    client.force_login(supervisor)
    bench = client.get("/quality/").content.decode()
    assert "客户主动要求记录新号码" in bench and f'href="/quality/inspections/{published.pk}/"' in bench
    page = client.get(f"/quality/inspections/{published.pk}/").content.decode()
    assert "客户主动要求记录新号码" in page and f'action="/quality/inspections/{published.pk}/decide/"' in page
    assert "维持原评分" in page and "改判" in page
    url = f"/quality/inspections/{published.pk}/decide/"
    refused = client.post(url, {"decision": "changed", "reason": "客户同意记录", "score": "120"})
    assert refused.status_code == 422 and 'id="score-error"' in refused.content.decode()
    published.refresh_from_db()
    assert published.status == "appealed"
    done = client.post(url, {"decision": "upheld", "reason": "个人信息应记录在客户资料中"}, follow=True)
    published.refresh_from_db()
    assert (published.status, published.score, published.fatal) == ("final", 0, True)
    html = done.content.decode()
    assert "维持原评分" in html and "个人信息应记录在客户资料中" in html and "已终审" in html and url not in html


def test_a_changed_score_is_shown_to_the_agent(client, published, agent, supervisor):
    services.appeal(agent, published.pk, "理由")
    client.force_login(supervisor)
    client.post(f"/quality/inspections/{published.pk}/decide/", {"decision": "changed", "reason": "改判", "score": "85"})
    published.refresh_from_db()
    assert (published.status, published.score) == ("final", 85)
    _chinese(agent)
    client.force_login(agent)
    html = client.get("/quality/mine/").content.decode()
    assert "85" in html and "改判" in html


def test_agents_do_not_inspect(client, published, agent):
    client.force_login(agent)
    assert client.get("/quality/").status_code == 403
    assert client.post(f"/quality/contacts/{published.contact_id}/inspect/").status_code == 302  # refused, said
    assert Inspection.objects.count() == 1


def test_another_agents_inspection_is_not_found(client, published, make_user):
    other = make_user(roles.AGENT, "front-office", "other-agent")
    client.force_login(other)
    assert client.post(f"/quality/inspections/{published.pk}/appeal/", {"reason": "不是我的"}).status_code == 404
    assert f"/quality/inspections/{published.pk}/" not in client.get("/quality/mine/").content.decode()


def test_another_agents_inspection_page_is_not_found(client, published, make_user):
    other = make_user(roles.AGENT, "front-office", "other-agent")
    client.force_login(other)
    assert client.get(f"/quality/inspections/{published.pk}/").status_code == 404



def test_the_workbench_lists_the_contacts_sampled_for_the_inspector(client, flagged, inspector, supervisor):
    from kefu.quality.models import SamplingPlan

    services.draw(supervisor, SamplingPlan.objects.get().pk, timezone.localdate(), seed=1)
    client.force_login(inspector)
    html = client.get("/quality/").content.decode()
    assert "抽给我的接触" in html
    assert html.count(f'action="/quality/contacts/{flagged.pk}/inspect/"') == 2  # sampled, and flagged
