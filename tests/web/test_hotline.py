"""The hotline's pages: call records, one call with its times and recording link (a permission,
audited), the agent's state from the header, and the wallboard."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.cti.models import Call, Extension
from kefu.staff import roles
from tests.cti.helpers import event, full_call, make_platform, post, recent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def zh_hans(settings, monkeypatch):
    from kefu.push import services as push

    settings.LANGUAGE_CODE = "zh-hans"
    monkeypatch.setattr(push, "STREAMS", True)  # the pages include the push stream's script


@pytest.fixture
def answered(client, make_user):
    agent = make_user(roles.AGENT)
    Extension.objects.create(platform=make_platform(), extension="8001", user=agent)
    for doc in full_call("13912345678"):
        post(client, doc)
    post(client, event(9, 270, "recording", ref="https://pbx.example.com/rec/c-1.wav"))
    return agent, Call.objects.get(call_id="c-1")


def test_the_agent_reads_her_call_with_its_times_but_not_its_recording(client, answered):
    agent, call = answered
    client.force_login(agent)
    listing = client.get("/hotline/calls/").content.decode()
    assert f"/hotline/calls/{call.pk}/" in listing and "13912345678" not in listing
    page = client.get(f"/hotline/calls/{call.pk}/").content.decode()
    assert "等待" in page and "通话" in page and "话后处理" in page
    assert "2:50" in page and "0:30" in page  # talk: 200 s from answer to end less 30 s on hold; after-call work 30 s
    assert "打开录音" not in page
    assert client.post(f"/hotline/calls/{call.pk}/recording/").status_code == 403


def test_the_supervisor_opens_the_recording_and_it_is_audited(client, answered, supervisor):
    _agent, call = answered
    client.force_login(supervisor)
    assert "打开录音" in client.get(f"/hotline/calls/{call.pk}/").content.decode()
    assert client.get(f"/hotline/calls/{call.pk}/recording/").status_code == 405
    response = client.post(f"/hotline/calls/{call.pk}/recording/")
    assert response.status_code == 302 and response["Location"] == "https://pbx.example.com/rec/c-1.wav"
    entry = AuditEntry.objects.filter(actor=supervisor, object_id=str(call.pk)).latest("at")
    assert entry.action == "read" and "recording_ref" in entry.fields


def test_a_call_out_of_reach_is_not_found(client, answered, make_user):
    _agent, call = answered
    client.force_login(make_user(roles.AGENT))
    assert client.get(f"/hotline/calls/{call.pk}/").status_code == 404


def test_the_header_sets_her_state(client, answered):
    agent, _call = answered
    client.force_login(agent)
    page = client.get("/hotline/calls/").content.decode()
    assert 'id="agent-state-label"' in page and "push-config" in page
    response = client.post("/hotline/state/", {"state": "not_ready", "reason": "training", "next": "/hotline/calls/"})
    assert response.status_code == 302 and response["Location"] == "/hotline/calls/"
    page = client.get("/hotline/calls/").content.decode()
    assert "未就绪（培训）" in page
    client.post("/hotline/state/", {"state": "not_ready"})
    assert "原因" in client.get("/hotline/calls/").content.decode()


def test_the_wallboard_shows_waiting_calls_agents_and_today_s_service_level(client, answered, supervisor):
    agent, _call = answered
    from kefu.cti import agents

    agents.set_state(agent, "ready")
    for doc in recent([event(0, 0, "offered", "w-1", caller="13700000001", called="10000"),
                       event(1, 2, "queued", "w-1", queue="complaints")]):
        post(client, doc)
    client.force_login(supervisor)
    page = client.get("/hotline/wallboard/").content.decode()
    assert "热线实时监控" in page and "排队来电" in page and "服务水平" in page and "complaints" in page
    assert "就绪" in page and "wallboard.js" in page and "push-config" in page
    fragment = client.get("/hotline/wallboard/figures/").content.decode()
    assert "<html" not in fragment and "排队来电" in fragment


def test_agents_have_no_wallboard(client, answered):
    agent, _call = answered
    client.force_login(agent)
    assert client.get("/hotline/wallboard/").status_code == 403
