"""Everything a zh-Hans user reads is Chinese: every main page (staff and portal) and the common
API errors, rendered in zh-Hans, show no English word that comes from Kefu's own catalogue, its
time-limit targets, or its order kinds, severities and rule names."""
import gettext
import json
import re
from pathlib import Path

import pytest
from django.utils import translation

from kefu.orders.models import Kind, Severity
from kefu.routing.models import DispatchRule
from kefu.sla.models import Metric
from kefu.staff.models import User
from kefu.triage.models import TriageRule
from tests.portal.conftest import sign_in  # noqa: F401  (fixture)

KEFU_MO = Path(__file__).resolve().parents[2] / "src/kefu/locale/zh_Hans/LC_MESSAGES/django.mo"
# Words a Chinese page may show as they are: names, acronyms, the other language in its own name.
ALLOWED = {"API", "ID", "IP", "SMS", "HTTP", "JSON", "GD", "English", "Kefu", "HTMX", "CSV", "OpenAPI", "SHA", "PDF",
           "URL", "POST", "GET", "Accept", "HTML", "UTC", "ECharts"}


def _words(text):
    return set(re.findall(r"[A-Za-z][A-Za-z_]+", text))


def kefu_english():
    """Every English word Kefu could show: its msgids, its codes, its seeded rules' names."""
    with open(KEFU_MO, "rb") as f:
        msgids = [k[0] if isinstance(k, tuple) else k for k in gettext.GNUTranslations(f)._catalog]
    words = set()
    for msgid in msgids:
        words |= _words(re.sub(r"%\(\w+\)s|\{\w+\}", " ", msgid.split("\x04")[-1]))
    for choices in (Metric, Kind, Severity):
        words |= set(choices.values)
    for rule in [*TriageRule.objects.all(), *DispatchRule.objects.all()]:
        words |= _words(rule.name)
    usernames = set(User.objects.values_list("username", flat=True))  # people's logins are data
    return words - ALLOWED - usernames


def visible_text(html):
    """What a reader sees (and hears: titles, labels), less code shown as code (commands) and
    time-zone identifiers (Asia/Shanghai), which are names in no language."""
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    # An option shown as its own value is an identifier (time zones without a slash: GB, UTC).
    html = re.sub(r'<option value="([^"]+)"[^>]*>\s*\1\s*</option>', " ", html)
    attrs = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html) + " " + attrs
    return re.sub(r"\b[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+", " ", text)


def english_in(html, english):
    if html.lstrip().startswith("{"):  # an API error: its message is what people read
        html = json.loads(html)["message"]
    return sorted(_words(visible_text(html)) & english)


def _none_left(found):
    left = {p: w for p, w in found.items() if w}
    assert not left, "English on zh-Hans pages:\n" + "\n".join(f"{p}: {' '.join(w)}" for p, w in left.items())


@pytest.fixture
def zh(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def _staff(client, user):
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_staff_pages_show_no_english(client, zh, agent, supervisor, order, customer):
    english = kefu_english()
    found = {}
    web = _staff(client, supervisor)
    from kefu.contacts import services as contacts
    call = contacts.open_contact(supervisor, channel="hotline", caller=customer.phone, customer_id=customer.pk)
    for path in ["/", f"/contacts/{call.pk}/", "/queue/mine/", "/queue/department/", "/queue/open/", f"/orders/{order.pk}/",
                 f"/customers/?q={customer.phone}", "/contacts/", "/knowledge/", "/board/", "/preferences/",
                 "/suggest/?title=再不解决我要去工信部投诉&description=宽带无法上网",
                 "/api/v1/orders/999999999"]:
        r = web.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code in (200, 404), (path, r.status_code)
        found[path] = english_in(r.content.decode(), english)
    _none_left(found)


@pytest.mark.django_db
def test_portal_pages_show_no_english(client, zh, sign_in, customer, order):  # noqa: F811
    english = kefu_english()
    found = {"/portal/login/": english_in(client.get("/portal/login/").content.decode(), english)}
    sign_in(customer)
    for path in ["/portal/", "/portal/new/", f"/portal/orders/{order.pk}/"]:
        r = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code == 200, path
        found[path] = english_in(r.content.decode(), english)
    _none_left(found)


@pytest.mark.django_db
def test_api_refusals_are_chinese_throughout(zh, api_client, agent, customer):
    api = api_client(agent)
    english = kefu_english() | {"Field", "required", "String", "should", "have", "most", "characters", "valid",
                                "integer", "Input"}
    missing = api.post("/orders", {"kind": "complaint", "channel": "hotline"})
    too_long = api.post("/orders", {"kind": "complaint", "channel": "hotline", "customer_id": customer.pk, "title": "标" * 300})
    not_a_number = api.get("/orders?page=abc")
    bodies = {"missing": missing, "too long": too_long, "not a number": not_a_number}
    found = {}
    for what, r in bodies.items():
        assert r.status_code == 422, (what, r.content)
        body = r.json()
        said = " ".join([body["message"]] + [f["message"] for f in body["fields"]])
        found[what] = sorted(_words(said) & english)
    _none_left(found)
    fields = {f["field"]: f["message"] for f in missing.json()["fields"]}
    assert fields["title"] == "必填"
    assert {f["field"]: f["message"] for f in too_long.json()["fields"]}["title"] == "最多 200 个字符"


@pytest.mark.django_db
def test_refusals_on_the_order_page_name_fields_by_their_labels(client, zh, supervisor, order):
    web = _staff(client, supervisor)
    merged = web.post(f"/orders/{order.pk}/merge/", {"into_id": order.pk, "reason": "重复"}, follow=True)
    commented = web.post(f"/orders/{order.pk}/comment/", {"note": " ", "visibility": "internal"}, follow=True)
    said = [str(m) for r in (merged, commented) for m in r.context["messages"]]
    assert len(said) == 2, said
    assert not any(re.search(r"\b(into_id|note)\b", m) for m in said), said
    assert "备注：" in said[1], said


@pytest.mark.django_db
def test_labels_end_in_a_full_width_colon_unless_they_end_in_a_question_mark(client, zh, agent):
    page = _staff(client, agent).get("/preferences/").content.decode()
    assert ">语言：</label>" in page and ">时区：</label>" in page
    assert ":</label>" not in page

    from kefu.portal.forms import FeedbackForm
    asked = str(FeedbackForm()["confirmed"].label_tag())
    assert asked.endswith("？</label>"), asked


@pytest.mark.django_db
def test_time_zones_start_with_beijing_time_and_the_operators_zones(client, zh, agent):
    page = _staff(client, agent).get("/preferences/").content.decode()
    zones = re.findall(r'<option value="([A-Z][^"]*/[^"]*)"', page)
    assert zones[:2] == ["Asia/Shanghai", "Asia/Urumqi"] and "北京时间（Asia/Shanghai）" in page
    assert set(zones[5:]) >= {"Africa/Abidjan", "Europe/London"} and zones.count("Asia/Shanghai") == 1
    languages = re.findall(r'<option value="(en|zh-hans)"[^>]*>([^<]*)</option>', page)
    assert ("en", "English") in languages and ("zh-hans", "简体中文") in languages
