import pytest

from kefu.privacy import services
from kefu.staff import roles


@pytest.fixture
def coordinator(make_user):
    return make_user(roles.COORDINATOR, "complaints")


@pytest.fixture
def started(agent, supervisor):
    """started(customer, kind): a request received by the agent and started by the supervisor."""
    def make(customer, kind, **kw):
        req = services.open_request(agent, customer_id=customer.pk, kind=kind, channel="hotline", **kw)
        return services.start(supervisor, req.pk, version=req.version, identity_verified="document")
    return make


@pytest.fixture
def resolved(agent, supervisor, handler, departments):
    """resolved(order, comment): the order handled to the end with a customer-visible wait, an
    internal note, a resolution and the customer's feedback."""
    from kefu.orders import services as orders

    def make(order, comment="处理及时，满意"):
        orders.accept(supervisor, order.pk)
        orders.assign(supervisor, order.pk, department_id=departments["tech-support"].pk, handler_id=handler.pk)
        orders.start(handler, order.pk)
        orders.wait_for_customer(handler, order.pk, reason="请提供本月话费清单")
        orders.add_comment(handler, order.pk, note="INTERNAL-NOTE: 客户语气激动", visibility="internal")
        orders.resume(handler, order.pk)
        orders.resolve(handler, order.pk, resolution="已退还误扣的20元")
        orders.record_feedback(agent, order.pk, confirmed=True, score=9, comment=comment)
        return order
    return make
