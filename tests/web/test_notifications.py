"""The notifications people can see: the unread count in the header (one indexed COUNT, "99+"),
the page behind it (newest first, unread marked, a page at a time, unread/all), marking one or
all read, following one to its order, someone else's answered as none; the API's count and
read-all; everything in Chinese for a zh-Hans user."""

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.notifications import services as notifications
from kefu.notifications.models import Notification
from tests.web.test_zh_pages import _none_left, _staff, english_in, kefu_english, zh  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _notes(user, order, n, *, start=None, read=False):
    start = start or timezone.now() - timedelta(hours=1)
    return Notification.objects.bulk_create([
        Notification(recipient=user, order=order, message=f"{order.number}: 提醒{k}", created_at=start + timedelta(minutes=k),
                     read_at=start + timedelta(minutes=k) if read else None) for k in range(n)])


def _badge(html):
    found = re.search(r'class="unread-count"[^>]*>([^<]*)<', html)
    return found.group(1) if found else None


def test_the_header_shows_the_unread_count_with_one_count_query(client, agent, handler, order):
    _notes(agent, order, 3)
    _notes(agent, order, 2, read=True)
    _notes(handler, order, 4)  # someone else's
    client.force_login(agent)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/").content.decode()
    assert _badge(page) == "3" and 'href="/notifications/"' in page
    inbox = [q["sql"] for q in ctx.captured_queries if "sla_notification" in q["sql"]]
    assert len(inbox) == 1 and "COUNT" in inbox[0].upper(), inbox


def test_the_badge_stops_counting_at_99_plus_and_is_absent_at_zero(client, agent, order):
    client.force_login(agent)
    assert _badge(client.get("/").content.decode()) is None
    _notes(agent, order, 150)
    assert _badge(client.get("/").content.decode()) == "99+"
    assert notifications.unread_count(agent, cap=100) == 100 and notifications.unread_count(agent) == 150


def test_the_page_lists_newest_first_unread_marked_and_a_page_at_a_time(client, agent, order):
    _notes(agent, order, 3, read=True, start=timezone.now() - timedelta(days=2))
    _notes(agent, order, 32)  # 35 in all: two pages
    client.force_login(agent)
    first = client.get("/notifications/")
    rows = first.context["page"].object_list
    assert first.status_code == 200 and len(rows) == 30 and first.context["page"].paginator.count == 35
    assert [n.message for n in rows[:2]] == [f"{order.number}: 提醒31", f"{order.number}: 提醒30"]
    html = first.content.decode()
    assert html.count('<tr class="unread">') == 30
    assert f'href="/notifications/{rows[0].pk}/open/">{order.number}</a>' in html
    assert "<td>提醒31</td>" in html  # the number is the link, not said twice
    second = client.get("/notifications/?page=2").content.decode()
    assert second.count('<tr class="read">') == 3 and second.count('<tr class="unread">') == 2
    only_unread = client.get("/notifications/?show=unread")
    assert only_unread.context["page"].paginator.count == 32


def test_mark_one_read_and_all_read(client, agent, handler, order):
    mine = _notes(agent, order, 3)
    theirs = _notes(handler, order, 2)
    client.force_login(agent)
    assert client.get(f"/notifications/{mine[0].pk}/read/").status_code == 405  # a change: POST only
    r = client.post(f"/notifications/{mine[0].pk}/read/", {"next": "/notifications/?page=1"})
    assert r.status_code == 302 and r.url == "/notifications/?page=1"
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 2
    r = client.post("/notifications/read-all/", {"next": "https://evil.example/"}, follow=True)
    assert r.redirect_chain[-1][0] == "/notifications/"  # not off the site
    assert [str(m) for m in r.context["messages"]] == ["Marked 2 notifications read."]
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
    assert Notification.objects.filter(pk__in=[n.pk for n in theirs], read_at__isnull=True).count() == 2


def test_opening_a_notification_marks_it_read_and_goes_to_its_order(client, agent, order):
    [note] = _notes(agent, order, 1)
    client.force_login(agent)
    r = client.get(f"/notifications/{note.pk}/open/")
    assert r.status_code == 302 and r.url == f"/orders/{order.pk}/"
    first_read = Notification.objects.get(pk=note.pk).read_at
    assert first_read is not None
    client.get(f"/notifications/{note.pk}/open/")  # again: the same, nothing more written
    assert Notification.objects.get(pk=note.pk).read_at == first_read


def test_someone_elses_notification_is_not_found_like_none(client, agent, handler, order):
    [theirs] = _notes(handler, order, 1)
    client.force_login(agent)
    for r in (client.get(f"/notifications/{theirs.pk}/open/"), client.post(f"/notifications/{theirs.pk}/read/"),
              client.post("/notifications/987654321/read/")):
        assert r.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get("/notifications/").context["page"].paginator.count == 0


def test_the_api_counts_and_marks_all_read(api_client, agent, handler, order):
    _notes(agent, order, 4)
    _notes(handler, order, 1)
    api = api_client(agent)
    assert api.get("/notifications/count").json() == {"unread": 4}
    assert api.post("/notifications/read-all").json() == {"marked": 4}
    assert api.get("/notifications/count").json() == {"unread": 0}
    assert api_client(handler).get("/notifications/count").json() == {"unread": 1}


def test_pages_render_without_the_badge_when_the_count_fails(client, agent, order, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("the database is gone")

    monkeypatch.setattr(notifications, "unread_count", broken)
    client.force_login(agent)
    r = client.get("/")
    assert r.status_code == 200 and 'href="/notifications/"' not in r.content.decode()


def test_error_pages_show_the_badge_to_someone_signed_in_and_nobody_else(client, agent, order):
    _notes(agent, order, 2)
    for page in (client.get("/login/"), client.get("/no/such/page/")):
        assert "unread-count" not in page.content.decode() and 'href="/notifications/"' not in page.content.decode()
    client.force_login(agent)
    r = client.get("/no/such/page/")
    assert r.status_code == 404 and _badge(r.content.decode()) == "2"


def test_the_header_corner_is_empty_without_a_signed_in_user():
    from django.contrib.auth.models import AnonymousUser

    from kefu.web.templatetags.kefu_header import header_me

    # The server-error page renders without a request and reads no database: no user at all.
    assert header_me({}) == {"show": False}
    assert header_me({"user": AnonymousUser()}) == {"show": False}


def test_the_inbox_and_badge_are_chinese_for_a_zh_user(client, zh, agent, order):  # noqa: F811
    _notes(agent, order, 2)
    web = _staff(client, agent)
    english = kefu_english()
    found = {}
    for path in ["/notifications/", "/notifications/?show=unread", "/notifications/?show=unread&page=9"]:
        r = web.get(path)
        assert r.status_code == 200
        found[path] = english_in(r.content.decode(), english)
    _none_left(found)
    page = web.get("/notifications/").content.decode()
    assert 'aria-label="通知，2 条未读"' in page and "全部标为已读" in page and ">标为已读<" in page
    web.post("/notifications/read-all/")
    assert "暂无通知" not in web.get("/notifications/").content.decode()
    assert "没有未读通知。" in web.get("/notifications/?show=unread").content.decode()
