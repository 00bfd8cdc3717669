"""Smoke tests in Chromium: the login → home flow by keyboard, and the vendored libraries load
and run from Kefu's own static files."""

import pytest

from kefu.staff import roles

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need the playwright package (pip install -e '.[test]') and a Chromium "
           "(apt-get install chromium, or set KEFU_CHROMIUM=/path/to/chromium)",
).expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Each vendored script and the global it defines.
VENDORED = {"htmx.min.js": "htmx", "echarts.min.js": "echarts"}


def test_log_in_with_the_keyboard_and_see_the_home_page(page, live_server, make_user):
    user = make_user(roles.AGENT)
    page.goto("/")
    page.wait_for_url("**/login/?next=/")  # not logged in: sent to the login form

    expect(page.locator("#id_username")).to_be_focused()  # autofocus: start typing at once
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("pw")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#id_password")).to_have_count(0)
    expect(page.locator("header")).to_contain_text(str(user))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The vendored scripts are served to the browser, from Kefu itself.
    for name in VENDORED:
        r = page.request.get(f"/static/kefu/vendor/{name}")
        assert r.status == 200, name
        assert r.headers["content-type"].startswith("text/javascript"), name

    # Whichever of them the page loads (base.html: <script … defer>) must have run.
    loaded = page.eval_on_selector_all("script[src]", "els => els.map(e => new URL(e.src).pathname)")
    for name, global_name in VENDORED.items():
        if f"/static/kefu/vendor/{name}" in loaded:
            page.wait_for_function(f"() => window.{global_name} !== undefined")
    if "/static/kefu/vendor/htmx.min.js" in loaded:
        assert page.evaluate("htmx.version").startswith("2.")


def test_vendored_libraries_run_in_chromium(page, live_server):
    # A blank page of Kefu's origin, so the scripts come from the live server like any page's.
    page.route(f"{live_server.url}/__blank__", lambda route: route.fulfill(
        content_type="text/html", body='<!doctype html><div id="chart" style="width:400px;height:300px"></div>'))
    page.goto("/__blank__")
    for name in VENDORED:
        page.add_script_tag(url=f"/static/kefu/vendor/{name}")

    assert page.evaluate("htmx.version") == "2.0.11"
    assert page.evaluate("echarts.version") == "6.1.0"
    page.evaluate("""() => echarts.init(document.getElementById('chart'))
        .setOption({xAxis: {data: ['a', 'b']}, yAxis: {}, series: [{type: 'bar', data: [1, 2]}]})""")
    expect(page.locator("#chart canvas")).to_have_count(1)


def test_the_admin_and_the_api_docs_run_under_the_content_security_policy(page, live_server, django_user_model):
    # The page fixture fails the test on anything the policy blocks (a console report).
    django_user_model.objects.create_superuser("root", password="Root-pass-2026")
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "Root-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    # A list, forms with select and date widgets, and a change form with inlines (their scripts).
    for path in ("/admin/orders/workorder/", "/admin/routing/dispatchrule/add/", "/admin/knowledge/article/add/",
                 "/admin/sla/slapolicy/1/change/"):
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # drawn by its scripts, so they ran
