"""Tests in a real browser: Playwright's sync API drives the system's Chromium against
pytest-django's live server (decision 0016).

Playwright never downloads a browser here: it launches the Chromium of the operating system,
`/usr/bin/chromium` (Debian/Ubuntu: `apt-get install chromium`) or whatever KEFU_CHROMIUM
names. Without one, or without the playwright package, these tests skip and say so.

Every page is confined to the live server: a request to any other origin is aborted and fails
the test, since operators' intranets reach no CDN; so do an uncaught JavaScript error and a
script, style sheet, font or image of the page that does not load, and anything the
Content-Security-Policy blocks (Chromium reports it on the console).
"""

import os
from pathlib import Path

import pytest

DEFAULT_CHROMIUM = "/usr/bin/chromium"
HOW_TO_INSTALL = ("install one with `apt-get install chromium` (Debian/Ubuntu), "
                  "or set KEFU_CHROMIUM=/path/to/chromium")


# A page's own files: one of them answering 404 or 500 fails the test.
SUBRESOURCES = {"script", "stylesheet", "font", "image"}


def chromium_path() -> str:
    return os.environ.get("KEFU_CHROMIUM") or DEFAULT_CHROMIUM


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests of this package.

    Playwright's sync API runs an asyncio event loop for this thread (in a greenlet) from
    `start()` to `stop()`, and `asyncio.get_running_loop()` answers in the test's code too.
    Django reacts in two ways, both handled here for exactly that span:

    - Its async-safety guard refuses every ORM call in the thread (SynchronousOnlyOperation):
      the test's own setup and pytest-django's flush. No coroutine ever runs our ORM code (the
      loop only waits for Playwright's answers while the test is blocked in a call), so the
      guard is switched off with DJANGO_ALLOW_ASYNC_UNSAFE.
    - Its connections are thread-local outside a loop but context-local inside one, so the
      test would get a second connection object, without the serialized database contents
      that transactional tests restore: data migrations' rows would be lost and the next
      serialized test would fail. The same connection objects are registered for the loop's
      context, and removed again before Playwright stops.

    The browser is package-scoped, not session-scoped, so that Playwright has stopped, its
    loop is gone and the variable is restored before any test outside tests/browser runs.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        pytest.skip("browser tests need the playwright package (`pip install -e '.[test]'`) and a Chromium: "
                    + HOW_TO_INSTALL)
    path = chromium_path()
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"browser tests need Chromium, and {path} is not there: {HOW_TO_INSTALL}")

    from django.db import connections

    outside = {alias: connections[alias] for alias in connections}  # the wrappers only: no query
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        for alias, connection in outside.items():
            connections[alias] = connection  # now in the loop's context: the same objects
        chromium = playwright.chromium.launch(executable_path=path, headless=True)
        yield chromium
        chromium.close()
    finally:
        for alias in outside:
            try:
                del connections[alias]  # from the loop's context only: the loop still runs
            except AttributeError:
                pass
        playwright.stop()
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def page(request, browser, live_server, django_db_serialized_rollback, transactional_db):
    """A fresh page (own cookies) whose relative URLs go to the live server.

    The live server runs in another thread, so it sees the test's rows only when they are
    committed: hence transactional_db, flushed after each test. As in the other transactional
    tests, with serialized rollback: the flush would otherwise take the rows the migrations
    wrote (roles, category tree, calendars, policies) away from the tests that follow.
    Browser test modules say so in their marker too, `django_db(transaction=True,
    serialized_rollback=True)`, since a marker's arguments override this fixture."""
    marker = request.node.get_closest_marker("django_db")
    if marker and not (marker.kwargs.get("transaction") and marker.kwargs.get("serialized_rollback")):
        pytest.fail("browser tests need @pytest.mark.django_db(transaction=True, serialized_rollback=True)")
    base = live_server.url
    context = browser.new_context(base_url=base, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    outside, errors, broken, blocked = [], [], [], []

    def elsewhere(url: str) -> bool:
        return not (url == base or url.startswith(base + "/"))

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    context.route(elsewhere, refuse)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(f"{page.url}: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type in SUBRESOURCES
            and broken.append(f"{r.status} {r.url}"))
    yield page
    context.close()
    assert outside == [], f"the page asked for something outside Kefu: {outside}"
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert broken == [], f"scripts, styles, fonts or images that did not load: {broken}"
    assert blocked == [], f"what the Content-Security-Policy blocked: {blocked}"



def log_in(page, username, password):
    """Sign in to the staff pages with the keyboard, as a new session."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#id_password")).to_have_count(0)  # signed in: the home page, not the form again
