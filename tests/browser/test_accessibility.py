"""Accessibility of every main page, in both languages' default (zh-Hans) and as a user sees it
with data: axe-core's WCAG 2.1 A and AA rules (labels, names, contrast, landmarks, ARIA…) find
no violation. Keyboard use is exercised by the story and the smoke test."""

import re

import pytest

from ..conftest import mobile, resident_id
from .conftest import log_in

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need the playwright package (pip install -e '.[test]') and a Chromium "
           "(apt-get install chromium, or set KEFU_CHROMIUM=/path/to/chromium)",
).expect
axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="needs axe-playwright-python (pip install -e '.[test]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]}


@pytest.fixture
def world(db):
    """The demo staff, a customer with a service, and orders waiting for them and resolved."""
    from kefu.contacts import services as contacts
    from kefu.customers import services as customers
    from kefu.demo.org import ensure_knowledge, ensure_org
    from kefu.orders import services as orders
    from kefu.staff.models import User

    ensure_org()
    admin, agent = User.objects.get(username="admin"), User.objects.get(username="agent")
    handler = User.objects.get(username="handler")
    customer = customers.create_customer(admin, name="刘晓梅", id_number=resident_id(4343), phone=mobile(4343), province="广东",
                                         city="广州", address="广东省广州市天河区体育西路1号", service_password="135790")
    sub = customers.create_subscription(admin, customer_id=customer.pk, service_number=mobile(4343), product="mobile",
                                        opened_on="2023-05-01")
    made = {}
    for key, title in (("waiting", "家里宽带每晚断线"), ("resolved", "本月话费多扣了20元")):
        o = orders.create_order(agent, kind="complaint", title=title, customer_id=customer.pk, subscription_id=sub.pk,
                                channel="hotline", description="客户来电反映")
        orders.accept(agent, o.pk)
        orders.assign(agent, o.pk, handler_id=handler.pk)
        orders.start(handler, o.pk)
        orders.add_comment(handler, o.pk, note="已联系网络部核查")
        if key == "waiting":
            orders.wait_for_customer(handler, o.pk, reason="请提供光猫背面的序列号")
        else:
            orders.resolve(handler, o.pk, resolution="已退还误扣的20元")
        made[key] = o.pk
    ensure_knowledge()
    contact = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk, caller=customer.phone)
    return {"customer": customer, "contact": contact.pk, **made}


def _check(page, where, found):
    results = axe.Axe().run(page, options=WCAG)
    if results.violations_count:
        found.append(f"== {where}\n{results.generate_report()}")


def test_main_pages_meet_wcag_2_1_aa(page, live_server, world):
    found = []
    page.goto("/login/")
    _check(page, "login", found)
    log_in(page, "agent", "kefu-agent")
    customer = world["customer"]
    for path in ("/", "/queue/mine/", "/queue/open/?sla=none", f"/customers/?q={customer.phone}", f"/contacts/?q={customer.phone}",
                 f"/contacts/{world['contact']}/", f"/orders/{world['waiting']}/", "/knowledge/?q=宽带断线", "/preferences/"):
        assert page.goto(path).ok, path
        page.wait_for_load_state("load")
        _check(page, path, found)
    log_in(page, "supervisor", "kefu-supervisor")
    page.goto("/board/")
    page.wait_for_function("() => document.getElementById('board').dataset.loaded !== undefined")
    _check(page, "/board/", found)
    from django.utils import timezone

    from kefu.reports import rollups

    rollups.rebuild()
    today = timezone.localdate()
    for path in (f"/reports/?period={today:%Y-%m}", f"/reports/complaints/?period={today:%Y-%m}&cause=cmp-billing"):
        assert page.goto(path).ok, path
        page.wait_for_load_state("load")
        _check(page, path, found)

    from kefu.contacts.models import SmsMessage

    page.context.clear_cookies()
    page.goto("/portal/login/")
    _check(page, "/portal/login/", found)
    page.fill("#id_phone", customer.phone)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _check(page, "/portal/login/code/", found)
    page.fill("#id_code", re.search(r"\b\d{6}\b", SmsMessage.objects.latest("id").text).group(0))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for path in ("/portal/", f"/portal/orders/{world['waiting']}/", f"/portal/orders/{world['resolved']}/", "/portal/new/"):
        assert page.goto(path).ok, path
        _check(page, path, found)
    expect(page.locator("body")).to_contain_text("刘*")  # signed in as the customer (masked)
    assert found == [], "\n".join(found)
