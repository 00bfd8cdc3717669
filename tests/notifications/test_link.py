"""A notification may carry a link: a path on this site that it takes its reader to (a report
ready, say), stored only when it is one (never another host: an open redirect and a phishing
link in an inbox), followed from the inbox through the notification's own "open" (which marks it
read), ahead of its order's page, and given by the API."""

import pytest

from kefu.notifications import services as notifications
from kefu.notifications.models import Notification

pytestmark = pytest.mark.django_db

REPORT = "/reports/?period=2026-11"


def test_notify_stores_the_link_and_existing_callers_store_none(agent, order):
    notifications.notify(agent, None, "Your service quality report for 11/2026 is ready.", link=REPORT)
    notifications.notify(agent, order, f"{order.number}: something happened.")  # as before: no link
    with_link, without = Notification.objects.filter(recipient=agent).order_by("id")
    assert (with_link.link, with_link.order_id, with_link.message) == (
        REPORT, None, "Your service quality report for 11/2026 is ready.")
    assert (without.link, without.order_id) == ("", order.pk)


@pytest.mark.parametrize("link", [
    "/", "/reports/", "/reports/?period=month&start=2026-11-01", "/orders/?q=宽带断网#list", "/knowledge/a%2Fb/",
    "/" + "x" * 299,
])
def test_paths_on_this_site_are_stored_as_they_are(agent, link):
    notifications.notify(agent, None, "note", link=link)
    assert Notification.objects.get(recipient=agent).link == link


@pytest.mark.parametrize("link", [
    "//evil.example/login",  # another host, scheme-relative
    "///evil.example/",
    "http://evil.example/",
    "https://evil.example/reports/",
    "HTTPS://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "mailto:someone@evil.example",
    "/\\evil.example",  # browsers read a backslash as a slash: //evil.example
    "\\\\evil.example",
    "/reports/\\..\\",
    "/\t/evil.example",  # browsers drop tabs and newlines: //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil.example",
    "/\u200b/evil.example",  # an invisible format character
    "/reports/ ?period=2026-11",
    " /reports/",
    "reports/",  # relative: leads wherever the page is
    "evil.example",
    "?next=//evil.example",
    "#top",
    "/" + "x" * 300,  # too long to store whole: a cut link leads somewhere else
])
def test_anything_but_a_path_on_this_site_is_refused_and_nothing_is_written(agent, order, link):
    with pytest.raises(ValueError):
        notifications.notify(agent, order, "note", link=link)
    with pytest.raises(ValueError):
        notifications.site_path(link)
    assert not Notification.objects.exists()


def test_a_bad_link_is_refused_even_for_someone_who_would_not_be_told(agent):
    """The check is the caller's error, whoever the recipient: not hidden when nobody is told."""
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    with pytest.raises(ValueError):
        notifications.notify(agent, None, "note", link="https://evil.example/")
    notifications.notify(agent, None, "note", link=REPORT)  # a good one: silently nobody's
    assert not Notification.objects.exists()


def test_the_inbox_links_the_message_and_opening_it_goes_to_the_link(client, agent, order):
    notifications.notify(agent, None, "Your service quality report for 11/2026 is ready.", link=REPORT)
    note = Notification.objects.get(recipient=agent)
    client.force_login(agent)
    html = client.get("/notifications/").content.decode()
    opened = f"/notifications/{note.pk}/open/"
    assert f'<td><a href="{opened}">Your service quality report for 11/2026 is ready.</a></td>' in html
    assert "<td>—</td>" in html  # no work order
    assert REPORT not in html  # reached through the notification, which marks it read
    r = client.get(opened)
    assert r.status_code == 302 and r.url == REPORT
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_a_link_opens_ahead_of_the_order_and_an_order_alone_opens_the_order(client, agent, order):
    notifications.notify(agent, order, f"{order.number}: the report on it is ready.", link=REPORT)
    notifications.notify(agent, order, f"{order.number}: the customer answered.")
    linked, plain = Notification.objects.filter(recipient=agent).order_by("id")
    client.force_login(agent)
    html = client.get("/notifications/").content.decode()
    assert f'<a href="/notifications/{linked.pk}/open/">{order.number}</a>' in html
    assert f'<td><a href="/notifications/{linked.pk}/open/">the report on it is ready.</a></td>' in html
    assert f'<a href="/notifications/{plain.pk}/open/">{order.number}</a>' in html
    assert "<td>the customer answered.</td>" in html  # no link: the message is plain text
    assert client.get(f"/notifications/{linked.pk}/open/").url == REPORT
    assert client.get(f"/notifications/{plain.pk}/open/").url == f"/orders/{order.pk}/"


def test_a_bad_link_written_past_the_service_is_never_followed(client, agent, order):
    """Defence in depth: a row written some other way (a raw insert, an old bug) still does not
    send its reader off the site: its order's page, or the inbox."""
    on_order = Notification.objects.create(recipient=agent, order=order, message="x", link="//evil.example/",
                                           created_at=order.created_at)
    alone = Notification.objects.create(recipient=agent, order=None, message="y", link="/\\evil.example",
                                        created_at=order.created_at)
    client.force_login(agent)
    assert client.get(f"/notifications/{on_order.pk}/open/").url == f"/orders/{order.pk}/"
    assert client.get(f"/notifications/{alone.pk}/open/").url == "/notifications/"


def test_the_message_with_a_link_is_escaped(client, agent):
    notifications.notify(agent, None, "<script>alert(1)</script>", link=REPORT)
    client.force_login(agent)
    html = client.get("/notifications/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html


def test_the_api_gives_the_link(api_client, agent, order):
    notifications.notify(agent, None, "report ready", link=REPORT)
    notifications.notify(agent, order, f"{order.number}: answered")
    api = api_client(agent)
    listed = api.get("/notifications").json()
    assert [(n["message"], n["link"], n["order_id"]) for n in listed] == [
        (f"{order.number}: answered", "", order.pk), ("report ready", REPORT, None)]
    note = Notification.objects.get(recipient=agent, link=REPORT)
    read = api.post(f"/notifications/{note.pk}/read").json()
    assert read["link"] == REPORT and read["read_at"] is not None
    assert [n["link"] for n in api.get("/notifications?unread=false").json()] == ["", REPORT]


def test_the_api_schema_names_the_link(api_client, agent):
    from kefu.api import api

    schema = api.get_openapi_schema()
    out = schema["components"]["schemas"]["NotificationOut"]
    assert out["properties"]["link"]["type"] == "string" and "link" in out["required"]
