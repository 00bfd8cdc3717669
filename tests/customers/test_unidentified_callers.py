"""Unidentified callers (decision 0023): a provisional file holds their consultation or complaint
until it is matched to their customer file; nothing of any subscriber is looked up or shown."""

import pytest

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.customers import services as customers
from kefu.customers.models import Customer
from kefu.orders import services as orders
from kefu.orders.models import OrderEvent
from kefu.portal import services as portal
from tests.conftest import mobile, resident_id


@pytest.fixture
def call(agent):
    return contacts.open_contact(agent, channel="hotline", caller="+86 139-0000-1111")


@pytest.fixture
def caller(agent, call):
    return customers.register_caller(agent, name="“李四”", phone="１３９００００１１１１", contact_id=call.pk)


def _complaint(agent, customer, contact=None):
    return orders.create_order(agent, kind="complaint", title="客服态度差", customer_id=customer.pk, channel="hotline",
                               contact_id=contact.pk if contact else None)


def test_a_provisional_file_with_what_the_caller_gave(agent, call, settings):
    settings.KEFU_REGION = "广东"
    c = customers.register_caller(agent, name="“李四”", phone="１３９-0000-1111", contact_id=call.pk)
    c.refresh_from_db()
    assert (c.status, c.name, c.phone, c.id_number, c.province) == ("provisional", "李四", "13900001111", "", "广东")
    assert c.is_provisional and c.customer_no.startswith("C")
    call.refresh_from_db()
    assert call.customer_id == c.pk and call.version == 2
    assert AuditEntry.objects.filter(action="create", object_id=str(c.pk), reason=f"caller on contact {call.pk}").exists()
    # The contact has its customer now: a second registration is refused.
    with pytest.raises(Conflict):
        customers.register_caller(agent, name="李四", phone="13900001111", contact_id=call.pk)


@pytest.mark.parametrize("name,phone,field", [("", "13900001111", "name"), ("“ ”", "13900001111", "name"),
                                              ("李四", "12345", "phone"), ("李四", "", "phone")])
def test_bad_input_names_the_field(agent, call, name, phone, field):
    with pytest.raises(ValidationFailed) as exc:
        customers.register_caller(agent, name=name, phone=phone, contact_id=call.pk)
    assert field in exc.value.fields
    assert not Customer.objects.exists()


def test_another_agents_contact_is_not_found(agent, make_user, call):
    other = make_user("agent")
    other.data_scope = "own"
    other.save()
    with pytest.raises(NotFound):
        customers.register_caller(other, name="李四", phone="13900001111", contact_id=call.pk)


def test_only_consultations_and_complaints(agent, call, caller):
    with pytest.raises(ValidationFailed) as exc:
        orders.create_order(agent, kind="fault", title="宽带断网", customer_id=caller.pk, channel="hotline")
    assert set(exc.value.fields) == {"kind"}
    consultation = orders.create_order(agent, kind="consultation", title="资费咨询", customer_id=caller.pk, channel="hotline",
                                       contact_id=call.pk)
    complaint = _complaint(agent, caller, call)
    assert {consultation.customer_id, complaint.customer_id} == {caller.pk}
    with pytest.raises(ValidationFailed) as exc:
        orders.update_order(agent, complaint.pk, version=complaint.version, changes={"kind": "business"})
    assert set(exc.value.fields) == {"kind"}
    assert customers.order_kinds(caller) == [("consultation", "Consultation"), ("complaint", "Complaint")]


def test_the_provisional_file_cannot_be_verified(agent, call, caller):
    for attempt in (lambda: contacts.send_sms_code(agent, call.pk),
                    lambda: contacts.verify_identity(agent, call.pk, method="id_number", secret="")):
        with pytest.raises(ValidationFailed) as exc:
            attempt()
        assert "customer_id" in exc.value.fields


def test_a_subscribers_number_reveals_nothing_and_keeps_their_sign_in(agent, call):
    n = 9101
    subscriber = customers.create_customer(agent, name="张三", id_number=resident_id(n), phone=mobile(n), province="广东", city="广州")
    assert portal._holder(mobile(n)) == subscriber
    caller = customers.register_caller(agent, name="李四", phone=mobile(n), contact_id=call.pk)
    # Nothing of the subscriber is linked or copied, and the answer is the same as for anyone's number.
    assert caller.pk != subscriber.pk and (caller.name, caller.id_number, caller.city) == ("李四", "", "")
    call.refresh_from_db()
    assert call.customer_id == caller.pk
    # The caller's file never signs in, nor hides the subscriber's (several holders: nobody).
    assert portal._holder(mobile(n)) == subscriber
    assert portal._holder("13900001111") is None


def test_lookups_mark_provisional_files_and_drop_matched_ones(agent, customer, caller):
    found = list(customers.search_customers(agent, q="139 0000 1111"))
    assert found == [caller] and found[0].is_provisional
    customers.match_caller(agent, caller.pk, customer.pk)
    assert list(customers.search_customers(agent, q="13900001111")) == []
    assert list(customers.search_customers(agent, q=customer.customer_no)) == [customer]


def test_matching_moves_orders_and_contacts(agent, customer, call, caller):
    order = _complaint(agent, caller, call)
    result = customers.match_caller(agent, caller.pk, customer.pk)
    assert result == customer
    order.refresh_from_db()
    call.refresh_from_db()
    caller.refresh_from_db()
    assert (order.customer_id, order.province, order.version) == (customer.pk, customer.province, 2)
    assert call.customer_id == customer.pk and call.version == 3
    assert caller.status == "matched" and not caller.is_provisional
    event = OrderEvent.objects.filter(order=order, action="update").get()
    assert event.actor == agent and event.data == {"changes": {"customer": [caller.customer_no, customer.customer_no]}}
    assert AuditEntry.objects.filter(action="update", object_id=str(caller.pk), reason=f"matched to {customer.customer_no}").exists()
    assert AuditEntry.objects.filter(action="update", object_id=str(customer.pk), reason__contains=caller.customer_no).exists()
    # Retired: matched once, never used again.
    with pytest.raises(Conflict):
        customers.match_caller(agent, caller.pk, customer.pk)
    with pytest.raises(ValidationFailed) as exc:
        _complaint(agent, caller)
    assert set(exc.value.fields) == {"customer_id"}
    with pytest.raises(ValidationFailed):
        contacts.open_contact(agent, channel="hotline", customer_id=caller.pk)


def test_matching_needs_a_real_file_in_scope(agent, make_user, customer, call, caller):
    other_call = contacts.open_contact(agent, channel="hotline")
    other = customers.register_caller(agent, name="王五", phone="13900002222", contact_id=other_call.pk)
    with pytest.raises(ValidationFailed) as exc:
        customers.match_caller(agent, caller.pk, other.pk)
    assert set(exc.value.fields) == {"customer_id"}
    with pytest.raises(Conflict):  # not a provisional file
        customers.match_caller(agent, customer.pk, customer.pk)
    outsider = make_user("agent")
    outsider.data_scope = "own"
    outsider.save()
    with pytest.raises(NotFound):
        customers.match_caller(outsider, caller.pk, customer.pk)
    # Their own caller, but a customer out of their scope: named as the bad field, as for none.
    own_call = contacts.open_contact(outsider, channel="hotline")
    own = customers.register_caller(outsider, name="赵六", phone="13900003333", contact_id=own_call.pk)
    with pytest.raises(ValidationFailed) as exc:
        customers.match_caller(outsider, own.pk, customer.pk)
    assert set(exc.value.fields) == {"customer_id"}
    assert Customer.objects.get(pk=own.pk).status == "provisional"


def test_status_is_not_changed_by_hand(agent, customer, caller):
    for file, status in ((caller, "active"), (customer, "provisional"), (customer, "matched")):
        with pytest.raises(ValidationFailed) as exc:
            customers.update_customer(agent, file.pk, version=file.version, changes={"status": status})
        assert set(exc.value.fields) == {"status"}
    assert customers.update_customer(agent, customer.pk, version=customer.version, changes={"status": "inactive"}).status == "inactive"


def test_api_register_and_match(api_client, agent, customer, call):
    api = api_client(agent)
    bad = api.post("/customers/callers", {"name": "李四", "phone": "12345", "contact_id": call.pk})
    assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == ["phone"]
    r = api.post("/customers/callers", {"name": "李四", "phone": "13900001111", "contact_id": call.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "provisional" and body["name_masked"] == "李*" and customer.customer_no not in r.content.decode()
    r = api.post(f"/customers/{body['id']}/match", {"customer_id": customer.pk})
    assert r.status_code == 200 and r.json()["id"] == customer.pk
    assert api.get(f"/customers/{body['id']}").json()["status"] == "matched"
