"""Error pages: 400/403/404/500 inside the layout a person was using (staff with the menu, the
portal in its own), in Chinese for a zh-Hans reader; the API answers every error in its JSON
error shape, also where no operation was reached (an unknown path, a non-numeric id, a method
the path does not take, a crash)."""

import json
import re

import pytest
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import get_resolver, path
from django.utils.functional import SimpleLazyObject

import kefu.urls
from kefu.staff import roles
from tests.portal.conftest import sign_in  # noqa: F401  (fixture)
from tests.web.test_zh_pages import english_in, kefu_english


def _boom(request):
    raise RuntimeError("boom")


def _suspicious(request):
    raise SuspiciousOperation("tampered")


# A urlconf with views that fail, and kefu.urls' handlers (test_500_… uses it).
urlpatterns = [path("boom/", _boom), path("api/v1/boom", _boom), path("portal/boom/", _boom),
               path("suspicious/", _suspicious), *kefu.urls.urlpatterns]
handler400, handler403, handler404, handler500 = (
    getattr(kefu.urls, f"handler{status}", f"django.views.defaults.{name}")
    for status, name in [(400, "bad_request"), (403, "permission_denied"), (404, "page_not_found"), (500, "server_error")])


@pytest.fixture
def zh(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def _staff(client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _text(response):
    return response.content.decode()


def _without_csrf(response):
    text = re.sub(r'"X-CSRFToken": "[^"]*"', "", _text(response))
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r"/orders/\d+/", "/orders/N/", text)  # the address asked for, e.g. in a form's "next"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/orders/999999/", "/no/such/page/", "/contacts/999999/"])
def test_a_staff_404_is_a_chinese_page_in_the_layout(client, zh, agent, url):
    r = _staff(client, agent).get(url)
    assert r.status_code == 404
    html = _text(r)
    assert 'href="/queue/mine/"' in html and 'href="/customers/"' in html  # the menu is there
    assert "页面不存在" in html and "未找到或不在您的数据范围内" in html
    assert 'href="/"' in html  # a way home
    assert english_in(html, kefu_english()) == []
    assert "Not Found" not in html


@pytest.mark.django_db
def test_out_of_scope_reads_exactly_like_missing(client, zh, make_user, order):
    # A handler of another department sees nothing of an order not theirs.
    outsider = make_user(roles.TECH_SUPPORT, "billing")
    _staff(client, outsider)
    hidden, missing = client.get(f"/orders/{order.pk}/"), client.get("/orders/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert "未找到或不在您的数据范围内" in _text(hidden)
    assert _without_csrf(hidden) == _without_csrf(missing)


@pytest.mark.django_db
def test_an_anonymous_404_has_the_layout_without_the_menu(client, zh):
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    html = _text(r)
    assert "kefu/kefu.css" in html and "页面不存在" in html
    assert 'href="/queue/mine/"' not in html


@pytest.mark.django_db
def test_a_portal_404_uses_the_portal_layout(client, zh, customer, sign_in):  # noqa: F811
    r = client.get("/portal/no/such/page/")
    assert r.status_code == 404
    assert "portal/portal.css" in _text(r) and "kefu/kefu.css" not in _text(r)
    assert "页面不存在" in _text(r)

    sign_in(customer)
    r = client.get("/portal/orders/999999/")
    html = _text(r)
    assert r.status_code == 404
    assert "portal/portal.css" in html and 'href="/portal/new/"' in html  # signed in: the portal's menu
    assert "页面不存在" in html and 'href="/portal/"' in html
    assert english_in(html, kefu_english()) == []


@pytest.mark.django_db
def test_the_board_refuses_an_agent_with_a_403_page_in_the_layout(client, zh, agent):
    r = _staff(client, agent).get("/board/")
    assert r.status_code == 403
    html = _text(r)
    assert "没有权限" in html and 'href="/queue/mine/"' in html and 'href="/"' in html
    assert english_in(html, kefu_english()) == []


def _api_error(r, status, code):
    assert r.status_code == status
    assert r["Content-Type"].startswith("application/json")
    body = json.loads(r.content)
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/orders/abc", "/api/v1/nope", "/api/v1/orders/1/nope", "/api/v1/"])
def test_the_api_answers_json_where_no_operation_is_reached(api_client, agent, url):
    body = _api_error(api_client(agent).get(url.removeprefix("/api/v1")), 404, "not_found")
    assert body["message"] == "Not found, or not within your data scope."


@pytest.mark.django_db
def test_api_errors_are_json_in_the_callers_language(client, zh):
    body = _api_error(client.get("/api/v1/orders/abc"), 404, "not_found")
    assert body["message"] == "未找到或不在您的数据范围内。"


def test_an_operation_raising_http404_answers_in_the_api_shape():
    from kefu.api import api

    r = api.on_exception(RequestFactory().get("/api/v1/orders/1"), Http404("order 1 of region X"))
    body = _api_error(r, 404, "not_found")
    assert "region" not in body["message"]


@pytest.mark.django_db
def test_a_method_the_api_path_does_not_take_is_json(api_client, agent, order):
    r = api_client(agent).delete(f"/orders/{order.pk}")
    _api_error(r, 405, "method_not_allowed")
    assert set(r["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_500_and_400_pages_and_their_api_answers(client, zh):
    client = Client(raise_request_exception=False)
    r = client.get("/boom/")
    assert r.status_code == 500
    html = _text(r)
    assert "kefu/kefu.css" in html and "服务器出错" in html and 'href="/"' in html
    assert english_in(html, kefu_english()) == []
    r = client.get("/portal/boom/")
    assert r.status_code == 500 and "portal/portal.css" in _text(r)
    _api_error(client.get("/api/v1/boom"), 500, "server_error")
    r = client.get("/suspicious/")
    assert r.status_code == 400 and "请求有误" in _text(r)


@pytest.mark.django_db
def test_the_500_page_reads_nothing_that_may_have_failed(django_assert_num_queries, zh):
    def unreadable():
        raise AssertionError("the 500 page must not load the user")

    request = RequestFactory().get("/orders/1/")
    request.user = SimpleLazyObject(unreadable)
    with django_assert_num_queries(0):
        r = get_resolver().resolve_error_handler(500)(request)
    assert r.status_code == 500 and "服务器出错" in r.content.decode()
