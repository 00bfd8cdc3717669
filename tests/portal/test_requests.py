"""A signed-in customer submits, follows, answers, confirms and rates their own requests."""

from kefu.contacts.models import Contact, ContactOrder
from kefu.orders import services as orders
from kefu.orders.models import Feedback, OrderEvent, WorkOrder
from kefu.portal import services

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_my_requests_lists_only_mine_newest_first(client, customer, order, other_order, sign_in):
    newer = orders.create_order(services.portal_user(), kind="consultation", title="套餐咨询", customer_id=customer.pk,
                                channel="self_service")
    sign_in(customer)
    page = client.get("/portal/").content.decode()
    assert page.index(newer.number) < page.index(order.number)
    assert other_order.number not in page and other_order.title not in page
    assert "Received" in page  # the status as the customer reads it


def test_another_customers_order_is_not_found(client, customer, other_order, advance, sign_in):
    sign_in(customer)
    assert client.get(f"/portal/orders/{other_order.pk}/").status_code == 404
    assert client.get("/portal/orders/999999/").status_code == 404
    advance(other_order, "waiting")
    assert client.post(f"/portal/orders/{other_order.pk}/answer/", {"text": "给你"}).status_code == 404
    assert WorkOrder.objects.get(pk=other_order.pk).status == "waiting_customer"
    orders.resume(orders.get_order(services.portal_user(), other_order.pk).handler, other_order.pk)
    orders.resolve(WorkOrder.objects.get(pk=other_order.pk).handler, other_order.pk, resolution="已处理")
    r = client.post(f"/portal/orders/{other_order.pk}/feedback/", {"confirmed": "yes", "score": "10"})
    assert r.status_code == 404 and not Feedback.objects.exists()


def test_submitting_registers_a_self_service_order_on_my_subscription(client, customer, subscription, other_customer, sign_in):
    sign_in(customer)
    page = client.get("/portal/new/").content.decode()
    assert subscription.service_number in page and other_customer.subscriptions.get().service_number not in page
    r = client.post("/portal/new/", {"kind": "fault", "subscription_id": subscription.pk, "title": "手机没有信号",
                                     "description": "从昨天起在家里完全没有信号"})
    order = WorkOrder.objects.get(customer=customer)
    assert r.status_code == 302 and r["Location"] == f"/portal/orders/{order.pk}/"
    assert (order.channel, order.kind, order.subscription_id, order.status) == ("self_service", "fault", subscription.pk, "new")
    assert order.owner == services.portal_user()
    contact = Contact.objects.get(customer=customer)
    assert (contact.channel, contact.outcome, contact.ended_at is not None) == ("self_service", "order_created", True)
    assert ContactOrder.objects.get(contact=contact).order == order
    assert order.number in client.get(r["Location"]).content.decode()


def test_submitting_refuses_someone_elses_subscription_and_other_kinds(client, customer, other_customer, sign_in):
    sign_in(customer)
    theirs = other_customer.subscriptions.get()
    r = client.post("/portal/new/", {"kind": "complaint", "subscription_id": theirs.pk, "title": "x"})
    assert r.status_code == 422
    r = client.post("/portal/new/", {"kind": "praise", "title": "x"})
    assert r.status_code == 422
    r = client.post("/portal/new/", {"kind": "fault", "title": "没有信号"})  # which service?
    assert r.status_code == 422 and "choose the service" in r.content.decode()
    assert not WorkOrder.objects.exists()


def test_answering_when_asked_resumes_the_order(client, customer, order, advance, sign_in):
    advance(order, "waiting")
    sign_in(customer)
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "请提供本月话费清单截图" in page and "Waiting for your answer" in page
    r = client.post(f"/portal/orders/{order.pk}/answer/", {"text": "截图已经发到邮箱"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == "in_progress"
    answer = order.events.get(action="answer")
    assert (answer.note, answer.visibility, answer.actor, answer.data) == (
        "截图已经发到邮箱", "customer", services.portal_user(), {"channel": "self_service"})
    assert "截图已经发到邮箱" in client.get(f"/portal/orders/{order.pk}/").content.decode()
    # The handler who asked hears of it.
    assert order.handler.notifications.filter(order=order, message__contains="answered").exists()
    # Not waiting any more: a second answer is refused with a message, nothing written.
    r = client.post(f"/portal/orders/{order.pk}/answer/", {"text": "再说一次"}, follow=True)
    assert "not waiting for your answer" in r.content.decode() and order.events.filter(action="answer").count() == 1


def test_an_empty_answer_is_refused(client, customer, order, advance, sign_in):
    advance(order, "waiting")
    sign_in(customer)
    assert client.post(f"/portal/orders/{order.pk}/answer/", {"text": "  "}).status_code == 422
    assert WorkOrder.objects.get(pk=order.pk).status == "waiting_customer"


def test_confirming_with_a_score_records_feedback(client, customer, order, advance, sign_in):
    advance(order, "resolved")
    sign_in(customer)
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "已退还误扣的增值业务费20元" in page and "Is your problem solved?" in page
    r = client.post(f"/portal/orders/{order.pk}/feedback/", {"confirmed": "yes", "score": "9", "comment": "谢谢"})
    assert r.status_code == 302
    feedback = Feedback.objects.get(order=order)
    assert (feedback.confirmed, feedback.score, feedback.comment, feedback.channel) == (True, 9, "谢谢", "self_service")
    assert feedback.recorded_by == services.portal_user()
    order.refresh_from_db()
    assert order.status == "confirmed" and order.satisfaction == 9
    assert "Completed" in client.get(f"/portal/orders/{order.pk}/").content.decode()


def test_disputing_reopens_the_order(client, customer, order, advance, sign_in):
    advance(order, "resolved")
    sign_in(customer)
    r = client.post(f"/portal/orders/{order.pk}/feedback/", {"confirmed": "no", "score": "3"})
    assert r.status_code == 422 and "tell us what is still wrong" in r.content.decode()  # a dispute says why
    r = client.post(f"/portal/orders/{order.pk}/feedback/", {"confirmed": "no", "score": "3", "comment": "钱还没有退回"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == "in_progress" and order.reopen_count == 1
    assert Feedback.objects.get(order=order).confirmed is False
    assert "钱还没有退回" in client.get(f"/portal/orders/{order.pk}/").content.decode()


def test_scores_outside_one_to_ten_are_refused(client, customer, order, advance, sign_in):
    advance(order, "resolved")
    sign_in(customer)
    for score in ("0", "11", "x", ""):
        assert client.post(f"/portal/orders/{order.pk}/feedback/", {"confirmed": "yes", "score": score}).status_code == 422
    assert not Feedback.objects.exists()


def test_internal_notes_and_staff_never_show(client, customer, order, advance, agent, handler, sign_in):
    orders.add_comment(agent, order.pk, note="内部备注：客户难缠", visibility="internal")
    advance(order, "waiting")
    orders.add_comment(handler, order.pk, note="我们已收到您的来电", visibility=OrderEvent.Visibility.CUSTOMER)
    sign_in(customer)
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "内部备注" not in page and "客户难缠" not in page
    assert str(handler) not in page and handler.username not in page
    assert "我们已收到您的来电" in page and "Being handled" in page  # a status change in the customer's words


def test_markup_is_escaped(client, customer, subscription, agent, sign_in):
    sign_in(customer)
    client.post("/portal/new/", {"kind": "complaint", "subscription_id": subscription.pk, "title": SCRIPT, "description": SCRIPT})
    order = WorkOrder.objects.get(customer=customer)
    orders.add_comment(agent, order.pk, note=SCRIPT, visibility="customer")
    for url in ("/portal/", f"/portal/orders/{order.pk}/"):
        page = client.get(url).content.decode()
        assert SCRIPT not in page and SCRIPT_ESCAPED in page, url


def test_a_low_score_on_a_confirmation_reopens_as_configured(client, customer, order, advance, sign_in, settings):
    settings.KEFU_LOW_SCORE_ACTION = "reopen"
    advance(order, "resolved")
    sign_in(customer)
    client.post(f"/portal/orders/{order.pk}/feedback/", {"confirmed": "yes", "score": "4", "comment": "太慢了"})
    order.refresh_from_db()
    assert order.status == "in_progress" and Feedback.objects.get(order=order).confirmed is True
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "Handled again after your rating" in page and "太慢了" in page


def test_the_portal_user_is_not_offered_as_staff(db):
    from kefu.portal.services import portal_user
    from kefu.staff.services import active_staff

    assert portal_user() not in list(active_staff())


def test_a_routed_self_service_order_is_taken_on_by_the_system_and_owned_by_its_handler(
        client, customer, subscription, handler, departments, sign_in, settings):
    from kefu.routing.models import DispatchRule
    from kefu.staff.models import Department, User

    settings.KEFU_AUTO_ROUTE = True
    Department.objects.filter(pk=departments["tech-support"].pk).update(assignment=Department.Assignment.ROUND_ROBIN)
    User.objects.filter(pk=handler.pk).update(presence="available")
    DispatchRule.objects.create(name="all to tech", position=1, department=departments["tech-support"])
    sign_in(customer)
    client.post("/portal/new/", {"kind": "fault", "subscription_id": subscription.pk, "title": "宽带断网了"})
    order = WorkOrder.objects.get(customer=customer)
    # The portal registered it; the routing (no person) accepted and dispatched it; the handler
    # it went to is its first-contact owner, since nobody answers for it at the portal.
    assert (order.status, order.handler, order.owner) == ("assigned", handler, handler)
    actors = {e.action: e.actor for e in order.events.exclude(action="sla_policy")}
    assert actors == {"create": services.portal_user(), "accept": None, "assign": None}
    assert order.events.get(action="assign").data["owner"] == [services.portal_user().pk, handler.pk]


def test_the_first_person_to_accept_a_self_service_order_owns_it(client, customer, subscription, agent, sign_in):
    sign_in(customer)
    client.post("/portal/new/", {"kind": "complaint", "subscription_id": subscription.pk, "title": "话费多扣了"})
    order = WorkOrder.objects.get(customer=customer)
    assert order.status == "new"  # KEFU_AUTO_ROUTE is off: it waits for a person
    orders.accept(agent, order.pk)
    order.refresh_from_db()
    assert order.owner == agent
    assert order.events.get(action="accept").data == {"owner": [services.portal_user().pk, agent.pk]}
    # A person's order stays theirs: accepting or taking it changes no owner.
    theirs = orders.create_order(agent, kind="fault", title="没有信号", customer_id=customer.pk, channel="hotline")
    orders.accept(agent, theirs.pk)
    assert WorkOrder.objects.get(pk=theirs.pk).owner == agent


def test_the_portal_user_handles_nothing(order, advance):
    import pytest

    from kefu.core.errors import Forbidden

    portal = services.portal_user()
    advance(order, "waiting")
    for act in (lambda: orders.resume(portal, order.pk), lambda: orders.add_comment(portal, order.pk, note="x")):
        with pytest.raises(Forbidden):
            act()
    assert WorkOrder.objects.get(pk=order.pk).status == "waiting_customer"


def test_a_queued_self_service_order_is_owned_by_whom_the_batch_assigns_it_to(
        client, customer, subscription, handler, departments, sign_in, settings):
    from kefu.routing import services as routing
    from kefu.routing.models import DispatchRule
    from kefu.staff.models import Department, User

    settings.KEFU_AUTO_ROUTE = True
    Department.objects.filter(pk=departments["tech-support"].pk).update(assignment=Department.Assignment.ROUND_ROBIN)
    DispatchRule.objects.create(name="all to tech", position=1, department=departments["tech-support"])
    sign_in(customer)
    client.post("/portal/new/", {"kind": "fault", "subscription_id": subscription.pk, "title": "宽带断网了"})
    order = WorkOrder.objects.get(customer=customer)
    assert (order.department, order.handler, order.owner) == (departments["tech-support"], None, services.portal_user())
    # Nobody was available; the worker's batch hands it over when someone is.
    User.objects.filter(pk=handler.pk).update(presence="available")
    assert routing.drain() == 1
    order.refresh_from_db()
    assert (order.handler, order.owner) == (handler, handler)
    assert order.events.filter(action="assign").last().data["owner"] == [services.portal_user().pk, handler.pk]


def test_nobody_notifies_the_portal_user(client, customer, subscription, agent, sign_in):
    from kefu.notifications.models import Notification

    sign_in(customer)
    client.post("/portal/new/", {"kind": "complaint", "subscription_id": subscription.pk, "title": "话费多扣了"})
    order = WorkOrder.objects.get(customer=customer)
    orders.reject(agent, order.pk, reason="重复提交")  # customer-visible, and the owner is still the portal
    assert not Notification.objects.filter(recipient=services.portal_user()).exists()


def test_withdrawing_an_open_request_cancels_it_and_tells_the_handler(client, customer, order, advance, sign_in):
    advance(order, "waiting")
    sign_in(customer)
    assert "Withdraw this request" in client.get(f"/portal/orders/{order.pk}/").content.decode()
    r = client.post(f"/portal/orders/{order.pk}/withdraw/", {"reason": "问题自己解决了"})
    assert r.status_code == 302
    order.refresh_from_db()
    event = order.events.get(action="cancel")
    assert (order.status, event.actor, event.reason, event.visibility) == ("cancelled", services.portal_user(), "问题自己解决了", "customer")
    assert order.handler.notifications.filter(order=order, message__contains="withdrew").exists()
    assert ContactOrder.objects.filter(order=order, contact__channel="self_service").exists()
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "You withdrew this request" in page and "问题自己解决了" in page and "Withdraw this request" not in page
    # Finished: a second withdrawal is refused with a message, nothing written.
    r = client.post(f"/portal/orders/{order.pk}/withdraw/", {}, follow=True)
    assert "can no longer be withdrawn" in r.content.decode() and order.events.filter(action="cancel").count() == 1


def test_a_resolved_or_someone_elses_request_cannot_be_withdrawn(client, customer, order, other_order, advance, sign_in):
    advance(order, "resolved")
    sign_in(customer)
    assert "Withdraw this request" not in client.get(f"/portal/orders/{order.pk}/").content.decode()
    client.post(f"/portal/orders/{order.pk}/withdraw/", {})
    assert WorkOrder.objects.get(pk=order.pk).status == "resolved"
    assert client.post(f"/portal/orders/{other_order.pk}/withdraw/", {}).status_code == 404
    assert WorkOrder.objects.get(pk=other_order.pk).status == "new"


def test_an_overlong_reason_is_refused_naming_the_field(client, customer, order, sign_in):
    sign_in(customer)
    r = client.post(f"/portal/orders/{order.pk}/withdraw/", {"reason": "太" * 501})
    assert r.status_code == 422 and "500" in r.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == "new"
