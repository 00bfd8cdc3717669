import itertools
import re

import pytest

from kefu.contacts.models import SmsMessage
from kefu.core import crypto
from tests.conftest import mobile, resident_id

_seq = itertools.count(5000)


def outbox_code(phone: str) -> str:
    """The code in the newest message the outbox holds for PHONE."""
    message = SmsMessage.objects.filter(to_bidx__in=crypto.lookup_hashes(phone, "phone")).order_by("-id").first()
    assert message is not None, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", message.text).group(1)


@pytest.fixture
def sign_in(client):
    """sign_in(customer) → the client, signed in to the portal as that customer."""
    def do(customer, phone=None, c=None):
        c = c or client
        phone = phone or customer.phone
        r = c.post("/portal/login/", {"phone": phone})
        assert r.status_code == 302 and r["Location"] == "/portal/login/code/", r.content[:500]
        r = c.post("/portal/login/code/", {"code": outbox_code(phone)})
        assert r.status_code == 302 and r["Location"] == "/portal/", r.content[:500]
        return c
    return do


@pytest.fixture
def other_customer(agent):
    from kefu.customers import services

    n = next(_seq)
    c = services.create_customer(agent, name="李四", id_number=resident_id(n), phone=mobile(n), province="广东", city="深圳")
    services.create_subscription(agent, customer_id=c.pk, service_number=mobile(n), product="mobile", opened_on="2024-01-01")
    return c


@pytest.fixture
def other_order(agent, other_customer):
    from kefu.orders import services

    return services.create_order(agent, kind="complaint", title="别人的投诉", customer_id=other_customer.pk, channel="hotline")


@pytest.fixture
def advance(agent, handler):
    """advance(order, to) takes ORDER through the loop by staff hands up to "waiting" or "resolved"."""
    from kefu.orders import services as orders

    def do(order, to):
        orders.accept(agent, order.pk)
        orders.assign(agent, order.pk, handler_id=handler.pk)
        orders.start(handler, order.pk)
        if to == "waiting":
            return orders.wait_for_customer(handler, order.pk, reason="请提供本月话费清单截图")
        return orders.resolve(handler, order.pk, resolution="已退还误扣的增值业务费20元")
    return do
