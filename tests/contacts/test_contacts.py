import re

import pytest

from kefu.contacts.models import IdentityVerification, SmsMessage

from .conftest import age_throttles


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
    c = as_agent.post("/contacts", {"channel": "online_chat", "customer_id": customer.pk}).json()
    assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    r = as_agent.post(f"/contacts/{c['id']}/sms-code")  # at once again: too soon
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and 0 < r.json()["retry_after"] <= 60
    # A second contact of the same customer does not get round it.
    c2 = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    assert as_agent.post(f"/contacts/{c2['id']}/sms-code").status_code == 429
    # Spaced out, the hourly cap still holds.
    for _ in range(settings.KEFU_SMS_MAX_PER_HOUR - 1):
        age_throttles(5 * 60)
        assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201
    age_throttles(5 * 60)
    r = as_agent.post(f"/contacts/{c['id']}/sms-code")
    assert r.status_code == 429 and str(settings.KEFU_SMS_MAX_PER_HOUR) in r.json()["message"]
    # The first code leaves the window after an hour (it was sent 25 minutes ago): one more then.
    assert 35 * 60 - 5 <= r.json()["retry_after"] <= 35 * 60 + 1
    age_throttles(35 * 60 + 1)
    assert as_agent.post(f"/contacts/{c['id']}/sms-code").status_code == 201


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


def test_failed_checks_are_capped_per_customer_across_contacts(as_agent, customer, settings):
    settings.KEFU_VERIFY_MAX_FAILURES, settings.KEFU_VERIFY_WINDOW_MINUTES = 5, 60
    first, second, third = (as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
                            for _ in range(3))
    wrong_password = {"method": "service_password", "secret": "000000"}
    wrong_id = {"method": "id_number", "secret": "110101199001010000"}
    for payload in (wrong_password, wrong_id, wrong_password):  # the contact's own 3
        assert as_agent.post(f"/contacts/{first['id']}/verifications", payload).json()["result"] == "failed"
    for _ in range(2):  # a new contact: 2 more, 5 for the customer
        assert as_agent.post(f"/contacts/{second['id']}/verifications", wrong_password).json()["result"] == "failed"
    r = as_agent.post(f"/contacts/{second['id']}/verifications", {"method": "service_password", "secret": "246810"})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited", r.json()
    assert "60 minutes" in r.json()["message"] and 0 < r.json()["retry_after"] <= 3600
    r = as_agent.post(f"/contacts/{third['id']}/verifications", {"method": "id_number", "secret": customer.id_number})
    assert r.status_code == 429  # nor a third contact, nor the other method
    assert IdentityVerification.objects.filter(result="failed").count() == 5
    assert not IdentityVerification.objects.filter(result="passed").exists()
    # A code to the customer's own mobile still verifies: the cap is on what can be guessed.
    assert as_agent.post(f"/contacts/{third['id']}/sms-code").status_code == 201
    code = re.search(r"\d{6}", SmsMessage.objects.get().text).group()
    r = as_agent.post(f"/contacts/{third['id']}/verifications", {"method": "sms_code", "secret": code})
    assert r.json()["result"] == "passed"


def test_a_success_does_not_empty_the_customer_s_window_and_the_window_passes(as_agent, customer, settings):
    settings.KEFU_VERIFY_MAX_FAILURES, settings.KEFU_VERIFY_WINDOW_MINUTES = 3, 30
    contacts = [as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json() for _ in range(3)]

    def check(contact, secret):
        r = as_agent.post(f"/contacts/{contact['id']}/verifications", {"method": "service_password", "secret": secret})
        return r.json()["result"] if r.status_code == 201 else r.status_code

    assert [check(contacts[0], "000000"), check(contacts[0], "000000")] == ["failed", "failed"]
    assert check(contacts[1], "246810") == "passed"
    assert [check(contacts[1], "000000"), check(contacts[2], "246810")] == ["failed", 429]
    age_throttles(30 * 60 - 10)  # the first failure is not yet 30 minutes old
    assert check(contacts[2], "246810") == 429
    age_throttles(11)
    assert check(contacts[2], "246810") == "passed"


def test_the_sms_window_arithmetic(settings):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.contacts.services import check_sms_rate
    from kefu.core.errors import RateLimited

    settings.KEFU_SMS_MAX_PER_HOUR, settings.KEFU_SMS_MIN_INTERVAL_SECONDS = 3, 60
    now = timezone.now()
    ago = [now - timedelta(minutes=m) for m in (50, 20, 2)]
    check_sms_rate([], now=now)
    check_sms_rate(ago[:2], now=now)  # 2 in the hour, the last 20 minutes ago
    with pytest.raises(RateLimited) as refused:
        check_sms_rate(ago, now=now)  # 3 in the hour: the first leaves it in 10 minutes
    assert refused.value.extra["retry_after"] == 10 * 60 + 1
    with pytest.raises(RateLimited) as refused:
        check_sms_rate([now - timedelta(seconds=45)], now=now)  # too soon after the last
    assert refused.value.extra["retry_after"] == 16


def test_the_counter_knows_a_number_by_blind_index_and_idle_counters_go(client, customer, db):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.contacts.models import Throttle
    from kefu.core import crypto

    assert client.post("/portal/login/", {"phone": customer.phone}).status_code == 302
    row = Throttle.objects.get()
    assert (row.kind, row.subject) == ("sms", crypto.blind_index(customer.phone, "phone"))
    assert customer.phone not in str(row.__dict__) and len(row.hits) == 1
    Throttle.objects.update(updated_at=timezone.now() - timedelta(hours=1, seconds=1))
    assert client.post("/portal/login/", {"phone": "13912345678"}).status_code == 302
    assert Throttle.objects.get().subject == crypto.blind_index("13912345678", "phone")  # the idle one is gone


def test_no_code_goes_to_a_customer_without_a_mobile_number(as_agent, customer):
    from kefu.customers.models import Customer

    c = as_agent.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    Customer.objects.filter(pk=customer.pk).update(phone="")
    r = as_agent.post(f"/contacts/{c['id']}/sms-code")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "customer_id"
    assert not SmsMessage.objects.exists()
