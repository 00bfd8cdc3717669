"""The ids an order's create and update take (contact, subscription, parent) are read in the
actor's data scope: one out of it gets the answer an id that does not exist gets, and links
nothing. Batches and duplicate lists keep to the scope too."""

import pytest

from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, ContactOrder
from kefu.customers import services as customers
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.staff import roles
from kefu.staff.models import User

from ..conftest import mobile, resident_id

NONE = 987_654_321


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("root", password="pw")


@pytest.fixture
def own_agent(make_user):
    """An agent who sees their own work only."""
    user = make_user(roles.AGENT, "front-office")
    User.objects.filter(pk=user.pk).update(data_scope="own")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def stranger(admin):
    """Someone else's customer, with a subscription, a contact and an order: nothing the
    agent may see."""
    c = customers.create_customer(admin, name="赵六", id_number=resident_id(8801), phone=mobile(8801), province="北京", city="北京")
    sub = customers.create_subscription(admin, customer_id=c.pk, service_number=mobile(8802), product="mobile", opened_on="2024-01-01")
    contact = contacts.open_contact(admin, channel="hotline", customer_id=c.pk)
    order = orders.create_order(admin, kind="fault", title="宽带断网", customer_id=c.pk, channel="hotline")
    return {"customer": c, "subscription": sub, "contact": contact, "order": order,
            "bare_contact": contacts.open_contact(admin, channel="hotline")}


@pytest.fixture
def own_customer(admin, own_agent):
    c = customers.create_customer(admin, name="钱七", id_number=resident_id(8803), phone=mobile(8803), province="广东", city="广州")
    Contact.objects.filter(pk=contacts.open_contact(admin, channel="hotline", customer_id=c.pk).pk).update(agent=own_agent)
    return c


def _create(api, customer, **refs):
    return api.post("/orders", {"kind": "complaint", "title": "话费多扣了", "customer_id": customer.pk, "channel": "hotline"} | refs)


@pytest.mark.parametrize("field, key", [("contact_id", "contact"), ("contact_id", "bare_contact"),
                                        ("subscription_id", "subscription"), ("parent_id", "order")])
def test_an_order_names_nothing_out_of_scope(api_client, own_agent, own_customer, stranger, field, key):
    """Once: another customer's contact answered "belongs to another customer", one without a
    customer was linked (201), and a parent out of scope was taken."""
    api = api_client(own_agent)
    out = _create(api, own_customer, **{field: stranger[key].pk})
    missing = _create(api, own_customer, **{field: NONE})
    assert out.status_code == missing.status_code == 422
    assert out.json() == missing.json()
    assert not WorkOrder.objects.filter(customer=own_customer).exists()
    assert not ContactOrder.objects.filter(contact__in=[stranger["contact"], stranger["bare_contact"]]).exists()


def test_an_edit_keeps_a_parent_the_editor_cannot_see(own_agent, own_customer, stranger, admin):
    """Only what the actor names is read in their scope: a reference the order already has
    stays, whoever set it."""
    order = orders.create_order(admin, kind="complaint", title="话费多扣了", customer_id=own_customer.pk, channel="hotline",
                                parent_id=stranger["order"].pk)
    WorkOrder.objects.filter(pk=order.pk).update(owner=own_agent)
    edited = orders.update_order(own_agent, order.pk, version=order.version, changes={"kind": "inquiry"})
    assert (edited.kind, edited.parent_id) == ("inquiry", stranger["order"].pk)


def test_assign_many_skips_orders_out_of_scope(own_agent, stranger, departments, admin):
    order = orders.accept(admin, stranger["order"].pk)
    move = {"order_id": order.pk, "department_id": departments["tech-support"].pk, "handler_id": None,
            "planned_from": order.department_id, "raise": {"severity": "major", "flagged": True}}
    assert orders.assign_many(own_agent, [move]) == []
    assert WorkOrder.objects.filter(pk=order.pk).values_list("status", "severity", "flagged").get() == ("accepted", "general", False)
    assert [o.pk for o in orders.assign_many(None, [move])] == [order.pk]  # the system sees every order


def test_duplicates_list_only_orders_in_scope(api_client, own_agent, own_customer, admin, departments):
    mine = orders.create_order(admin, kind="fault", title="宽带断网三天了", customer_id=own_customer.pk, channel="hotline")
    theirs = orders.create_order(admin, kind="fault", title="宽带断网三天了", customer_id=own_customer.pk, channel="hotline")
    WorkOrder.objects.filter(pk=mine.pk).update(owner=own_agent)
    WorkOrder.objects.filter(pk=theirs.pk).update(department=departments["billing"])
    assert [d["order"]["id"] for d in api_client(admin).get(f"/orders/{mine.pk}/duplicates").json()] == [theirs.pk]
    r = api_client(own_agent).get(f"/orders/{mine.pk}/duplicates")
    assert r.status_code == 200 and r.json() == []
