"""Correction goes through the customer file's own service; deletion anonymises what
real-name retention lets go and says what it kept and until when."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.core.errors import Conflict, InvalidTransition, ValidationFailed
from kefu.customers import services as customers
from kefu.customers.models import Account, Customer, Subscription
from kefu.orders.models import Feedback, WorkOrder
from kefu.privacy import services
from kefu.privacy.models import Anonymisation, PrivacyRequest


def test_correction_changes_the_file_and_is_audited(supervisor, customer, started):
    req = started(customer, "correction", details="地址和联系电话变了")
    with pytest.raises(ValidationFailed) as err:
        services.correct(supervisor, req.pk, version=req.version, changes={"segment": "vip", "phone": "123"})
    assert set(err.value.fields) == {"segment", "phone"}
    with pytest.raises(Conflict):  # the file changed since the handler read it
        services.correct(supervisor, req.pk, version=req.version, changes={"address": "x"}, customer_version=customer.version + 5)

    req = services.correct(supervisor, req.pk, version=req.version, customer_version=customer.version,
                           changes={"address": "广州市天河区体育西路1号", "phone": "138-0013-8000", "city": "广州"})

    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.address, customer.phone) == ("广州市天河区体育西路1号", "13800138000")
    assert req.status == "completed" and "address" in req.outcome and "contact phone" in req.outcome and "city" not in req.outcome
    update = AuditEntry.objects.get(action="update", object_type="customers.customer", object_id=str(customer.pk))
    assert (update.fields, update.actor) == (["address", "phone"], supervisor)
    last = AuditEntry.objects.filter(object_type="privacy.privacyrequest", object_id=str(req.pk)).order_by("seq").last()
    assert (last.action, last.fields, last.reason) == ("transition", ["outcome", "status"], "completed")


def test_correction_only_for_correction_requests(supervisor, customer, started):
    req = started(customer, "deletion")
    with pytest.raises(InvalidTransition):
        services.correct(supervisor, req.pk, version=req.version, changes={"address": "x"})


def _personal_data(agent, customer, order, resolved):
    customers.update_customer(agent, customer.pk, version=customer.version,
                              changes={"email": "zhangsan@example.com", "alt_phone": "13700001111", "address": "广州市越秀区"})
    contacts.open_contact(agent, channel="hotline", customer_id=customer.pk, caller="13700001111", summary="投诉话费")
    customers.create_account(agent, customer_id=customer.pk, name="张三", billing="postpaid")
    resolved(order, comment="客服小王态度很好")


def test_deletion_while_in_service_keeps_the_real_name_data(agent, supervisor, customer, order, started, resolved):
    _personal_data(agent, customer, order, resolved)
    before = Customer.objects.get(pk=customer.pk)
    req = started(customer, "deletion")

    req = services.erase(supervisor, req.pk, version=req.version)

    after = Customer.objects.get(pk=customer.pk)
    assert (after.name, after.id_number, after.phone, after.address, after.service_password_hash) == \
        (before.name, before.id_number, before.phone, before.address, before.service_password_hash)
    assert (after.email, after.alt_phone) == ("", "")
    assert after.version == before.version + 1
    # The blind indexes follow: the old number no longer finds the file, the kept one still does.
    assert list(customers.search_customers(supervisor, phone="13700001111")) == []
    assert list(customers.search_customers(supervisor, phone=before.phone)) == [after]
    assert set(Contact.objects.filter(customer=customer).values_list("caller", "summary")) == {("", "")}
    assert set(Feedback.objects.filter(order__customer=customer).values_list("comment", flat=True)) == {""}
    assert WorkOrder.objects.get(pk=order.pk).title == "话费多扣了20元"  # service records stay
    assert req.status == "completed" and "while the service continues" in req.outcome
    mark = Anonymisation.objects.get(customer=customer)
    assert (mark.scope, mark.real_name_kept_until, mark.request_id) == ("personal", None, req.pk)
    entry = AuditEntry.objects.get(action="anonymise")
    assert (entry.object_id, entry.reason, entry.fields) == (str(customer.pk), req.number, sorted(services.PERSONAL_FIELDS))


def test_deletion_soon_after_service_ended_says_until_when(supervisor, customer, subscription, started):
    ended = timezone.localdate() - timedelta(days=100)
    Subscription.objects.filter(pk=subscription.pk).update(status="terminated", terminated_on=ended)
    req = services.erase(supervisor, started(customer, "deletion").pk, version=2)
    until = services.shift_years(ended, 2)
    assert until.isoformat() in req.outcome
    assert Anonymisation.objects.get(customer=customer).real_name_kept_until == until
    assert Customer.objects.get(pk=customer.pk).name == "张三"


def test_deletion_after_retention_anonymises_everything(agent, supervisor, customer, subscription, order, started, resolved):
    _personal_data(agent, customer, order, resolved)
    WorkOrder.objects.filter(pk=order.pk).update(status="closed")
    ended = services.realname_limit(timezone.localdate()) - timedelta(days=1)
    Subscription.objects.filter(pk=subscription.pk).update(status="terminated", terminated_on=ended)
    req = started(customer, "deletion")

    req = services.erase(supervisor, req.pk, version=req.version, note="已电话告知客户")

    after = Customer.objects.get(pk=customer.pk)
    assert after.name == "Deregistered customer"
    assert (after.id_number, after.phone, after.alt_phone, after.email, after.address, after.service_password_hash) == ("",) * 6
    assert after.status == "inactive" and after.id_type == "resident_id"
    assert (after.id_number_bidx, after.phone_bidx, after.alt_phone_bidx) == ("", "", "")
    for term in (customer.phone, customer.id_number, "13700001111"):
        assert list(customers.search_customers(supervisor, q=term)) == []
    assert not after.check_service_password("246810")
    assert set(Account.objects.filter(customer=customer).values_list("name", flat=True)) == {""}
    assert set(Subscription.objects.filter(customer=customer).values_list("service_number", flat=True)) == {""}
    assert set(Contact.objects.filter(customer=customer).values_list("caller", "summary")) == {("", "")}
    assert set(Feedback.objects.filter(order__customer=customer).values_list("comment", flat=True)) == {""}
    assert req.outcome.startswith("Anonymised in full") and req.outcome.endswith("已电话告知客户")
    assert Anonymisation.objects.get(customer=customer).scope == "full"
    assert AuditEntry.objects.get(action="anonymise").fields == sorted(services.FULL_FIELDS)


def test_unfinished_work_orders_hold_the_real_name_data(supervisor, customer, subscription, order, started):
    ended = services.realname_limit(timezone.localdate()) - timedelta(days=30)
    Subscription.objects.filter(pk=subscription.pk).update(status="terminated", terminated_on=ended)
    req = services.erase(supervisor, started(customer, "deletion").pk, version=2)
    assert "open work orders" in req.outcome
    assert Customer.objects.get(pk=customer.pk).name == "张三"
    assert PrivacyRequest.objects.get(pk=req.pk).status == "completed"


def test_correct_and_erase_over_the_api(supervisor, customer, started, api_client):
    boss = api_client(supervisor)
    req = started(customer, "correction")
    r = boss.post(f"/privacy/requests/{req.pk}/correct", {"version": req.version, "changes": {"district": "天河区"}})
    assert r.status_code == 200 and r.json()["status"] == "completed", r.json()
    assert Customer.objects.get(pk=customer.pk).district == "天河区"
    r = boss.post(f"/privacy/requests/{req.pk}/correct", {"version": 3, "changes": {"district": "越秀区"}})
    assert r.status_code == 409

    req = started(customer, "deletion")
    assert boss.post(f"/privacy/requests/{req.pk}/correct", {"version": 2, "changes": {"district": "x"}}).status_code == 409
    r = boss.post(f"/privacy/requests/{req.pk}/erase", {"version": 2})
    assert r.status_code == 200 and "while the service continues" in r.json()["outcome"]
