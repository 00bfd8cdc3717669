"""The main story in Chromium: an agent takes a call, verifies the caller and opens a complaint;
it is dispatched on arrival; the handler resolves it; the customer confirms and rates it on the
portal; the supervisor board shows it."""

import re

import pytest

from kefu.orders.models import Status, WorkOrder

from ..conftest import mobile, resident_id
from .conftest import log_in

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need the playwright package (pip install -e '.[test]') and a Chromium "
           "(apt-get install chromium, or set KEFU_CHROMIUM=/path/to/chromium)",
).expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo(db):
    from kefu.customers import services as customers
    from kefu.demo.org import ensure_org
    from kefu.staff.models import User

    ensure_org()
    admin = User.objects.get(username="admin")
    customer = customers.create_customer(admin, name="刘晓梅", id_number=resident_id(4242), phone=mobile(4242), province="广东",
                                         city="广州", address="广东省广州市天河区体育西路1号", service_password="135790")
    customers.create_subscription(admin, customer_id=customer.pk, service_number=mobile(4242), product="mobile", opened_on="2023-05-01")
    return customer


def test_call_verify_register_dispatch_resolve_and_board(page, live_server, demo):
    customer = demo
    log_in(page, "agent", "kefu-agent")

    # The call: look the caller up by number, open the contact; identity is masked.
    page.goto(f"/contacts/?q={customer.phone}")
    page.get_by_role("button", name="Start the contact with this customer").click()
    expect(page.locator("main")).to_contain_text(customer.masked_id_number)
    expect(page.locator("main")).not_to_contain_text(customer.id_number)

    # Verify by service password: now the file is shown in full.
    page.select_option("#id_method", "service_password")
    page.fill("#id_secret", "135790")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("main")).to_contain_text(customer.id_number)

    # Register the complaint, taking the triage suggestion in one click.
    page.wait_for_load_state("load")  # htmx (deferred) bound to the form before the agent types
    page.fill("#id_title", "本月话费多扣了20元，乱扣费，要求退还")
    suggestion = page.get_by_role("button", name="Use the suggestion")
    expect(suggestion).to_be_visible(timeout=10000)
    suggestion.click()
    page.select_option("#id_kind", "complaint")
    page.get_by_role("button", name="Register the work order").click()
    page.wait_for_url("**/contacts/*/")  # the call stays the agent's home
    order = WorkOrder.objects.get(title__startswith="本月话费多扣了20元")
    assert order.status in (Status.ASSIGNED, Status.ACCEPTED) and order.department is not None  # dispatched on arrival
    page.locator(".messages").get_by_role("link", name=order.number).click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    expect(page.locator("h1")).to_contain_text(order.number)

    # The handler resolves it from the order page.
    handler = order.handler
    assert handler is not None, "the department's strategy assigned someone"
    handler.set_password("handler-pass-1")
    handler.save()
    log_in(page, handler.username, "handler-pass-1")
    page.goto(f"/orders/{order.pk}/")
    page.locator("form[action$='/start/']").locator("xpath=..").locator("summary").click()
    page.locator("form[action$='/start/'] button[type=submit]").click()
    page.locator("summary", has_text="Resolve").click()
    page.fill("form[action$='/resolve/'] textarea[name=resolution]", "已核实并退还误扣的20元")
    page.locator("form[action$='/resolve/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("已核实并退还误扣的20元")
    order.refresh_from_db()
    assert order.status == Status.RESOLVED

    # The customer signs in on the portal with an SMS code, confirms and rates 9.
    from kefu.contacts.models import SmsMessage

    page.context.clear_cookies()
    page.goto("/portal/login/")
    page.fill("#id_phone", customer.phone)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/portal/login/code/")
    code = re.search(r"\b\d{6}\b", SmsMessage.objects.latest("id").text).group(0)
    page.fill("#id_code", code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main")).to_contain_text(order.number)
    page.goto(f"/portal/orders/{order.pk}/")
    page.get_by_label("Yes, it is solved").check()
    page.locator("input[name=score][value='9']").check()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("main")).to_contain_text("Thank you for your feedback")
    order.refresh_from_db()
    assert (order.status, order.satisfaction) == (Status.CONFIRMED, 9)

    # The supervisor board counts it among today's orders, and its score in today's satisfaction.
    log_in(page, "supervisor", "kefu-supervisor")
    page.goto("/board/")
    expect(page.locator("#board-lists")).to_contain_text("registered today")
    page.wait_for_function("() => document.getElementById('board').dataset.loaded !== undefined")
    chart = "() => echarts.getInstanceByDom(document.querySelector('[data-chart=%s]')).getOption().series[0].data.at(-1)"
    assert page.evaluate(chart % "created") >= 1
    assert page.evaluate(chart % "satisfaction") == 9
    # A tooltip, as a pointer shows it: drawn on the canvas (it names the series, which nothing
    # else on the chart does), with no inline style for the policy to block.
    shown = ("() => { const c = echarts.getInstanceByDom(document.querySelector('[data-chart=created]'));"
             " const name = c.getOption().series[0].name;"
             " return c.getZr().storage.getDisplayList().some(el => String(el.style && el.style.text || '').includes(name)); }")
    assert page.evaluate(shown) is False
    page.evaluate("() => { const c = echarts.getInstanceByDom(document.querySelector('[data-chart=created]'));"
                  " c.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: c.getOption().series[0].data.length - 1}); }")
    page.wait_for_function(shown)
