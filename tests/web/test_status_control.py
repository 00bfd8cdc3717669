"""The agent's status (坐席状态) in the header: shown to staff who take orders or contacts, set
through routing.services.set_presence (so the status history and the offline policy follow),
stepping away asks why; refusals name the field by its label."""

import pytest

from kefu.routing.models import PresenceChange
from kefu.staff.models import User
from tests.web.test_zh_pages import _staff, zh  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _said(response):
    return [str(m) for m in response.context["messages"]]


def test_the_control_shows_the_current_status_to_those_who_take_work(client, agent, auditor):
    User.objects.filter(pk=agent.pk).update(presence="busy")
    client.force_login(agent)
    page = client.get("/").content.decode()
    assert 'action="/me/status/"' in page and '<span class="dot dot-busy" aria-hidden="true"></span>Busy</summary>' in page
    client.force_login(auditor)  # takes no orders: no status to set, but the notifications all the same
    page = client.get("/").content.decode()
    assert 'action="/me/status/"' not in page and 'href="/notifications/"' in page


def test_changing_status_records_it_and_goes_back(client, agent):
    client.force_login(agent)
    r = client.post("/me/status/", {"presence": "busy", "next": "/queue/mine/?kind=fault"})
    assert r.status_code == 302 and r.url == "/queue/mine/?kind=fault"
    assert User.objects.get(pk=agent.pk).presence == "busy"
    change = PresenceChange.objects.get(user=agent)
    assert (change.presence, change.previous, change.by_id, change.reason) == ("busy", "offline", agent.pk, "")


def test_stepping_away_asks_why_and_keeps_the_reason(client, agent):
    User.objects.filter(pk=agent.pk).update(presence="available")
    client.force_login(agent)
    refused = client.post("/me/status/", {"presence": "away", "next": "/"}, follow=True)
    assert _said(refused) == ["Reason for stepping away: Say why you step away."]
    assert User.objects.get(pk=agent.pk).presence == "available" and not PresenceChange.objects.exists()
    refused = client.post("/me/status/", {"presence": "away", "reason": "other"}, follow=True)
    assert _said(refused) == ["In your own words: Say why, when the reason is Other."]
    done = client.post("/me/status/", {"presence": "away", "reason": "meal", "detail": "去食堂", "next": "/"}, follow=True)
    assert _said(done) == ["Your status is now Away."]
    change = PresenceChange.objects.get(user=agent)
    assert (change.presence, change.previous, change.reason) == ("away", "available", "Meal: 去食堂")
    client.post("/me/status/", {"presence": "available"})
    client.post("/me/status/", {"presence": "away", "reason": "other", "detail": "陪同客户到营业厅"})
    assert PresenceChange.objects.filter(user=agent).latest("at").reason == "陪同客户到营业厅"


def test_an_unknown_status_is_refused_by_its_label(client, agent):
    client.force_login(agent)
    r = client.post("/me/status/", {"presence": "asleep"}, follow=True)
    assert len(_said(r)) == 1 and _said(r)[0].startswith("Status: ")
    assert User.objects.get(pk=agent.pk).presence == "offline"
    assert client.get("/me/status/").status_code == 405
    assert client.post("/me/status/", {"presence": "busy", "next": "https://evil.example/"}).url == "/"


def test_the_control_is_chinese_with_the_models_labels(client, zh, agent):  # noqa: F811
    User.objects.filter(pk=agent.pk).update(presence="available")
    web = _staff(client, agent)
    page = web.get("/").content.decode()
    assert "坐席状态" in page and "空闲</summary>" in page and ">忙碌</button>" in page and ">离线</button>" in page
    assert ">用餐</option>" in page and ">暂离原因</label>" in page
    r = web.post("/me/status/", {"presence": "away", "reason": "training", "detail": "新业务培训"}, follow=True)
    assert _said(r) == ["您的坐席状态已改为“暂离”。"]
    assert PresenceChange.objects.get(user=agent).reason == "培训：新业务培训"
    refused = web.post("/me/status/", {"presence": "away"}, follow=True)
    assert _said(refused) == ["暂离原因：请选择暂离原因。"]
