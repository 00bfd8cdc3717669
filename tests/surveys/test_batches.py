"""A day's resolutions invite their customers in batches: one statement per kind of row, not
per order (bench/surveys.py measures the rate), the outbox written at once and readable by
number, refusals, fatigue and a customer's second order honoured within a batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.contacts.models import SmsMessage
from kefu.core import crypto
from kefu.customers import services as customers
from kefu.orders import events
from kefu.orders.models import OrderEvent
from kefu.surveys import services
from kefu.surveys.models import Invitation
from tests.conftest import mobile, resident_id


@pytest.fixture
def many(agent, db):
    from kefu.orders import services as orders

    made = []
    for n in range(12):
        c = customers.create_customer(agent, name=f"客户{n}", id_number=resident_id(900 + n), phone=mobile(900 + n),
                                      province="广东", city="广州")
        made.append(orders.create_order(agent, kind="consultation", title="咨询套餐", customer_id=c.pk, channel="hotline"))
    # The first customer's second order in the same batch.
    made.append(orders.create_order(agent, kind="consultation", title="再次咨询", customer_id=made[0].customer_id,
                                    channel="hotline"))
    return made


def _resolutions(orders):
    """Resolution events as the consumer receives them (their orders need not be resolved for it)."""
    return [OrderEvent(order_id=o.pk, action="resolve", from_status="in_progress", to_status="resolved") for o in orders]


def test_a_batch_of_resolutions_invites_in_a_few_statements(many, agent):
    events.drain()
    services.opt_out(many[1].customer, "phone", actor=agent)  # refused
    with CaptureQueriesContext(connection) as queries:
        services.on_order_events(_resolutions(many))
    assert len(queries) <= 12, [q["sql"][:80] for q in queries]
    invited = set(Invitation.objects.values_list("order_id", flat=True))
    assert invited == {o.pk for o in many[:12]} - {many[1].pk}  # one per customer, none for the refusal
    assert SmsMessage.objects.filter(purpose="survey").count() == 11
    # The outbox's numbers are encrypted and found by their blind index, as one by one.
    phone = many[2].customer.phone
    sms = SmsMessage.objects.get(to_bidx__in=crypto.lookup_hashes(phone, "phone"))
    assert sms.to == phone and many[2].number in sms.text
    # Fatigue: the same resolutions again invite nobody.
    services.on_order_events(_resolutions(many))
    assert Invitation.objects.count() == 11
