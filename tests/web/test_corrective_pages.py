"""The 整改 pages, as their users walk them: from the complaints of one cause in a report period
the supervisor opens a corrective action in one step (pre-filled: the cause, the count, the
complaints linked); the owner starts and completes it from its page; the checker verifies it
after the deadline, not effective and then effective; the board groups, filters and counts, in
Chinese, with no raw codes. Those without the permission neither open nor see others' actions."""

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from kefu.corrective import services
from kefu.corrective.models import CorrectiveAction
from kefu.orders import services as orders
from kefu.orders.models import Category
from kefu.staff import roles

RAW_CODES = ("in_progress", "complaint_cause", "qa_finding", "incident_review")


def _chinese(user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


def _zh(text, context=None):
    with translation.override("zh-hans"):
        return pgettext(context, text) if context else gettext(text)


def _visible_text(html: str) -> str:
    """The page's text as read, without tags and attribute values."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def complaints(agent, customer, subscription):
    """Two complaints under 资费计费 › 错误计费 registered this month."""
    wrong = Category.objects.get(code="cmp-billing-wrong")
    return [orders.create_order(agent, kind="complaint", title=f"话费多扣了{n}元", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline", category_id=wrong.pk)
            for n in (20, 30)]


@pytest.fixture
def manager(make_user):
    return _chinese(make_user(roles.MANAGER, None, "manager"))


def test_one_click_from_the_cause_drill_down(client, supervisor, agent, complaints):
    _chinese(supervisor)
    client.force_login(supervisor)
    period = timezone.localdate().strftime("%Y-%m")
    drill = client.get(f"/reports/complaints/?period={period}&cause=cmp-billing").content.decode()
    link = f'href="/quality/actions/new/?source=complaint_cause&amp;period={period}&amp;cause=cmp-billing"'
    assert link in drill and _zh("Open a corrective action for this cause") in drill
    from kefu.reports import services as reports

    reports.rebuild()  # the rollups the report reads, as the worker keeps them
    assert link in client.get(f"/reports/?period={period}").content.decode()  # the Pareto's row too
    form = client.get(f"/quality/actions/new/?source=complaint_cause&period={period}&cause=cmp-billing")
    assert form.status_code == 200
    html = form.content.decode()
    cause = Category.objects.get(code="cmp-billing")
    assert re.search(rf'<option value="{cause.pk}" selected>资费计费</option>', html)
    assert '<option value="complaint_cause" selected>' in html
    ids = re.search(r'name="order_ids" value="([\d,]+)"', html).group(1)
    assert sorted(int(i) for i in ids.split(",")) == sorted(o.pk for o in complaints)
    problem = re.search(r'name="problem"[^>]*>([^<]*)</textarea>', html).group(1)
    assert "2" in problem and "资费计费" in problem
    title = re.search(r'name="title" value="([^"]*)"', html).group(1)
    posted = client.post("/quality/actions/new/", {
        "source": "complaint_cause", "cause_id": cause.pk, "title": unescape(title), "problem": unescape(problem),
        "owner_id": agent.pk, "working_days": "10", "deadline": "", "department_id": "", "root_cause": "", "measures": "",
        "source_ref": f"period:{period}", "order_ids": ids})
    action = CorrectiveAction.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/quality/actions/{action.pk}/"
    assert (action.source, action.cause, action.owner, action.source_ref) == ("complaint_cause", cause, agent, f"period:{period}")
    page = client.get(posted["Location"]).content.decode()
    assert all(o.number in page for o in complaints)
    assert f'href="/reports/complaints/?period={period}&amp;cause=cmp-billing"' in page  # where it came from
    assert _zh("Opened", "corrective action step") in page and not any(code in _visible_text(page) for code in RAW_CODES)


def test_a_refused_form_names_its_fields_and_keeps_what_was_typed(client, supervisor):
    _chinese(supervisor)
    client.force_login(supervisor)
    r = client.post("/quality/actions/new/", {"source": "report", "title": "宽带质量整改", "problem": "", "owner_id": "",
                                               "working_days": "", "deadline": "2020-01-01", "order_ids": ""})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'value="宽带质量整改"' in html and 'id="c-problem-error"' in html and 'id="c-owner-error"' in html
    assert 'id="c-deadline-error"' in html and not CorrectiveAction.objects.exists()


def test_the_owner_works_it_and_the_checker_verifies_from_the_page(client, supervisor, agent, manager):
    action = services.open_action(supervisor, title="计费错误投诉整改", problem="投诉32件", source="report",
                                  owner_id=agent.pk, working_days=3)
    url = f"/quality/actions/{action.pk}/"
    client.force_login(_chinese(agent))
    page = client.get(url).content.decode()
    assert f'action="{url}start/"' in page and f'action="{url}verify/"' not in page
    client.post(f"{url}start/", {"version": action.version})
    done = client.post(f"{url}done/", {"version": action.version + 1, "evidence": "已完成全员培训"}, follow=True)
    assert _zh("Marked done: it is verified after its deadline.") in done.content.decode()
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert f'action="{url}verify/"' not in page  # not before the deadline
    CorrectiveAction.objects.filter(pk=action.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    page = client.get(url).content.decode()
    assert f'action="{url}verify/"' in page
    refused = client.post(f"{url}verify/", {"effective": "no", "note": "", "version": action.version + 2}, follow=True)
    assert _zh("Say why it was not effective.") in refused.content.decode()
    back = client.post(f"{url}verify/", {"effective": "no", "note": "同类投诉未下降", "version": action.version + 2}, follow=True)
    html = back.content.decode()
    assert _zh("Verified not effective", "corrective action step") in html and "同类投诉未下降" in html
    action.refresh_from_db()
    assert (action.status, action.rounds) == ("in_progress", 2)


def test_the_board_groups_filters_and_counts_in_chinese(client, supervisor, agent):
    late = services.open_action(supervisor, title="计费错误投诉整改", problem="投诉32件", source="complaint_cause",
                                cause_id=Category.objects.get(code="cmp-billing").pk, owner_id=agent.pk, working_days=3)
    services.open_action(supervisor, title="宽带质量整改", problem="宽带投诉", source="report", owner_id=supervisor.pk,
                         working_days=10)
    CorrectiveAction.objects.filter(pk=late.pk).update(deadline=timezone.now() - dt.timedelta(days=1))
    client.force_login(_chinese(supervisor))
    html = client.get("/quality/actions/").content.decode()
    assert _zh("Corrective action board") in html and "计费错误投诉整改" in html and "宽带质量整改" in html
    assert html.count(_zh("overdue", "corrective action")) >= 2  # the count and the badge
    assert _zh("In progress", "corrective action status") in html and _zh("Complaint cause analysis") in html
    assert not any(code in _visible_text(html) for code in RAW_CODES)
    overdue = client.get("/quality/actions/?overdue=1").content.decode()
    assert "计费错误投诉整改" in overdue and "宽带质量整改" not in overdue
    mine = client.get("/quality/actions/?mine=1").content.decode()
    assert "宽带质量整改" in mine and "计费错误投诉整改" not in mine


def test_without_the_permission_one_sees_only_ones_own(client, supervisor, agent, make_user):
    action = services.open_action(supervisor, title="计费错误投诉整改", problem="投诉32件", source="report",
                                  owner_id=agent.pk, working_days=3)
    other = make_user(roles.AGENT, "front-office")
    client.force_login(other)
    assert client.get("/quality/actions/new/").status_code == 403
    assert client.get(f"/quality/actions/{action.pk}/").status_code == 404
    assert "计费错误投诉整改" not in client.get("/quality/actions/").content.decode()
    client.force_login(agent)
    assert "计费错误投诉整改" in client.get("/quality/actions/").content.decode()
    assert client.get(f"/quality/actions/{action.pk}/").status_code == 200
    assert 'href="/quality/actions/new/"' not in client.get("/quality/actions/").content.decode()


def test_a_qa_finding_opens_one_from_the_inspection(client, supervisor, agent):
    from kefu.contacts.models import Contact
    from kefu.quality.models import Inspection, Scorecard

    contact = Contact.objects.create(channel="hotline", started_at=timezone.now() - dt.timedelta(hours=2),
                                     ended_at=timezone.now() - dt.timedelta(hours=1), agent=agent, outcome="answered")
    inspection = Inspection.objects.create(contact=contact, scorecard=Scorecard.objects.get(status="active"),
                                           inspector=supervisor, agent=agent, created_at=timezone.now(), status="published",
                                           score=55)
    client.force_login(_chinese(supervisor))
    page = client.get(f"/quality/inspections/{inspection.pk}/").content.decode()
    link = f'/quality/actions/new/?source=qa_finding&amp;inspection={inspection.pk}'
    assert link in page
    form = client.get(unescape(link)).content.decode()
    assert f'name="source_ref" value="inspection:{inspection.pk}"' in form and "55" in form
