"""security/states.py drives the services: every response step from every status either is
taken as the table says (version bumped, one step recorded) or is refused with 409 naming the
status and the steps that may be taken instead, and writes nothing."""

import pytest

from kefu.core.errors import InvalidTransition
from kefu.security import services
from kefu.security.models import SecurityIncident
from kefu.security.states import TRANSITIONS

S = SecurityIncident.Status


def _calls(customer, supervisor):
    return {
        "assess": lambda u, i: services.assess(u, i, level="large"),
        "team": lambda u, i: services.set_team(u, i, user_ids=[supervisor.pk]),
        "contain": lambda u, i: services.contain(u, i, note="账号已停用"),
        "affected": lambda u, i: services.add_affected(u, i, customer_ids=[customer.pk], data_involved="姓名"),
        "notify_customers": lambda u, i: services.notify_customers(u, i, channel="sms"),
        "notify_authorities": lambda u, i: services.notify_authorities(u, i, note="已报告"),
        "close": lambda u, i: services.close(u, i, cause="导出权限过宽", fix="导出改为审批"),
    }


def test_every_step_has_a_service(customer, supervisor):
    assert set(_calls(customer, supervisor)) == set(TRANSITIONS)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_step_from_each_status(action, status, supervisor, customer):
    incident = services.report(supervisor, title="x", level="general")
    SecurityIncident.objects.filter(pk=incident.pk).update(status=status)
    call = _calls(customer, supervisor)[action]
    t = TRANSITIONS[action]
    if status in t.sources:
        call(supervisor, incident.pk)
        after = SecurityIncident.objects.get(pk=incident.pk)
        assert (after.status, after.version, after.steps.last().action) == (t.target or status, 2, action)
    else:
        with pytest.raises(InvalidTransition) as err:
            call(supervisor, incident.pk)
        assert err.value.extra["state"] == status and action not in err.value.extra["allowed_actions"]
        after = SecurityIncident.objects.get(pk=incident.pk)
        assert (after.status, after.version, after.steps.count()) == (status, 1, 1)


def test_a_refused_step_is_409_naming_the_steps_that_may_be_taken(supervisor, api_client):
    api = api_client(supervisor)
    incident = services.report(supervisor, title="x", level="general")
    r = api.post(f"/incidents/{incident.pk}/close", {"cause": "x", "fix": "y"})
    assert (r.status_code, r.json()["message"], r.json()["state"]) == (409, "Contain the incident before closing it.", "open")
    assert r.json()["allowed_actions"] == ["assess", "team", "contain", "affected", "notify_customers", "notify_authorities"]
    api.post(f"/incidents/{incident.pk}/contain", {"note": "x"})
    r = api.post(f"/incidents/{incident.pk}/contain", {"note": "x"})
    assert (r.status_code, r.json()["message"]) == (409, "The incident is already contained.")
    assert "contain" not in r.json()["allowed_actions"] and "close" in r.json()["allowed_actions"]
