"""Identity data leaves masked; unmasking needs the permission and a verified caller or a
reason, and every view and reveal is audited."""

from urllib.parse import urlencode

import pytest

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.staff import roles

from ..conftest import mobile, resident_id


@pytest.fixture
def coordinator(make_user):
    return make_user(roles.COORDINATOR, "complaints")


def _entries(customer, action):
    return list(AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk), action=action)
                .values_list("actor__username", "reason").order_by("seq"))


def test_the_api_masks_every_identity_field(api_client, agent, customer):
    from kefu.customers.models import Customer

    Customer.objects.filter(pk=customer.pk).update(name="欧阳明")  # update() leaves the encrypted fields alone
    customer.refresh_from_db()
    customer.address = "广东省广州市天河区天河路385号"
    customer.save()
    body = api_client(agent).get(f"/customers/{customer.pk}").json()
    assert body["name_masked"] == "欧阳*" and body["address_masked"] == "广东省广州市天河区****"
    assert body["phone_masked"] == customer.phone[:3] + "****" + customer.phone[-4:]
    assert body["id_number_masked"].startswith(customer.id_number[:6]) and "*" * 8 in body["id_number_masked"]
    text = str(body)
    for secret in (customer.phone, customer.id_number, "天河路", "欧阳明"):
        assert secret not in text
    assert "name" not in body and "phone" not in body


def test_enterprise_names_are_not_masked(api_client, agent):
    made = api_client(agent).post("/customers", {"type": "enterprise", "name": "广州某某科技有限公司", "id_type": "business_licence",
                                               "id_number": "91440101MA5XXXXX1X", "phone": mobile(77), "province": "广东", "city": "广州"})
    assert made.status_code == 201 and made.json()["name_masked"] == "广州某某科技有限公司"


def test_views_and_lists_are_audited(api_client, agent, customer):
    api_client(agent).get(f"/customers/{customer.pk}")
    api_client(agent).get("/customers" + "?" + urlencode({"q": customer.phone}))
    assert _entries(customer, "read") == [("agent", ""), ("agent", "")]


def test_reveal_needs_the_permission(api_client, handler, customer):
    assert api_client(handler).get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"reason": "customer dispute"})).status_code == 403
    assert _entries(customer, "read_identity") == []


def test_reveal_needs_a_reason_or_a_verified_caller(api_client, coordinator, customer):
    api = api_client(coordinator)
    r = api.get(f"/customers/{customer.pk}/identity")
    assert r.status_code == 422 and {f["field"] for f in r.json()["fields"]} == {"reason"}
    r = api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"reason": "regulator case 2026-118"}))
    assert r.status_code == 200 and r.json()["phone"] == customer.phone
    assert _entries(customer, "read_identity") == [(coordinator.username, "regulator case 2026-118")]


def test_a_verified_contact_in_progress_unmasks(api_client, coordinator, customer, make_user):
    api = api_client(coordinator)
    contact = contacts.open_contact(coordinator, channel="hotline", customer_id=customer.pk)
    assert api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk})).status_code == 422  # not verified yet
    contacts.verify_identity(coordinator, contact.pk, method="service_password", secret="246810")
    r = api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk}))
    assert r.status_code == 200 and r.json()["id_number"] == customer.id_number
    assert _entries(customer, "read_identity") == [(coordinator.username, f"verified on contact {contact.pk}")]
    # Another customer's contact, or one that has ended, does not count.
    other = api.post("/customers", {"name": "赵六", "id_number": resident_id(79), "phone": mobile(78),
                                    "province": "广东", "city": "广州"}).json()
    assert api.get(f"/customers/{other['id']}/identity" + "?" + urlencode({"contact_id": contact.pk})).status_code == 422
    contacts.update_contact(coordinator, contact.pk, version=contact.version, changes={"ended_at": contact.started_at})
    assert api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk})).status_code == 422


def test_the_admin_masks_names_in_lists(client, agent, customer):
    from kefu.staff.models import User

    User.objects.filter(pk=agent.pk).update(is_staff=True)
    client.force_login(agent)
    page = client.get("/admin/customers/customer/").content.decode()
    assert "张*" in page and "张三" not in page and customer.phone not in page
