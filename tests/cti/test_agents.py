"""Agents' states (坐席状态): chosen by the agent, moved by the platform's call events, kept as a
history, and driving routing's presence."""

from datetime import timedelta

import pytest
from django.utils import translation

from kefu.core.errors import ValidationFailed
from kefu.cti import agents
from kefu.cti.models import AgentState, AgentStateChange, Extension
from kefu.routing.models import PresenceChange
from kefu.staff import roles
from kefu.staff.models import User

from .helpers import T0, event, full_call, make_platform, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    person = make_user(roles.AGENT)
    Extension.objects.create(platform=make_platform(), extension="8001", user=person)
    return person


def ready(user):
    """She sets herself ready before the test calls (which happened an hour ago)."""
    return agents.set_state(user, "ready", now=T0 - timedelta(minutes=1))


def presence(user):
    return User.objects.get(pk=user.pk).presence


def test_the_agent_sets_herself_ready_and_not_ready(agent):
    assert agents.status_of(agent.pk).state == AgentState.LOGGED_OUT
    agents.set_state(agent, "ready")
    assert presence(agent) == User.Presence.AVAILABLE
    status = agents.set_state(agent, "not_ready", reason="meal")
    assert (status.state, status.reason) == ("not_ready", "meal")
    assert presence(agent) == User.Presence.AWAY
    with translation.override("zh-hans"):
        assert agents.label_of(status) == "未就绪（用餐）"
    history = list(AgentStateChange.objects.filter(user=agent).order_by("at", "id").values_list("previous", "state", "source"))
    assert history == [("logged_out", "ready", "agent"), ("ready", "not_ready", "agent")]
    assert PresenceChange.objects.filter(user=agent, presence="away", reason="Meal").exists()  # the reason, in words


def test_not_ready_needs_a_reason_and_platform_states_are_refused(agent):
    with pytest.raises(ValidationFailed) as refused:
        agents.set_state(agent, "not_ready")
    assert "reason" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        agents.set_state(agent, "on_call")
    assert "state" in refused.value.fields


def test_a_call_moves_her_through_on_call_and_after_call_work_back_to_ready(client, agent):
    ready(agent)
    states = []
    for doc in full_call("13912345678"):
        post(client, doc)
        states.append(agents.status_of(agent.pk).state)
    # offered, ivr, queued: ready; ringing … resumed: on a call; ended: after-call work; done: ready
    assert states == ["ready", "ready", "ready", "on_call", "on_call", "on_call", "on_call", "after_call_work", "ready"]
    assert presence(agent) == User.Presence.AVAILABLE
    sources = set(AgentStateChange.objects.filter(user=agent, state="on_call").values_list("source", flat=True))
    assert sources == {"platform"}


def test_she_cannot_step_away_during_a_call_but_ready_ends_after_call_work(client, agent):
    ready(agent)
    for doc in full_call("13912345678")[:5]:
        post(client, doc)
    with pytest.raises(ValidationFailed):
        agents.set_state(agent, "not_ready", reason="break")
    for doc in full_call("13912345678")[5:8]:
        post(client, doc)
    assert agents.status_of(agent.pk).state == "after_call_work"
    assert agents.set_state(agent, "ready").state == "ready"
    post(client, full_call("13912345678")[8])  # the platform's late acw_ended changes nothing
    assert agents.status_of(agent.pk).state == "ready"


def test_a_transfer_hands_the_call_to_the_second_agent(client, agent, make_user):
    second = make_user(roles.AGENT)
    ready(agent)
    ready(second)
    Extension.objects.create(platform_id=Extension.objects.get(user=agent).platform_id, extension="8002", user=second)
    for doc in full_call("13912345678")[:5]:
        post(client, doc)
    post(client, event(10, 60, "transferred", target_type="agent", target="8002"))
    post(client, event(11, 66, "answered", extension="8002"))
    assert agents.status_of(agent.pk).state == "after_call_work"
    assert agents.status_of(second.pk).state == "on_call"
    from kefu.cti.models import Call

    call = Call.objects.get(call_id="c-1")
    assert (call.agent, call.transfers, call.contact.agent) == (second, 1, agent)


def test_events_older_than_her_state_do_not_rewrite_it(client, agent):
    """An import of last month's calls, or a late event, leaves her state as it is now."""
    agents.set_state(agent, "not_ready", reason="meeting")
    for doc in full_call("13912345678")[:5]:
        post(client, doc)  # an hour ago
    status = agents.status_of(agent.pk)
    assert (status.state, status.reason) == ("not_ready", "meeting")
