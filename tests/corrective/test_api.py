"""The corrective actions API: open (201, or 422 naming each field), list with filters, read, one
POST per step with its refusals (403, 404, 409 with the allowed actions), and PATCH with the
version read (a stale one: 409 with the current version)."""

import datetime as dt

from django.utils import timezone

from kefu.corrective.models import CorrectiveAction

from .conftest import past_deadline

BASE = "/corrective-actions"


def _open(api, owner, **more):
    return api.post(BASE, {"title": "计费错误投诉整改", "problem": "11月资费计费类投诉32件", "source": "report",
                           "owner_id": owner.pk, "working_days": 5} | more)


def test_open_read_and_list(api_client, supervisor, agent, order, billing_cause):
    api = api_client(supervisor)
    r = _open(api, agent, source="complaint_cause", cause_id=billing_cause.pk, order_ids=[order.pk],
              source_ref="period:2026-11")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("ZG") and body["status"] == "open" and body["linked_orders"] == 1
    assert (body["owner_id"], body["cause"], body["overdue"], body["allowed_actions"]) == (
        agent.pk, "资费计费", False, ["edit", "start", "cancel"])
    assert api.get(f"{BASE}/{body['id']}").json()["version"] == 1
    listed = api.get(f"{BASE}?source=complaint_cause&cause={billing_cause.pk}").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert api.get(f"{BASE}?source=report").json()["count"] == 0
    assert [o["number"] for o in api.get(f"{BASE}/{body['id']}/orders").json()] == [order.number]
    # The owner reads it too, and may start it.
    mine = api_client(agent).get(f"{BASE}?mine=true").json()["results"]
    assert [a["id"] for a in mine] == [body["id"]] and mine[0]["allowed_actions"] == ["edit", "start"]


def test_bad_input_is_422_naming_each_field(api_client, supervisor):
    api = api_client(supervisor)
    r = api.post(BASE, {"title": "整改", "problem": "问题", "source": "complaint_cause", "owner_id": 987654,
                        "deadline": "2020-01-01"})
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["fields"]} == {"owner_id", "cause_id", "deadline"}
    r = api.post(BASE, {"title": "整改", "problem": "问题", "source": "nonsense", "owner_id": supervisor.pk, "working_days": 0})
    assert r.status_code == 422 and {f["field"] for f in r.json()["fields"]} >= {"source"}


def test_steps_through_the_api(api_client, supervisor, agent, manager):
    action = _open(api_client(supervisor), agent).json()
    owner, checker = api_client(agent), api_client(manager)
    url = f"{BASE}/{action['id']}"
    assert checker.post(f"{url}/start").status_code == 403
    r = owner.post(f"{url}/done", {"evidence": "已培训"})
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["edit", "start"]
    assert owner.post(f"{url}/start", {"note": "开始"}).json()["status"] == "in_progress"
    assert owner.post(f"{url}/done", {"evidence": ""}).status_code == 422
    assert owner.post(f"{url}/done", {"evidence": "已完成全员培训"}).json()["status"] == "done"
    early = checker.post(f"{url}/verify", {"effective": True})
    assert early.status_code == 409 and "deadline" in early.json()["message"]
    past_deadline(CorrectiveAction.objects.get(pk=action["id"]))
    assert checker.post(f"{url}/verify", {"effective": False}).status_code == 422  # a note says why
    back = checker.post(f"{url}/verify", {"effective": False, "note": "投诉未下降"}).json()
    assert (back["status"], back["rounds"]) == ("in_progress", 2)
    owner.post(f"{url}/done", {"evidence": "第二轮整改完成"})
    assert checker.post(f"{url}/verify", {"effective": True}).json()["status"] == "verified"
    events = [e["action"] for e in checker.get(f"{url}/events").json()]
    assert events == ["open", "start", "done", "reject", "done", "verify"]


def test_patch_with_a_stale_version_is_409(api_client, supervisor, agent):
    action = _open(api_client(supervisor), agent).json()
    owner = api_client(agent)
    url = f"{BASE}/{action['id']}"
    first = owner.patch(url, {"version": 1, "root_cause": "计费规则配置错误"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = owner.patch(url, {"version": 1, "measures": "别的措施"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert owner.patch(url, {"version": 2, "owner_id": supervisor.pk}).status_code == 403  # the owner does not reassign
    day = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    moved = api_client(supervisor).patch(url, {"version": 2, "deadline": day})
    assert moved.status_code == 200 and moved.json()["deadline"][:10] >= day
    assert owner.post(f"{url}/cancel", {"reason": "重复"}).status_code == 403
    assert api_client(supervisor).post(f"{url}/cancel", {"reason": "重复", "version": 1}).status_code == 409


def test_someone_without_the_permission_sees_nothing(api_client, supervisor, agent, make_user):
    from kefu.staff import roles

    action = _open(api_client(supervisor), agent).json()
    stranger = api_client(make_user(roles.AGENT, "front-office"))
    assert stranger.get(f"{BASE}/{action['id']}").status_code == 404
    assert stranger.get(BASE).json()["count"] == 0
    assert stranger.post(BASE, {"title": "整改", "problem": "问题", "source": "other", "owner_id": agent.pk,
                                "working_days": 2}).status_code == 403
