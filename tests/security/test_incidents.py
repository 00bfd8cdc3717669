"""The security incident register: report → assess → team → contain → affected customers
told → authorities told → closed with cause and fix; each step recorded, out-of-order steps
refused."""

import pytest

from kefu.core.errors import Forbidden, InvalidTransition, ValidationFailed
from kefu.security import services
from kefu.security.models import SecurityIncident
from kefu.staff import roles


@pytest.fixture
def coordinator(make_user):
    return make_user(roles.COORDINATOR, "complaints")


def test_the_whole_response(coordinator, supervisor, customer, handler, api_client):
    api = api_client(supervisor)
    r = api_client(coordinator).post("/incidents", {"title": "导出的客户清单被发到外部邮箱", "level": "general"})
    assert r.status_code == 201 and r.json()["number"].startswith("SI")
    iid = r.json()["id"]
    assert api.post(f"/incidents/{iid}/assess", {"level": "large", "note": "涉及身份证号"}).json()["level"] == "large"
    assert api.post(f"/incidents/{iid}/team", {"user_ids": [supervisor.pk, handler.pk]}).json()["team_ids"] == sorted([supervisor.pk, handler.pk])
    assert api.post(f"/incidents/{iid}/affected", {"customer_ids": [customer.pk], "data_involved": "姓名、身份证号"}).json()["affected"] == 1
    r = api.post(f"/incidents/{iid}/close", {"cause": "x", "fix": "y"})
    assert r.status_code == 409  # not contained yet
    assert api.post(f"/incidents/{iid}/contain", {"note": "邮箱已撤回，账号已停用"}).json()["status"] == "contained"
    r = api.post(f"/incidents/{iid}/close", {"cause": "x", "fix": "y"})
    assert r.status_code == 409 and "1 affected" in r.json()["message"]  # a customer not told yet
    assert api.post(f"/incidents/{iid}/notify-customers", {"channel": "sms"}).json()["notified"] == 1
    assert api.post(f"/incidents/{iid}/notify-authorities", {"note": "已报省通信管理局"}).json()["authorities_notified_at"]
    r = api.post(f"/incidents/{iid}/close", {"cause": "导出权限过宽", "fix": "导出改为审批并脱敏"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    steps = [s["action"] for s in api.get(f"/incidents/{iid}/steps").json()]
    assert steps == ["report", "assess", "team", "affected", "contain", "notify_customers", "notify_authorities", "close"]
    assert api.post(f"/incidents/{iid}/assess", {"level": "major"}).status_code == 409  # closed is closed


def test_refusals_name_the_field_and_write_nothing(coordinator, supervisor, customer):
    incident = services.report(coordinator, title="x", level="general")
    with pytest.raises(Forbidden):
        services.contain(coordinator, incident.pk, note="coordinators report; supervisors respond")
    with pytest.raises(ValidationFailed) as err:
        services.assess(supervisor, incident.pk, level="catastrophic")
    assert "level" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.add_affected(supervisor, incident.pk, customer_ids=[customer.pk, 999999], data_involved="电话")
    assert "customer_ids" in err.value.fields
    with pytest.raises(ValidationFailed):
        services.contain(supervisor, incident.pk, note=" ")
    incident = SecurityIncident.objects.get(pk=incident.pk)
    assert (incident.level, incident.status, incident.affected.count(), incident.steps.count()) == ("general", "open", 0, 1)
    services.contain(supervisor, incident.pk, note="done")
    with pytest.raises(InvalidTransition):
        services.contain(supervisor, incident.pk, note="again")


def test_auditors_read_but_do_not_act(auditor, supervisor, api_client):
    incident = services.report(supervisor, title="x", level="especially_major")
    assert api_client(auditor).get(f"/incidents/{incident.pk}").json()["level"] == "especially_major"
    assert api_client(auditor).post(f"/incidents/{incident.pk}/contain", {"note": "x"}).status_code == 403
    assert api_client(auditor).post("/incidents", {"title": "x", "level": "general"}).status_code == 403
