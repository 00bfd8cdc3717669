"""The access request's export: everything about one customer from every table, unmasked,
never a secret or an internal note; the readable document escapes what it shows; one query
per table however much there is."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.contacts.models import IdentityVerification
from kefu.customers import services as customers
from kefu.privacy import services


def _contact(agent, customer, summary="咨询本月话费"):
    contact = contacts.open_contact(agent, channel="hotline", customer_id=customer.pk, caller="13900001111", summary=summary)
    IdentityVerification.objects.create(contact=contact, method="sms_code", result="pending", agent=agent,
                                        code_hash="pbkdf2_sha256$SECRET-CODE-HASH")
    return contact


def test_export_holds_every_table_and_no_secrets(agent, supervisor, customer, subscription, order, started, resolved):
    customers.create_account(agent, customer_id=customer.pk, name="张三的家庭账户", billing="postpaid")
    _contact(agent, customer)
    resolved(order, comment="处理及时，满意")
    req = started(customer, "access", details="请提供我的全部个人信息")

    data = services.export(supervisor, req.pk)
    text = json.dumps(data, ensure_ascii=False)

    assert data["customer"]["id_number"] == customer.id_number  # unmasked: it is for the data subject
    assert data["customer"]["phone"] == customer.phone and data["customer"]["name"] == "张三"
    assert data["accounts"][0]["name"] == "张三的家庭账户"
    assert data["subscriptions"][0]["service_number"] == subscription.service_number
    assert (data["contacts"][0]["caller"], data["contacts"][0]["summary"]) == ("13900001111", "咨询本月话费")
    assert (data["identity_verifications"][0]["method"], data["identity_verifications"][0]["result"]) == ("sms_code", "pending")
    assert data["work_orders"][0]["number"] == order.number and data["work_orders"][0]["resolution"] == "已退还误扣的20元"
    seen = {(e["status"], e["reason"]) for e in data["order_events"]}
    assert ("waiting_customer", "请提供本月话费清单") in seen and ("resolved", "") in seen
    assert data["feedback"][0]["comment"] == "处理及时，满意" and data["feedback"][0]["order"] == order.number
    assert [r["number"] for r in data["privacy_requests"]] == [req.number]

    for secret in ("service_password", customer.service_password_hash, "code_hash", "SECRET-CODE-HASH", "INTERNAL-NOTE"):
        assert secret not in text

    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.object_id, entry.reason, entry.actor) == ("customers.customer", str(customer.pk), req.number, supervisor)


def test_the_document_escapes_markup(agent, supervisor, customer, started):
    customers.update_customer(agent, customer.pk, version=customer.version, changes={"address": "<b>天河区</b>体育西路1号"})
    _contact(agent, customer, summary="<script>alert('x')</script>来电")
    req = started(customer, "access")

    _req, html = services.export_document(supervisor, req.pk)

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;来电" in html
    assert "<script>" not in html and "<b>天河区" not in html
    assert "&lt;b&gt;天河区&lt;/b&gt;体育西路1号" in html
    assert customer.customer_no in html and req.number in html and customer.id_number in html
    assert "SECRET-CODE-HASH" not in html and customer.service_password_hash not in html
    assert AuditEntry.objects.filter(action="export", reason=req.number).count() == 1


def test_one_query_per_table_however_many_rows(agent, supervisor, customer, started):
    req = started(customer, "access")
    _contact(agent, customer)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            services.export(supervisor, req.pk)
        return len(ctx.captured_queries)

    few = queries()
    for n in range(10):
        _contact(agent, customer, summary=f"第{n}次来电")
    assert queries() == few
