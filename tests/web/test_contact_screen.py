"""The contact screen follows the call flow: look up, verify, see the customer, open an order."""

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.orders.models import WorkOrder


def _start(client, customer):
    r = client.post("/contacts/", {"channel": "hotline", "caller": customer.phone, "customer_id": customer.pk})
    assert r.status_code == 302
    return Contact.objects.get(customer=customer)


def test_identity_stays_masked_until_verified(client, agent, customer):
    client.force_login(agent)
    assert customer.masked_phone in client.get("/contacts/", {"q": customer.phone}).content.decode()
    contact = _start(client, customer)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert customer.id_number not in page and customer.masked_id_number in page and "张*" in page
    failed = client.post(f"/contacts/{contact.pk}/verify/", {"method": "service_password", "secret": "000000"}, follow=True)
    assert "Verification failed" in failed.content.decode() and customer.id_number not in failed.content.decode()
    client.post(f"/contacts/{contact.pk}/verify/", {"method": "service_password", "secret": "246810"})
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert customer.id_number in page and "张三" in page
    reveal = AuditEntry.objects.filter(action="read_identity", object_id=str(customer.pk)).last()
    assert reveal.actor == agent and f"contact {contact.pk}" in reveal.reason


def test_a_new_order_from_the_contact_with_the_suggestion(client, agent, customer, subscription):
    client.force_login(agent)
    contact = _start(client, customer)
    partial = client.get("/suggest/", {"title": "家里宽带无法上网，一直断网", "customer_id": customer.pk}).content.decode()
    assert "data-fill" in partial and "Use the suggestion" in partial
    r = client.post(f"/contacts/{contact.pk}/order/", {"title": "宽带断网", "description": "从昨晚开始", "kind": "fault",
                                                      "severity": "urgent", "subscription_id": subscription.pk})
    order = WorkOrder.objects.get(title="宽带断网")
    assert r.status_code == 302 and r["Location"] == f"/contacts/{contact.pk}/"  # back to the call
    assert (order.kind, order.severity, order.channel, order.owner) == ("fault", "urgent", "hotline", agent)
    assert order.contacts.filter(pk=contact.pk).exists()
    bad = client.post(f"/contacts/{contact.pk}/order/", {"title": ""})
    assert bad.status_code == 422


def test_ending_the_contact(client, agent, customer):
    client.force_login(agent)
    contact = _start(client, customer)
    client.post(f"/contacts/{contact.pk}/end/", {"summary": "咨询套餐", "outcome": "answered"})
    contact.refresh_from_db()
    assert (contact.outcome, contact.summary) == ("answered", "咨询套餐") and contact.ended_at is not None


def test_another_agents_contact_out_of_scope(client, make_user, agent, customer):
    client.force_login(agent)
    contact = _start(client, customer)
    outsider = make_user("tech_support", "billing")
    client.force_login(outsider)
    assert client.get(f"/contacts/{contact.pk}/").status_code == 404
    assert client.post(f"/contacts/{contact.pk}/verify/", {"method": "id_number", "secret": customer.id_number}).status_code == 404
