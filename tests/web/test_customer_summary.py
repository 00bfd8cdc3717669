"""The staff see which text the customer will read: the contact screen marks it, the order page
shows it and lets them rewrite it (issue 13)."""

import re

from kefu.contacts.models import Contact
from kefu.orders import services as orders
from kefu.orders.models import CUSTOMER_SUMMARY_MAX, OrderEvent, WorkOrder


def _contact(client, customer):
    client.post("/contacts/", {"channel": "hotline", "caller": customer.phone, "customer_id": customer.pk})
    return Contact.objects.get(customer=customer)


def _label(page, field):
    """The text of the <label> of FIELD on PAGE."""
    return re.search(rf'<label for="id_{field}">(.*?)</label>', page, re.S).group(1)


def test_the_new_order_form_marks_what_the_customer_reads(client, agent, customer, subscription):
    client.force_login(agent)
    contact = _contact(client, customer)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    badge = re.compile(r'<span class="badge customer-visible">Customer-visible</span>')
    assert badge.search(_label(page, "customer_summary"))
    assert not badge.search(_label(page, "title")) and not badge.search(_label(page, "description"))
    assert "Title and description are internal" in page
    r = client.post(f"/contacts/{contact.pk}/order/", {"title": "客户很凶", "description": "内部", "kind": "fault",
                                                      "subscription_id": subscription.pk, "customer_summary": "您的报修已受理。"})
    order = WorkOrder.objects.get(customer=customer)
    assert r.status_code == 302 and order.customer_summary == "您的报修已受理。"


def test_an_overlong_summary_is_refused_by_its_label(client, agent, customer, subscription):
    client.force_login(agent)
    contact = _contact(client, customer)
    r = client.post(f"/contacts/{contact.pk}/order/", {"title": "宽带断网", "kind": "fault", "subscription_id": subscription.pk,
                                                      "customer_summary": "长" * (CUSTOMER_SUMMARY_MAX + 1)})
    assert r.status_code == 422 and not WorkOrder.objects.exists()
    errors = re.search(r'id="id_customer_summary".*?</textarea>(.*?)<div id="suggestion"', r.content.decode(), re.S).group(1)
    assert str(CUSTOMER_SUMMARY_MAX) in errors


def test_the_order_page_shows_and_edits_what_the_customer_reads(client, agent, order):
    client.force_login(agent)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    header = page[page.index('id="customer-reads"'):page.index('id="facts"')]
    assert order.number in header and "No customer-visible summary yet" in header and order.description not in header
    r = client.post(f"/orders/{order.pk}/customer_summary/", {"customer_summary": "您的话费问题已受理。"}, follow=True)
    assert r.status_code == 200 and WorkOrder.objects.get(pk=order.pk).customer_summary == "您的话费问题已受理。"
    assert OrderEvent.objects.filter(order=order).last().data == {"changes": {"customer_summary": ["", "您的话费问题已受理。"]}}
    page = r.content.decode()
    header = page[page.index('id="customer-reads"'):page.index('id="facts"')]
    assert "您的话费问题已受理。" in header and "No customer-visible summary yet" not in header
    r = client.post(f"/orders/{order.pk}/customer_summary/", {"customer_summary": "长" * (CUSTOMER_SUMMARY_MAX + 1)}, follow=True)
    assert "Customer-visible summary: at most" in r.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == "您的话费问题已受理。"


def test_who_may_not_edit_it_is_not_offered_the_form(client, agent, auditor, order):
    client.force_login(auditor)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="customer-reads"' in page and "/customer_summary/" not in page
    client.post(f"/orders/{order.pk}/customer_summary/", {"customer_summary": "x"})  # refused, as any action is
    assert WorkOrder.objects.get(pk=order.pk).customer_summary == ""
    orders.cancel(agent, order.pk, reason="客户撤销")
    client.force_login(agent)
    assert "/customer_summary/" not in client.get(f"/orders/{order.pk}/").content.decode()
