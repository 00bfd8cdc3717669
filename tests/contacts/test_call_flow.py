"""The call as the agent lives it: the caller's number as lookups read it, the call in progress,
its work orders, and the outcome that fits what happened."""

import pytest

from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.orders import services as orders


@pytest.mark.parametrize("typed,stored", [
    ("+86 139-0000-1111", "13900001111"),
    ("86-13900001111", "13900001111"),
    ("１３９ ００００ １１１１", "13900001111"),
    ("020-8765 4321", "02087654321"),
    ("+852 1234 5678", "+85212345678"),
    ("  zhang.san@qq.com ", "zhang.san@qq.com"),
    ("ｗｘ＿ｚｈａｎｇ", "wx_zhang"),
    ("", ""),
])
def test_open_contact_keeps_the_caller_as_lookups_read_it(agent, typed, stored):
    contact = contacts.open_contact(agent, channel="hotline", caller=typed)
    assert Contact.objects.get(pk=contact.pk).caller == stored


@pytest.mark.parametrize("q,caller", [
    ("+86 139 0000 1111", "13900001111"), ("０２０－８７６５４３２１", "02087654321"),
    ("110101199001010012", ""), ("C0000000001", ""), ("张三", ""), ("GD20261122000123", ""), ("", ""), (None, ""),
])
def test_caller_from_search(q, caller):
    assert contacts.caller_from_search(q) == caller


def test_the_call_in_progress(agent, make_user, customer):
    assert contacts.open_contact_of(agent) is None
    first = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk)
    assert contacts.open_contact_of(agent) == first
    second = contacts.open_contact(agent, channel="online_chat")
    assert contacts.open_contact_of(agent) == second
    contacts.update_contact(agent, second.pk, version=second.version, changes={"ended_at": second.started_at})
    assert contacts.open_contact_of(agent) == first
    assert contacts.open_contact_of(make_user("agent")) is None  # a colleague's call is not theirs


def test_the_default_outcome_follows_what_happened(agent, customer, order):
    answered = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk)
    assert contacts.default_outcome(answered) == "answered"
    contacts.touch_order(agent, answered.pk, order.pk)  # a chase of an existing order registers nothing
    assert contacts.default_outcome(answered) == "answered"
    registered = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk)
    orders.create_order(agent, kind="consultation", title="套餐咨询", customer_id=customer.pk, channel="hotline",
                        contact_id=registered.pk)
    assert contacts.default_outcome(registered) == "order_created"


def test_orders_of_a_contact_and_contacts_of_an_order(agent, make_user, customer, order):
    contact = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk)
    new = orders.create_order(agent, kind="consultation", title="套餐咨询", customer_id=customer.pk, channel="hotline",
                              contact_id=contact.pk)
    contacts.touch_order(agent, contact.pk, order.pk)
    assert [(o.pk, o.contact_role) for o in contacts.orders_of_contact(agent, contact)] == [(order.pk, "touched"), (new.pk, "raised")]
    assert contacts.contacts_of_order(agent, new) == [contact]
    # Out of scope, the rows are left out as if absent.
    outsider = make_user("tech_support", "billing")
    assert contacts.orders_of_contact(outsider, contact) == [] and contacts.contacts_of_order(outsider, new) == []
