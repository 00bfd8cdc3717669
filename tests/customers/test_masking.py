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
    customer.email = f"{customer.phone}@139.com"  # as often in life: the mobile number
    customer.save()
    body = api_client(agent).get(f"/customers/{customer.pk}").json()
    masked_phone = customer.phone[:3] + "****" + customer.phone[-4:]
    assert body["name_masked"] == "欧阳*" and body["address_masked"] == "广东省广州市天河区****"
    assert body["phone_masked"] == masked_phone and body["email_masked"] == f"{masked_phone}@139.com"
    assert body["id_number_masked"].startswith(customer.id_number[:6]) and "*" * 8 in body["id_number_masked"]
    text = str(body)
    for secret in (customer.phone, customer.id_number, "天河路", "欧阳明"):
        assert secret not in text
    assert "name" not in body and "phone" not in body and "email" not in body


def test_service_numbers_and_account_names_are_masked(api_client, agent, customer, subscription):
    api = api_client(agent)
    api.post("/accounts", {"customer_id": customer.pk, "name": "张三的家庭账户"})
    masked = customer.phone[:3] + "****" + customer.phone[-4:]  # the mobile line is the customer's phone
    assert api.get(f"/subscriptions/{subscription.pk}").json()["service_number_masked"] == masked
    listed = api.get(f"/subscriptions?customer={customer.pk}").json()["results"]
    assert [s["service_number_masked"] for s in listed] == [masked]
    assert [a["name_masked"] for a in api.get(f"/accounts?customer={customer.pk}").json()] == ["张******"]
    assert str(subscription) == masked


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


def _reveal(api, customer, **query):
    return api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode(query))


def _refused_on(r) -> set:
    assert r.status_code == 422
    return {f["field"] for f in r.json()["fields"]}


def test_reveal_needs_a_reason_from_the_list_or_a_verified_caller(api_client, coordinator, customer):
    api = api_client(coordinator)
    assert _refused_on(_reveal(api, customer)) == {"reason_code"}
    assert _refused_on(_reveal(api, customer, reason="abcd")) == {"reason_code"}  # free text alone no longer passes
    assert _refused_on(_reveal(api, customer, reason_code="curiosity", reason="just looking")) == {"reason_code"}
    assert _refused_on(_reveal(api, customer, reason_code="other")) == {"reason"}  # "other" must be explained
    assert _refused_on(_reveal(api, customer, reason_code="other", reason="ab")) == {"reason"}
    # "The caller was verified" is shown by the contact it passed on, not claimed.
    assert _refused_on(_reveal(api, customer, reason_code="caller_verified")) == {"contact_id"}
    assert _entries(customer, "read_identity") == []
    r = _reveal(api, customer, reason_code="regulator", reason="case 2026-118")
    assert r.status_code == 200 and r.json()["phone"] == customer.phone
    assert _reveal(api, customer, reason_code="complaint").status_code == 200
    assert _reveal(api, customer, reason_code="other", reason="customer asked for a letter").status_code == 200
    assert _entries(customer, "read_identity") == [(coordinator.username, "[regulator] case 2026-118"),
                                                   (coordinator.username, "[complaint]"),
                                                   (coordinator.username, "[other] customer asked for a letter")]


def test_reveal_reasons_are_a_list_administrators_keep(api_client, coordinator, customer):
    from kefu.customers.models import RevealReason

    api = api_client(coordinator)
    listed = api.get("/customers/reveal-reasons").json()
    assert [r["code"] for r in listed] == ["caller_verified", "complaint", "regulator", "service_request", "privacy_request", "other"]
    assert [r["name"] for r in listed][:3] == ["客户来电核实后查询", "投诉调查", "监管转办"]
    assert [r["code"] for r in listed if r["needs_text"]] == ["other"]
    RevealReason.objects.filter(code="service_request").update(is_active=False)
    RevealReason.objects.create(code="fraud", name="反诈核查", sort_order=5)
    assert [r["code"] for r in api.get("/customers/reveal-reasons").json()][:2] == ["fraud", "caller_verified"]
    assert _refused_on(_reveal(api, customer, reason_code="service_request")) == {"reason_code"}
    assert _reveal(api, customer, reason_code="fraud").status_code == 200
    assert _entries(customer, "read_identity") == [(coordinator.username, "[fraud]")]


def test_reveal_shows_email_and_service_numbers(api_client, coordinator, customer, subscription):
    from kefu.customers import services

    services.update_customer(coordinator, customer.pk, version=customer.version, changes={"email": f"{customer.phone}@139.com"})
    body = _reveal(api_client(coordinator), customer, reason_code="complaint").json()
    assert body["email"] == f"{customer.phone}@139.com"
    assert body["subscriptions"] == [{"id": subscription.pk, "service_number": subscription.service_number,
                                      "product": "mobile", "status": "active"}]
    assert {"email", "service_number", "id_number"} <= set(AuditEntry.objects.get(action="read_identity").fields)


def test_a_verified_contact_in_progress_unmasks(api_client, coordinator, customer, make_user):
    api = api_client(coordinator)
    contact = contacts.open_contact(coordinator, channel="hotline", customer_id=customer.pk)
    assert api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk})).status_code == 422  # not verified yet
    contacts.verify_identity(coordinator, contact.pk, method="service_password", secret="246810")
    r = api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk}))
    assert r.status_code == 200 and r.json()["id_number"] == customer.id_number
    assert _entries(customer, "read_identity") == [(coordinator.username, f"[caller_verified] verified on contact {contact.pk}")]
    # A reason may be given as well: it is the one recorded.
    assert api.get(f"/customers/{customer.pk}/identity" + "?" + urlencode({"contact_id": contact.pk, "reason_code": "complaint"})).status_code == 200
    assert _entries(customer, "read_identity")[-1] == (coordinator.username, f"[complaint] verified on contact {contact.pk}")
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
