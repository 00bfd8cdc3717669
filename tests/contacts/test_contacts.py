import re

import pytest

from kefu.contacts.models import IdentityVerification, SmsMessage


@pytest.fixture
def as_agent(api_client, agent):
    return api_client(agent)


def test_contact_records_verification_results_never_secrets(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk, "caller": customer.phone}).json()
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "service_password", "secret": "000000"})
    assert r.status_code == 201 and r.json()["result"] == "failed"
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "service_password", "secret": "246810"})
    assert r.json()["result"] == "passed"
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "id_number", "secret": customer.id_number.lower()})
    assert r.json()["result"] == "passed"
    assert as_agent.get(f"/contacts/{c['id']}").json()["verified"] is True
    for v in IdentityVerification.objects.all():
        assert "246810" not in str(v.__dict__) and customer.id_number not in str(v.__dict__)


def test_sms_code_flow(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "online_chat", "customer_id": customer.pk}).json()
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "sms_code", "secret": "123456"})
    assert r.status_code == 422
    assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    message = SmsMessage.objects.get()  # the default backend: the outbox
    assert (message.to, message.purpose) == (customer.phone, SmsMessage.Purpose.IDENTITY)
    code = re.search(r"\d{6}", message.text).group()
    assert IdentityVerification.objects.get().code_hash != code
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "sms_code", "secret": code})
    assert r.json()["result"] == "passed"
    assert IdentityVerification.objects.get().code_hash == ""


def test_too_many_failures_lock_the_contact(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    for _ in range(3):
        as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "service_password", "secret": "999999"})
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "service_password", "secret": "246810"})
    assert r.status_code == 409


def test_contact_raises_an_order_and_history_is_shared(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "wechat", "customer_id": customer.pk, "summary": "咨询套餐"}).json()
    o = as_agent.post("/orders", {"kind": "consultation", "title": "套餐咨询", "customer_id": customer.pk,
                                  "channel": "wechat", "contact_id": c["id"]}).json()
    assert as_agent.get(f"/contacts/{c['id']}").json()["order_ids"] == [o["id"]]
    c2 = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    assert as_agent.post(f"/contacts/{c2['id']}/orders", {"order_id": o["id"]}).status_code == 201
    history = as_agent.get(f"/contacts?customer={customer.pk}").json()
    assert history["count"] == 2 and {x["channel"] for x in history["results"]} == {"wechat", "hotline"}


def test_end_before_start_is_refused(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk, "started_at": "2026-01-01T10:00:00+08:00"}).json()
    r = as_agent.patch(f"/contacts/{c['id']}", {"version": c["version"], "ended_at": "2026-01-01T09:00:00+08:00"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "ended_at"


def test_contact_edits_never_overwrite_each_other(as_agent, customer):
    c = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    r = as_agent.patch(f"/contacts/{c['id']}", {"version": c["version"], "summary": "咨询流量包", "outcome": "answered"})
    assert r.status_code == 200 and r.json()["version"] == c["version"] + 1
    r = as_agent.patch(f"/contacts/{c['id']}", {"version": c["version"], "summary": "stale"})
    assert r.status_code == 409 and r.json()["current_version"] == c["version"] + 1
    assert as_agent.get(f"/contacts/{c['id']}").json()["summary"] == "咨询流量包"


def test_sms_codes_are_rate_limited_per_customer(as_agent, customer, settings):
    from datetime import timedelta

    from django.utils import timezone

    c = as_agent.post("/contacts", {"channel": "online_chat", "customer_id": customer.pk}).json()
    assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    r = as_agent.post(f"/contacts/{c['id']}/sms-code")  # at once again: too soon
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and 0 < r.json()["retry_after"] <= 60
    # A second contact of the same customer does not get round it.
    c2 = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    assert as_agent.post(f"/contacts/{c2['id']}/sms-code").status_code == 429
    # Spaced out, the hourly cap still holds.
    for _ in range(settings.KEFU_SMS_MAX_PER_HOUR - 1):
        IdentityVerification.objects.update(at=timezone.now() - timedelta(minutes=5))
        assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    IdentityVerification.objects.update(at=timezone.now() - timedelta(minutes=5))
    r = as_agent.post(f"/contacts/{c['id']}/sms-code")
    assert r.status_code == 429 and str(settings.KEFU_SMS_MAX_PER_HOUR) in r.json()["message"]


def test_the_log_backend_writes_the_code_to_the_log(as_agent, customer, settings, caplog):
    settings.KEFU_SMS_BACKEND = "log"
    c = as_agent.post("/contacts", {"channel": "online_chat", "customer_id": customer.pk}).json()
    with caplog.at_level("WARNING", logger="kefu.sms"):
        assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    code = caplog.records[-1].args[1]
    assert not SmsMessage.objects.exists()
    r = as_agent.post(f"/contacts/{c['id']}/verifications", {"method": "sms_code", "secret": code})
    assert r.json()["result"] == "passed"


def test_the_outbox_keeps_numbers_encrypted_and_forgets_old_messages(db, settings):
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from kefu.contacts import sms

    sms.send_code("13900001111", "123456")
    with connection.cursor() as cursor:
        cursor.execute("SELECT \"to\", text FROM contacts_smsmessage")
        stored_to, text = cursor.fetchone()
    assert "13900001111" not in stored_to and "123456" in text
    SmsMessage.objects.update(created_at=timezone.now() - timedelta(days=settings.KEFU_SMS_OUTBOX_DAYS, seconds=1))
    sms.send_code("13900002222", "654321")
    assert [m.to for m in SmsMessage.objects.all()] == ["13900002222"]


def test_only_administrators_read_the_outbox(client, make_user, customer, as_agent):
    from kefu.staff import roles

    c = as_agent.post("/contacts", {"channel": "online_chat", "customer_id": customer.pk}).json()
    as_agent.post(f"/contacts/{c['id']}/sms-code")
    message = SmsMessage.objects.get()
    url = "/admin/contacts/smsmessage/"
    for role, allowed in ((roles.SUPERVISOR, False), (roles.ADMINISTRATOR, True)):
        user = make_user(role)
        user.is_staff = True
        user.save()
        client.force_login(user)
        r = client.get(url)
        assert r.status_code == (200 if allowed else 403), role
        if allowed:
            page = r.content.decode()
            assert customer.phone not in page and customer.phone[-4:] in page  # masked in the list
            assert client.get(f"{url}?q={customer.phone}").context["cl"].result_count == 1
            assert client.get(f"{url}?q=13900000000").context["cl"].result_count == 0
            assert client.get(f"{url}{message.pk}/change/").status_code == 200
            assert client.post(f"{url}{message.pk}/delete/").status_code == 403
            assert client.get(f"{url}add/").status_code == 403
