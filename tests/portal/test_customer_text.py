"""The customer reads what was written for them: never the staff's title or description of the
order, nor anything the history keeps internal (issue 13)."""

from kefu.orders import services as orders
from kefu.orders.models import Category, OrderEvent, WorkOrder
from kefu.portal import services

INTERNAL_TITLE = "客户情绪激动，态度恶劣"
INTERNAL_DESCRIPTION = "再不解决我要去工信部投诉"


def _staff_order(agent, customer, subscription, **extra):
    return orders.create_order(agent, kind="complaint", title=INTERNAL_TITLE, description=INTERNAL_DESCRIPTION,
                               customer_id=customer.pk, subscription_id=subscription.pk, channel="hotline", **extra)


def _pages(client, order):
    return {url: client.get(url).content.decode() for url in ("/portal/", f"/portal/orders/{order.pk}/")}


def test_the_portal_shows_the_summary_never_the_internal_title_or_description(client, customer, subscription, agent, sign_in):
    order = _staff_order(agent, customer, subscription, customer_summary="您反映的话费问题已受理，我们会尽快核实。")
    sign_in(customer)
    for url, page in _pages(client, order).items():
        assert INTERNAL_TITLE not in page and INTERNAL_DESCRIPTION not in page and "工信部" not in page, url
        assert "您反映的话费问题已受理" in page and order.number in page, url


def test_without_a_summary_the_portal_shows_a_neutral_text(client, customer, subscription, agent, sign_in):
    category = Category.objects.get(code="cmp-billing-wrong")
    order = _staff_order(agent, customer, subscription, category_id=category.pk)
    sign_in(customer)
    for url, page in _pages(client, order).items():
        assert INTERNAL_TITLE not in page and INTERNAL_DESCRIPTION not in page, url
        assert f"Complaint: {category.name}" in page, url
    assert f"as work order {order.number}" in _pages(client, order)[f"/portal/orders/{order.pk}/"]


def test_a_self_service_request_reads_in_the_customers_own_words(client, customer, subscription, agent, sign_in):
    sign_in(customer)
    client.post("/portal/new/", {"kind": "fault", "subscription_id": subscription.pk, "title": "手机没有信号",
                                 "description": "从昨天起在家里完全没有信号"})
    order = WorkOrder.objects.get(customer=customer)
    assert order.customer_summary == "手机没有信号\n从昨天起在家里完全没有信号"
    # The staff rewrite the title and description for themselves: the customer still reads their own words.
    orders.update_order(agent, order.pk, version=order.version,
                        changes={"title": "疑似基站故障，客户反复催促", "description": "客户较难沟通"})
    for url, page in _pages(client, order).items():
        assert "手机没有信号" in page and "从昨天起在家里完全没有信号" in page, url
        assert "基站" not in page and "催促" not in page and "较难沟通" not in page, url


def test_a_request_without_details_reads_its_title(client, customer, sign_in):
    sign_in(customer)
    client.post("/portal/new/", {"kind": "consultation", "title": "国际漫游怎么开通"})
    assert WorkOrder.objects.get(customer=customer).customer_summary == "国际漫游怎么开通"


def test_progress_shows_only_what_the_customer_may_read(client, customer, subscription, agent, handler, advance, sign_in,
                                                       departments):
    order = _staff_order(agent, customer, subscription)
    orders.add_comment(agent, order.pk, note="内部：客户是老投诉户", visibility="internal")
    advance(order, "waiting")
    orders.resume(handler, order.pk)
    orders.add_comment(handler, order.pk, note="已联系计费部门核实", visibility="customer")
    orders.transfer(handler, order.pk, department_id=departments["complaints"].pk, reason="内部：转给老员工处理")
    orders.set_customer_summary(agent, order.pk, customer_summary="我们正在核实您的话费。")
    readable = set()
    for e in OrderEvent.objects.filter(order=order, visibility=OrderEvent.Visibility.CUSTOMER):
        readable |= {e.reason, e.note}
    items = services.progress(customer, WorkOrder.objects.get(pk=order.pk))
    assert all(set(item["text"].split("\n")) <= readable for item in items if item["text"])
    texts = "\n".join(f"{item['title']}\n{item['text']}" for item in items)
    assert "已联系计费部门核实" in texts and "请提供本月话费清单截图" in texts
    sign_in(customer)
    page = client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert "老投诉户" not in page and "老员工" not in page and INTERNAL_DESCRIPTION not in page
    assert "我们正在核实您的话费。" in page and "已联系计费部门核实" in page
