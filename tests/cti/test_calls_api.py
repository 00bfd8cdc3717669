"""GET /api/v1/cti/calls: agents read the calls they answered, supervisors and managers more."""

import pytest

from kefu.cti.models import Extension
from kefu.staff import roles

from .helpers import event, make_platform, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(client, make_user):
    platform = make_platform()
    mine, other = make_user(roles.AGENT), make_user(roles.AGENT, "billing")
    Extension.objects.create(platform=platform, extension="8001", user=mine)
    Extension.objects.create(platform=platform, extension="8002", user=other)
    for call_id, ext in [("a", "8001"), ("b", "8002")]:
        post(client, event(0, 0, "offered", call_id, caller="13912345678", called="10000"))
        post(client, event(1, 9, "answered", call_id, extension=ext))
    return mine, other


def test_agent_reads_own_calls_only(api_client, calls):
    mine, _other = calls
    api = api_client(mine)
    r = api.get("/cti/calls")
    assert r.status_code == 200
    assert [c["call_id"] for c in r.json()["results"]] == ["a"]
    assert r.json()["results"][0]["caller"] != "13912345678"  # masked
    assert api.get("/cti/calls/a").status_code == 200
    assert api.get("/cti/calls/b").status_code == 404


def test_supervisor_reads_the_scope_s_calls(api_client, calls, supervisor, make_user):
    from kefu.staff.models import DataScope

    r = api_client(supervisor).get("/cti/calls")
    assert [c["call_id"] for c in r.json()["results"]] == ["b", "a"]  # a one-region installation: all of it
    supervisor.data_scope = DataScope.DEPARTMENT
    supervisor.save()
    r = api_client(supervisor).get("/cti/calls")
    assert [c["call_id"] for c in r.json()["results"]] == ["a"]  # own department's agent; b's is billing
    manager = make_user(roles.MANAGER, None)
    r = api_client(manager).get(f"/cti/calls?agent={calls[1].pk}")
    assert [c["call_id"] for c in r.json()["results"]] == ["b"]


def test_without_permission_403_and_without_token_401(api_client, client, calls, auditor):
    assert api_client(auditor).get("/cti/calls").status_code == 403
    assert client.get("/api/v1/cti/calls").status_code == 401
