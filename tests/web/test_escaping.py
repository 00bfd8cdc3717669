"""Text that staff and customers type is data, never markup or SQL: script entered in text fields
comes back escaped in every page that shows it (the admin's change lists and forms, the landing
page), and SQL fragments are stored and returned verbatim through the API, with the tables
still there. Customer names are masked in pages, so the markup that must show escaped is put in
fields shown in full (order title and description, comments, contact summary, city)."""

from urllib.parse import urlencode

import pytest
from django.db import connection

from kefu.customers.models import Customer
from kefu.orders.models import WorkOrder
from tests.conftest import mobile, resident_id

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG = '<img src=x onerror="alert(2)">'
IMG_ESCAPED = "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"
BOLD = "<b onclick=alert(3)>看这里</b>"  # fits district (30 characters) on PostgreSQL
BOLD_ESCAPED = "&lt;b onclick=alert(3)&gt;看这里&lt;/b&gt;"
RAW = [SCRIPT, IMG, BOLD, "<script>alert", "<img src=x", "<b onclick"]  # whole, or the start of a tag

DROP = "'; DROP TABLE orders_workorder; --"
OR_TRUE = '" OR 1=1 --'
QUOTE_OR = "' OR '1'='1"


@pytest.fixture
def admin_client(client, make_user):
    user = make_user("administrator")
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def marked_up(agent):
    """A customer, an order with a comment, and a contact, each with markup in its text fields."""
    from kefu.contacts import services as contacts
    from kefu.customers import services as customers
    from kefu.orders import services as orders

    c = customers.create_customer(agent, name=SCRIPT, id_number=resident_id(777), phone=mobile(777), province="广东",
                                  city=SCRIPT, district=BOLD, service_password="246810")
    o = orders.create_order(agent, kind="complaint", title=SCRIPT, description=IMG, customer_id=c.pk, channel="hotline")
    orders.add_comment(agent, o.pk, note=BOLD)
    contact = contacts.open_contact(agent, channel="hotline", customer_id=c.pk, summary=SCRIPT)
    return {"customer": c, "order": o, "contact": contact}


def _page(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    assert r["Content-Type"].startswith("text/html")
    return r.content.decode()


def _no_raw_markup(page, url):
    for raw in RAW:
        assert raw not in page, (url, raw)


def test_markup_is_escaped_in_the_admin_lists_and_forms(admin_client, marked_up):
    o, c, contact = marked_up["order"], marked_up["customer"], marked_up["contact"]
    pages = {
        "/admin/orders/workorder/": [SCRIPT_ESCAPED],                     # title column
        f"/admin/orders/workorder/{o.pk}/change/": [SCRIPT_ESCAPED, IMG_ESCAPED, BOLD_ESCAPED],  # + events inline
        "/admin/customers/customer/": [SCRIPT_ESCAPED],                   # city column; the name is masked
        f"/admin/customers/customer/{c.pk}/change/": [SCRIPT_ESCAPED, BOLD_ESCAPED],
        "/admin/contacts/contact/": [],                                   # the customer, masked
        f"/admin/contacts/contact/{contact.pk}/change/": [SCRIPT_ESCAPED],  # the summary
    }
    for url, escaped in pages.items():
        page = _page(admin_client, url)
        _no_raw_markup(page, url)
        for text in escaped:
            assert text in page, (url, text)


def test_a_changelist_search_for_markup_is_escaped_too(admin_client, marked_up):
    url = "/admin/orders/workorder/?" + urlencode({"q": SCRIPT})
    page = _page(admin_client, url)
    _no_raw_markup(page, url)
    assert marked_up["order"].number in page  # found, and the search box shows the term escaped


def test_markup_in_a_staff_name_is_escaped_on_the_landing_page(client, make_user):
    user = make_user("agent")
    user.display_name = SCRIPT
    user.save()
    client.force_login(user)
    page = _page(client, "/")
    _no_raw_markup(page, "/")
    assert SCRIPT_ESCAPED in page


def test_the_api_returns_markup_as_json_text_that_browsers_do_not_sniff(api_client, agent, marked_up):
    r = api_client(agent).get(f"/orders/{marked_up['order'].pk}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json") and r["X-Content-Type-Options"] == "nosniff"
    assert (r.json()["title"], r.json()["description"]) == (SCRIPT, IMG)  # data, exactly as typed


def test_sql_fragments_are_stored_and_returned_verbatim(api_client, agent, customer, subscription):
    api = api_client(agent)
    r = api.post("/orders", {"kind": "complaint", "title": DROP, "description": OR_TRUE, "customer_id": customer.pk,
                             "subscription_id": subscription.pk, "channel": "hotline"})
    assert r.status_code == 201, r.content
    oid = r.json()["id"]
    other = api.post("/orders", {"kind": "consultation", "title": "宽带资费咨询", "customer_id": customer.pk, "channel": "hotline"})
    assert other.status_code == 201, other.content

    got = api.get(f"/orders/{oid}").json()
    assert (got["title"], got["description"]) == (DROP, OR_TRUE)

    r = api.post(f"/orders/{oid}/comments", {"note": QUOTE_OR + "; DELETE FROM customers_customer; --"})
    assert r.status_code == 201 and r.json()["note"] == QUOTE_OR + "; DELETE FROM customers_customer; --"

    contact = api.post("/contacts", {"channel": "hotline", "customer_id": customer.pk, "summary": DROP}).json()
    r = api.patch(f"/contacts/{contact['id']}", {"version": contact["version"], "summary": OR_TRUE})
    assert r.status_code == 200 and r.json()["summary"] == OR_TRUE

    # Searches take the fragments as text: they match what contains them, nothing else.
    def search(path, **query):
        r = api.get(path + "?" + urlencode(query))
        assert r.status_code == 200, r.content
        return r.json()

    found = search("/orders", q=DROP)
    assert [o["id"] for o in found["results"]] == [oid]
    assert search("/orders", q=OR_TRUE)["count"] == 0  # only in the description, which q does not search
    assert search("/orders", q=QUOTE_OR)["count"] == 0
    assert search("/customers", q=QUOTE_OR)["count"] == 0
    assert search("/customers", q=OR_TRUE)["count"] == 0

    # Nothing was dropped or deleted.
    tables = connection.introspection.table_names()
    assert "orders_workorder" in tables and "customers_customer" in tables
    assert WorkOrder.objects.count() == 2 and Customer.objects.filter(pk=customer.pk).exists()
