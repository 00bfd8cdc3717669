"""The agent workbench pages: queues, the order page and its actions, lookup, preferences."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.orders import services as orders
from kefu.orders.models import Status, WorkOrder
from kefu.staff.models import User
from kefu.web.models import SavedView


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def _due(order, minutes, warn_minutes=None):
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(sla_due_at=now + timedelta(minutes=minutes),
                                                 sla_warn_at=now + timedelta(minutes=warn_minutes if warn_minutes is not None else minutes))


def test_my_queue_lists_nearest_due_first_with_its_colour(logged_in, agent, customer, subscription):
    make = lambda title: orders.create_order(agent, kind="complaint", title=title, customer_id=customer.pk, channel="hotline")  # noqa: E731
    late, soon, later, none = make("late one"), make("soon one"), make("later one"), make("no limit")
    _due(late, -5)
    _due(soon, 30, warn_minutes=-1)
    _due(later, 600, warn_minutes=500)
    WorkOrder.objects.filter(pk=none.pk).update(sla_due_at=None, sla_warn_at=None)
    page = logged_in(agent).get("/queue/mine/").content.decode()
    positions = [page.index(t) for t in ("late one", "soon one", "later one", "no limit")]
    assert positions == sorted(positions)
    assert "sla-breached" in page and "sla-warning" in page and "sla-on_track" in page and "sla-none" in page
    assert 'id="sla-labels"' in page and "htmx.min.js" in page
    only_late = logged_in(agent).get("/queue/mine/?sla=breached").content.decode()
    assert "late one" in only_late and "soon one" not in only_late


def test_htmx_requests_get_only_the_rows(logged_in, agent, order):
    body = logged_in(agent).get("/queue/mine/", headers={"HX-Request": "true"}).content.decode()
    assert order.number in body and "<html" not in body


def test_department_and_open_queues_and_an_unknown_one(logged_in, agent, handler, order, departments):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, department_id=departments["tech-support"].pk)
    assert order.number in logged_in(handler).get("/queue/department/").content.decode()
    assert order.number not in logged_in(agent).get("/queue/department/").content.decode()
    assert order.number in logged_in(agent).get("/queue/open/").content.decode()
    assert logged_in(agent).get("/queue/everything/").status_code == 404


def test_saved_views_keep_only_known_filters(logged_in, agent):
    client = logged_in(agent)
    client.post("/queue/open/save/", {"name": "超时的", "query": "sla=breached&evil=1&kind=complaint"})
    view = SavedView.objects.get(user=agent)
    assert (view.queue, view.query) == ("open", "sla=breached&kind=complaint")
    assert "超时的" in client.get("/queue/mine/").content.decode()
    client.post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_the_order_page_shows_history_limits_and_allowed_actions(logged_in, agent, order):
    page = logged_in(agent).get(f"/orders/{order.pk}/").content.decode()
    assert order.number in page and "Registered" in page  # the create event, labelled
    assert f'/orders/{order.pk}/accept/' in page and f'/orders/{order.pk}/resolve/' not in page
    assert "Time limits" in page and "data-due" in page


def test_actions_go_through_the_services(logged_in, agent, order):
    client = logged_in(agent)
    client.post(f"/orders/{order.pk}/accept/", {"note": "受理"})
    assert WorkOrder.objects.get(pk=order.pk).status == Status.ACCEPTED
    r = client.post(f"/orders/{order.pk}/cancel/", {"reason": ""}, follow=True)
    assert "reason" in r.content.decode() and WorkOrder.objects.get(pk=order.pk).status == Status.ACCEPTED
    client.post(f"/orders/{order.pk}/comment/", {"note": "<script>alert(1)</script>", "visibility": "internal"})
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert client.get(f"/orders/{order.pk}/accept/").status_code == 405
    assert client.post(f"/orders/{order.pk}/explode/").status_code == 404


def test_an_answer_taken_on_a_call_goes_on_the_order(logged_in, agent, handler, order):
    orders.accept(agent, order.pk)
    orders.assign(agent, order.pk, handler_id=handler.pk)
    orders.start(handler, order.pk)
    orders.wait_for_customer(handler, order.pk, reason="请提供账单截图")
    client = logged_in(agent)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'/orders/{order.pk}/answer/' in page and 'name="answer"' in page and f'/orders/{order.pk}/resume/' not in page
    client.post(f"/orders/{order.pk}/answer/", {"answer": "截图已发到邮箱", "channel": "online_chat"})
    event = WorkOrder.objects.get(pk=order.pk).events.get(action="answer")
    assert (event.order.status, event.note, event.data, event.actor) == (Status.IN_PROGRESS, "截图已发到邮箱", {"channel": "online_chat"}, agent)


def test_orders_out_of_scope_are_not_found(logged_in, make_user, order):
    outsider = make_user("tech_support", "billing")
    assert logged_in(outsider).get(f"/orders/{order.pk}/").status_code == 404
    assert logged_in(outsider).post(f"/orders/{order.pk}/comment/", {"note": "x"}).status_code == 404


def test_customer_lookup_is_masked_and_audited(logged_in, agent, customer):
    from kefu.audit.models import AuditEntry

    page = logged_in(agent).get("/customers/", {"q": customer.phone}).content.decode()
    assert customer.masked_phone in page and "张*" in page
    # Only as the agent typed it: in the search box, and as the caller's number to start the contact with.
    assert page.count(f'value="{customer.phone}"') == 2 and customer.phone not in page.replace(f'value="{customer.phone}"', "")
    assert AuditEntry.objects.filter(action="read", object_id=str(customer.pk)).exists()


def test_lookup_by_service_number_or_order_number_then_start_a_contact(logged_in, agent, make_user, customer, order):
    from kefu.customers import services as customers

    other = customers.create_subscription(agent, customer_id=customer.pk, service_number="02088886666", product="fixed",
                                          opened_on="2024-01-01")
    client = logged_in(agent)
    for q in (other.service_number, order.number):
        page = client.get("/customers/", {"q": q}).content.decode()
        assert customer.masked_phone in page and f'name="customer_id" value="{customer.pk}"' in page, q
    assert "No customer matches" in client.get("/customers/", {"q": "GD20000101999999"}).content.decode()
    # An order out of the user's scope does not lead to its customer.
    outsider = make_user("tech_support", "billing")
    page = logged_in(outsider).get("/customers/", {"q": order.number}).content.decode()
    assert "No customer matches" in page
    r = logged_in(agent).post("/contacts/", {"channel": "store", "customer_id": customer.pk})
    contact = customer.contacts.get()
    assert r.status_code == 302 and r["Location"] == f"/contacts/{contact.pk}/" and contact.channel == "store"


def test_preferences_choose_language_and_time_zone(logged_in, agent, order):
    client = logged_in(agent)
    client.post("/preferences/", {"language": "zh-hans", "time_zone": "Asia/Urumqi"})
    agent = User.objects.get(pk=agent.pk)
    assert (agent.language, agent.time_zone) == ("zh-hans", "Asia/Urumqi")
    page = client.get("/queue/mine/").content.decode()
    assert "工单" in page and 'lang="zh-hans"' in page
    r = client.post("/preferences/", {"language": "xx", "time_zone": "Mars/Base"})
    assert r.status_code == 200 and User.objects.get(pk=agent.pk).time_zone == "Asia/Urumqi"


def test_pages_need_a_login(client, order):
    for url in ("/queue/mine/", f"/orders/{order.pk}/", "/customers/", "/preferences/"):
        assert client.get(url).status_code == 302


def test_zh_hans_is_the_default_language(client, settings):
    import os

    import kefu.settings as configured

    if "KEFU_LANGUAGE" not in os.environ:
        assert configured.LANGUAGE_CODE == "zh-hans"
    settings.LANGUAGE_CODE = configured.LANGUAGE_CODE
    page = client.get("/login/").content.decode()
    assert "登录" in page and 'lang="zh-hans"' in page
