"""An agent's call that flows (issue 13): walked with the test client as the demo agent works.
The contact in progress stays the agent's home: the caller's number carried over from the
lookup, back to the call after each order registered, a link to the call from every page, and
the outcome that fits; an unidentified caller can still have a consultation or complaint
registered, without any subscriber's data on the screen."""

import re

from kefu.contacts.models import Contact
from kefu.customers.models import Customer
from kefu.orders.models import WorkOrder

ON_A_CALL = "On a call"


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def _start(client, q, caller=None):
    page = client.get("/contacts/", {"q": q}).content.decode()
    prefilled = re.search(r'<input type="text" name="caller" value="([^"]*)"', page)
    r = client.post("/contacts/", {"channel": "hotline", "caller": caller if caller is not None else q})
    assert r.status_code == 302
    return prefilled.group(1) if prefilled else "", Contact.objects.get(pk=int(r["Location"].strip("/").split("/")[-1]))


def test_an_identified_caller(client, agent, customer):
    client.force_login(agent)
    page = client.get("/contacts/", {"q": f"+86 {customer.phone[:3]} {customer.phone[3:7]} {customer.phone[7:]}"}).content.decode()
    assert f'name="caller" value="{customer.phone}"' in page  # the number searched, as stored
    r = client.post("/contacts/", {"channel": "hotline", "caller": f"+86-{customer.phone}", "customer_id": customer.pk})
    contact = Contact.objects.get(customer=customer)
    assert contact.caller == customer.phone
    # The call is one click away from anywhere.
    queue = client.get("/orders/").content.decode()
    assert ON_A_CALL in queue and f'href="/contacts/{contact.pk}/"' in queue
    page = client.get(r["Location"]).content.decode()
    assert _selected(page, "outcome") == "answered"
    # Two orders in one call: each time back to the call, the order named with a link.
    numbers = []
    for title in ("套餐资费咨询", "话费多扣投诉"):
        r = client.post(f"/contacts/{contact.pk}/order/", {"title": title, "kind": "consultation", "severity": "general"}, follow=True)
        order = WorkOrder.objects.get(title=title)
        numbers.append(order.number)
        page = r.content.decode()
        assert r.redirect_chain == [(f"/contacts/{contact.pk}/", 302)]
        assert f'<a href="/orders/{order.pk}/">{order.number}</a> registered' in page
    listed = page.split('id="call-orders"')[1].split("</section>")[0]
    assert all(number in listed for number in numbers)
    assert _selected(page, "outcome") == "order_created"
    # The order page leads to its customer and to this call.
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/customers/?q={customer.customer_no}"' in page
    contacts_card = page.split('id="order-contacts"')[1].split("</section>")[0]
    assert f'href="/contacts/{contact.pk}/"' in contacts_card and "Hotline" in contacts_card and str(agent) in contacts_card
    client.post(f"/contacts/{contact.pk}/end/", {"summary": "两张工单", "outcome": "order_created"})
    assert ON_A_CALL not in client.get("/orders/").content.decode()


def test_the_lookup_page_carries_the_number_too(client, agent, customer):
    client.force_login(agent)
    page = client.get("/customers/", {"q": customer.phone}).content.decode()
    assert f'name="caller" value="{customer.phone}"' in page
    page = client.get("/customers/", {"q": customer.customer_no}).content.decode()
    assert 'name="caller" value=' not in page


def test_an_unidentified_caller(client, agent, customer):
    """The caller calls from the subscriber's number but cannot pass verification, or is no
    subscriber: a complaint is registered under the name and number they give."""
    client.force_login(agent)
    prefilled, contact = _start(client, f"+86 {customer.phone}", caller=f"+86 {customer.phone}")
    assert prefilled == customer.phone == contact.caller
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Unidentified caller: register a consultation or complaint" in page
    assert f'name="phone" value="{customer.phone}"' in page
    bad = client.post(f"/contacts/{contact.pk}/caller/", {"name": "李四", "phone": "12345"})
    assert bad.status_code == 422 and "Caller&#x27;s number: must be an 11-digit mobile number" in bad.content.decode()
    r = client.post(f"/contacts/{contact.pk}/caller/", {"name": "李四", "phone": customer.phone}, follow=True)
    page = r.content.decode()
    caller = Customer.objects.get(status="provisional")
    assert r.redirect_chain == [(f"/contacts/{contact.pk}/", 302)] and caller.name == "李四"
    # Nothing of the subscriber: not their file, their name, their services or their orders.
    assert customer.customer_no not in page and customer.masked_name not in page and "李*" in page
    assert "Verify the caller" not in page and "Unidentified caller" in page
    kinds = re.search(r'<select name="kind"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', kinds) == ["consultation", "complaint"]
    refused = client.post(f"/contacts/{contact.pk}/order/", {"title": "宽带断网", "kind": "fault"})
    assert refused.status_code == 422 and not WorkOrder.objects.exists()
    r = client.post(f"/contacts/{contact.pk}/order/", {"title": "营业员态度差", "kind": "complaint"}, follow=True)
    order = WorkOrder.objects.get()
    assert order.customer == caller and order.kind == "complaint"
    assert f'<a href="/orders/{order.pk}/">{order.number}</a> registered' in r.content.decode()
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Unidentified caller" in page and customer.customer_no not in page


def test_the_call_reads_chinese_throughout(client, settings, agent, customer):
    """The pages and messages of both paths, for a zh-Hans agent: no English word of Kefu's."""
    from django.utils import translation

    from tests.web.test_zh_pages import english_in, kefu_english

    settings.LANGUAGE_CODE = "zh-hans"
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    with translation.override("zh-hans"):
        english, found = kefu_english(), {}

        def read(what, r):
            found[what] = english_in(r.content.decode(), english)
            return r.content.decode()

        read("lookup", client.get("/contacts/", {"q": "13900001111"}))
        _prefilled, contact = _start(client, "13900001111")
        page = read("unidentified", client.get(f"/contacts/{contact.pk}/"))
        assert "未识别来电人：登记咨询或投诉" in page and "通话中" in page
        page = read("bad number", client.post(f"/contacts/{contact.pk}/caller/", {"name": "李四", "phone": "123"}))
        assert "来电号码：" in page
        page = read("registered", client.post(f"/contacts/{contact.pk}/caller/", {"name": "李四", "phone": "13900001111"}, follow=True))
        assert "未建档来电人" in page and "本次通话的工单" in page
        page = read("refused", client.post(f"/contacts/{contact.pk}/order/", {"title": "营业员态度差", "kind": "fault"}))
        page = read("order", client.post(f"/contacts/{contact.pk}/order/", {"title": "营业员态度差", "kind": "complaint"}, follow=True))
        order = WorkOrder.objects.get()
        assert f"工单 <a href=\"/orders/{order.pk}/\">{order.number}</a> 已登记" in page
        page = read("order page", client.get(f"/orders/{order.pk}/"))
        assert "接触记录" in page and "未建档来电人" in page
    assert {what: words for what, words in found.items() if words} == {}


def test_an_unidentified_caller_is_matched_to_their_file_from_the_call(client, agent, customer):
    """Later in the call (or on a call back) the caller's customer file is found: the agent
    matches it on the contact screen by its customer number, and what was registered moves."""
    client.force_login(agent)
    _prefilled, contact = _start(client, "13900001234")
    client.post(f"/contacts/{contact.pk}/caller/", {"name": "王五", "phone": "13900001234"})
    client.post(f"/contacts/{contact.pk}/order/", {"title": "咨询5G套餐", "kind": "consultation"})
    caller = Customer.objects.get(status="provisional")
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert 'id="match-caller"' in page
    wrong = client.post(f"/contacts/{contact.pk}/match/", {"customer_no": "C9999999999"}, follow=True)
    assert "no customer with this id" in wrong.content.decode()
    caller.refresh_from_db()
    assert caller.status == "provisional"
    r = client.post(f"/contacts/{contact.pk}/match/", {"customer_no": customer.customer_no.lower()}, follow=True)
    assert f"moved to customer file {customer.customer_no}" in r.content.decode()
    caller.refresh_from_db()
    contact.refresh_from_db()
    assert caller.status == "matched" and contact.customer == customer
    assert WorkOrder.objects.get(title="咨询5G套餐").customer == customer
    assert 'id="match-caller"' not in r.content.decode()
