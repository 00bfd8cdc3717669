"""Privacy requests: received with a due date, started once the requester's identity is
checked, completed or refused; versioned, audited, and only by whom the roles allow."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from kefu.privacy import services
from kefu.privacy.models import PrivacyRequest


def test_due_in_fifteen_calendar_days_and_overdue_after(agent, supervisor, customer, settings):
    now = timezone.now()
    late = services.open_request(agent, customer_id=customer.pk, kind="access", channel="letter", received_at=now - timedelta(days=16))
    fresh = services.open_request(agent, customer_id=customer.pk, kind="deletion", channel="hotline", received_at=now - timedelta(days=14))
    assert late.due_at == late.received_at + timedelta(days=15)
    assert (late.overdue, fresh.overdue) == (True, False)
    assert list(services.requests(supervisor, overdue=True)) == [late]
    assert list(services.requests(supervisor, overdue=False)) == [fresh]
    assert [r.pk for r in services.requests(supervisor)] == [late.pk, fresh.pk]  # soonest due first

    services.start(supervisor, late.pk, version=1, identity_verified="service_password")
    services.complete(supervisor, late.pk, version=2, outcome="已寄出")
    assert not PrivacyRequest.objects.get(pk=late.pk).overdue  # answered (late, but answered)
    assert list(services.requests(supervisor, overdue=True)) == []

    settings.KEFU_PRIVACY_DUE_DAYS = 30
    longer = services.open_request(agent, customer_id=customer.pk, kind="correction", channel="store")
    assert longer.due_at - longer.received_at == timedelta(days=30)


def test_life_of_a_request_is_checked_versioned_and_audited(agent, supervisor, customer):
    req = services.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline", details="要一份我的全部资料")
    assert req.number.startswith("PR") and req.number.endswith(f"{req.pk:04d}")
    assert (req.status, req.received_by, req.version) == ("received", agent, 1)

    with pytest.raises(ValidationFailed) as err:  # nobody's data before the requester is checked
        services.start(supervisor, req.pk, version=1)
    assert "identity_verified" in err.value.fields
    with pytest.raises(InvalidTransition):
        services.export(supervisor, req.pk)  # not started
    with pytest.raises(ValidationFailed) as err:
        services.complete(supervisor, req.pk, version=1, outcome="  ")
    assert "outcome" in err.value.fields

    req = services.start(supervisor, req.pk, version=1, identity_verified="sms_code")
    assert (req.status, req.handled_by, req.version) == ("in_progress", supervisor, 2)
    with pytest.raises(Conflict) as err:
        services.complete(supervisor, req.pk, version=1, outcome="done")
    assert err.value.extra["current_version"] == 2
    with pytest.raises(ValidationFailed) as err:
        services.refuse(supervisor, req.pk, version=2, reason="")
    assert "reason" in err.value.fields
    req = services.refuse(supervisor, req.pk, version=2, reason="无法核实申请人为机主本人")
    assert (req.status, req.refusal_reason) == ("refused", "无法核实申请人为机主本人") and req.completed_at
    with pytest.raises(InvalidTransition):
        services.complete(supervisor, req.pk, version=3, outcome="x")

    trail = list(AuditEntry.objects.filter(object_type="privacy.privacyrequest", object_id=str(req.pk)).order_by("seq")
                 .values_list("action", "reason"))
    assert trail == [("create", ""), ("transition", "in_progress"), ("transition", "无法核实申请人为机主本人")]


def test_unknown_customer_and_future_receipt_are_refused(agent, customer):
    with pytest.raises(ValidationFailed) as err:
        services.open_request(agent, customer_id=999999, kind="access", channel="hotline")
    assert "customer_id" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline",
                              received_at=timezone.now() + timedelta(days=1))
    assert "received_at" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        services.open_request(agent, customer_id=customer.pk, kind="forget_me", channel="hotline")
    assert "kind" in err.value.fields
    assert not PrivacyRequest.objects.exists()


def test_who_may_do_what(agent, coordinator, supervisor, auditor, customer):
    req = services.open_request(coordinator, customer_id=customer.pk, kind="deletion", channel="hotline")
    req = services.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline")
    assert services.get_request(agent, req.pk) == req
    with pytest.raises(Forbidden):  # agents receive; supervisors handle
        services.start(agent, req.pk, version=1, identity_verified="document")
    req = services.start(supervisor, req.pk, version=1, identity_verified="document")
    for act in (lambda u: services.complete(u, req.pk, version=2, outcome="x"),
                lambda u: services.refuse(u, req.pk, version=2, reason="x"),
                lambda u: services.export(u, req.pk)):
        with pytest.raises(Forbidden):
            act(agent)
        with pytest.raises(Forbidden):
            act(auditor)
    with pytest.raises(Forbidden):  # auditors read, they do not receive
        services.open_request(auditor, customer_id=customer.pk, kind="access", channel="hotline")
    assert services.requests(auditor).count() == 2


def test_api_round_trip(agent, supervisor, auditor, customer, api_client):
    front, boss = api_client(agent), api_client(supervisor)
    r = front.post("/privacy/requests", {"customer_id": customer.pk, "kind": "access", "channel": "hotline",
                                         "details": "请导出我的个人信息"})
    assert r.status_code == 201, r.json()
    body = r.json()
    rid = body["id"]
    assert body["number"].startswith("PR") and body["status"] == "received" and body["overdue"] is False
    assert body["customer_no"] == customer.customer_no

    assert api_client(auditor).post("/privacy/requests", {"customer_id": customer.pk, "kind": "access",
                                                         "channel": "hotline"}).status_code == 403
    assert front.post(f"/privacy/requests/{rid}/start", {"version": 1, "identity_verified": "document"}).status_code == 403
    assert boss.post(f"/privacy/requests/{rid}/start", {"version": 1}).status_code == 422
    r = boss.post(f"/privacy/requests/{rid}/start", {"version": 1, "identity_verified": "document"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"

    assert [x["id"] for x in boss.get("/privacy/requests?status=in_progress&kind=access").json()["results"]] == [rid]
    assert boss.get(f"/privacy/requests?customer={customer.pk}&overdue=true").json()["count"] == 0

    r = boss.get(f"/privacy/requests/{rid}/export")
    assert r.status_code == 200 and r.json()["customer"]["id_number"] == customer.id_number
    r = boss.get(f"/privacy/requests/{rid}/export.html")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert body["number"] in r.content.decode()
    assert r["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline';")  # its own style, no script

    r = boss.post(f"/privacy/requests/{rid}/complete", {"version": 1, "outcome": "x"})
    assert r.status_code == 409 and r.json()["current_version"] == 2
    r = boss.post(f"/privacy/requests/{rid}/complete", {"version": 2, "outcome": "已当面交付纸质副本"})
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["completed_at"]
    assert boss.post(f"/privacy/requests/{rid}/refuse", {"version": 3, "reason": "x"}).status_code == 409
    assert api_client(auditor).get(f"/privacy/requests/{rid}").json()["outcome"] == "已当面交付纸质副本"
    assert boss.get("/privacy/requests/999999").status_code == 404


def test_admin_reads_requests_and_purge_records_without_editing(client, agent, customer, make_user):
    req = services.open_request(agent, customer_id=customer.pk, kind="access", channel="hotline")
    services.purge()
    reader = make_user("auditor")
    reader.is_staff = True
    reader.save()
    client.force_login(reader)
    listing = client.get("/admin/privacy/privacyrequest/")
    assert listing.status_code == 200 and req.number in listing.content.decode()
    page = client.get(f"/admin/privacy/privacyrequest/{req.pk}/change/").content.decode()
    assert customer.customer_no in page and customer.name not in page  # the file by its number only
    assert client.get("/admin/privacy/purgerun/").status_code == 200
    assert client.get("/admin/privacy/anonymisation/").status_code == 200
    assert client.get("/admin/privacy/privacyrequest/add/").status_code == 403
