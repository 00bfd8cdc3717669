import pytest

from kefu.audit.models import AuditEntry
from kefu.customers.models import Customer
from tests.conftest import mobile, resident_id


@pytest.fixture
def as_agent(api_client, agent):
    return api_client(agent)


def _body(n, **extra):
    return {"name": "王五", "id_number": resident_id(n), "phone": mobile(n), "province": "浙江", "city": "杭州",
            "address": "西湖区文三路1号", "service_password": "135790"} | extra


def test_create_and_read_masked(as_agent):
    r = as_agent.post("/customers", _body(5))
    assert r.status_code == 201, r.content
    c = r.json()
    assert c["customer_no"].startswith("C") and c["phone_masked"] == mobile(5)[:3] + "****" + mobile(5)[-4:]
    assert c["id_number_masked"] == resident_id(5)[:6] + "********" + resident_id(5)[-4:]
    assert "id_number" not in c and "service_password" not in c and c["has_service_password"] is True
    stored = Customer.objects.get(pk=c["id"])
    assert stored.service_password_hash != "135790" and stored.check_service_password("135790")
    assert AuditEntry.objects.filter(action="create", object_id=str(c["id"])).exists()


@pytest.mark.parametrize("field,value,reason", [
    ("phone", "12345", "mobile"),
    ("id_number", "110105194912310021", "check character"),
    ("service_password", "12ab", "6 digits"),
    ("email", "not-an-email", "pattern"),
    ("segment", "platinum", ""),
    ("name", "", "at least 1"),
])
def test_field_level_validation(as_agent, field, value, reason):
    r = as_agent.post("/customers", _body(6, **{field: value}))
    assert r.status_code == 422
    errors = r.json()["fields"]
    assert [e["field"] for e in errors] == [field]
    assert reason in errors[0]["message"]
    assert not Customer.objects.exists()


def test_identity_reveal_needs_permission_and_is_audited(api_client, agent, handler, supervisor):
    c = api_client(agent).post("/customers", _body(7)).json()
    assert api_client(handler).get(f"/customers/{c['id']}/identity?reason_code=complaint").status_code == 403
    assert api_client(agent).get(f"/customers/{c['id']}/identity").status_code == 422  # no verified caller, no reason
    r = api_client(supervisor).get(f"/customers/{c['id']}/identity?reason_code=complaint&reason=GD2026112200000123")
    assert r.status_code == 200 and r.json()["id_number"] == resident_id(7)
    entry = AuditEntry.objects.get(action="read_identity")
    assert (entry.actor, entry.object_id, entry.reason) == (supervisor, str(c["id"]), "[complaint] GD2026112200000123")
    assert "id_number" in entry.fields


def test_search_by_phone_and_service_number(as_agent, customer, subscription):
    assert as_agent.get(f"/customers?phone={customer.phone}").json()["count"] == 1
    assert as_agent.get(f"/customers?q={customer.customer_no}").json()["results"][0]["id"] == customer.pk
    assert as_agent.get("/customers?phone=13900000000").json()["count"] == 0


def test_update_with_stale_version_conflicts(as_agent, customer):
    r = as_agent.patch(f"/customers/{customer.pk}", {"version": customer.version, "segment": "vip"})
    assert r.status_code == 200 and r.json()["segment"] == "vip"
    r = as_agent.patch(f"/customers/{customer.pk}", {"version": customer.version, "segment": "senior"})
    assert r.status_code == 409
    assert Customer.objects.get(pk=customer.pk).segment == "vip"


def test_subscription_numbers_are_validated_and_unique(as_agent, customer, subscription):
    r = as_agent.post("/subscriptions", {"customer_id": customer.pk, "service_number": "1234", "product": "mobile", "opened_on": "2025-01-01"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "service_number"
    r = as_agent.post("/subscriptions", {"customer_id": customer.pk, "service_number": subscription.service_number,
                                         "product": "mobile", "opened_on": "2025-01-01"})
    assert r.status_code == 422 and "live subscription" in r.json()["fields"][0]["message"]
    r = as_agent.post("/subscriptions", {"customer_id": customer.pk, "service_number": "ad020123456", "product": "broadband",
                                         "opened_on": "2025-01-01", "plan": "融合宽带 500M"})
    assert r.status_code == 201 and r.json()["province"] == customer.province
    sub = r.json()
    r = as_agent.patch(f"/subscriptions/{sub['id']}", {"version": sub["version"], "status": "terminated"})
    assert r.status_code == 200 and r.json()["terminated_on"] is not None


def test_unknown_customer_is_404(as_agent):
    r = as_agent.get("/customers/424242")
    assert r.status_code == 404 and "424242" in r.json()["message"]
