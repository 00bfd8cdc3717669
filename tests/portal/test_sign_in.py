"""Signing in to the portal with a mobile number and an SMS code from the outbox."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.contacts.models import SmsMessage
from kefu.portal import services
from kefu.portal.models import LoginCode
from kefu.portal.views import SEEN_KEY, SESSION_KEY
from tests.conftest import mobile
from tests.contacts.conftest import age_throttles

from .conftest import outbox_code

UNKNOWN = mobile(99999999)


def test_the_code_goes_to_the_outbox_and_signs_the_customer_in(client, customer):
    r = client.post("/portal/login/", {"phone": customer.phone})
    assert r.status_code == 302 and r["Location"] == "/portal/login/code/"
    message = SmsMessage.objects.get()
    assert message.to == customer.phone and message.purpose == SmsMessage.Purpose.PORTAL_LOGIN
    code = outbox_code(customer.phone)
    login = LoginCode.objects.get()
    assert login.customer_id == customer.pk and code not in login.code_hash and customer.phone not in str(login.__dict__)
    page = client.get("/portal/login/code/").content.decode()
    assert "139****" in page and customer.phone not in page  # the number shown masked
    r = client.post("/portal/login/code/", {"code": code})
    assert r.status_code == 302 and r["Location"] == "/portal/"
    assert client.session[SESSION_KEY] == customer.pk
    assert client.get("/portal/").status_code == 200
    # A code works once.
    with pytest.raises(services.ValidationFailed):
        services.verify_code(login.pk, code)


def test_a_live_mobile_service_number_signs_in_too(client, agent, customer, sign_in):
    from kefu.customers import services as customers

    second = mobile(77700001)
    customers.create_subscription(agent, customer_id=customer.pk, service_number=second, product="mobile", opened_on="2024-01-01")
    sign_in(customer, phone=second)
    assert client.session[SESSION_KEY] == customer.pk
    # A terminated one does not.
    ended = mobile(77700002)
    customers.create_subscription(agent, customer_id=customer.pk, service_number=ended, product="mobile", opened_on="2020-01-01",
                                  status="terminated", terminated_on="2023-01-01")
    assert services._holder(ended) is None


def test_a_wrong_code_is_refused_and_five_wrong_tries_end_the_code(client, customer):
    client.post("/portal/login/", {"phone": customer.phone})
    code = outbox_code(customer.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    r = client.post("/portal/login/code/", {"code": wrong})
    assert r.status_code == 422 and "4 tries left" in r.content.decode()
    assert SESSION_KEY not in client.session
    for _ in range(services.MAX_TRIES - 1):
        client.post("/portal/login/code/", {"code": wrong})
    r = client.post("/portal/login/code/", {"code": code})  # the right code, too late
    assert r.status_code == 422 and "expired or can no longer be used" in r.content.decode()
    assert SESSION_KEY not in client.session and LoginCode.objects.get().tries == services.MAX_TRIES


def test_an_expired_code_is_refused(client, customer):
    client.post("/portal/login/", {"phone": customer.phone})
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = client.post("/portal/login/code/", {"code": outbox_code(customer.phone)})
    assert r.status_code == 422 and SESSION_KEY not in client.session


def test_a_new_code_replaces_the_earlier_one(client, customer, settings):
    settings.KEFU_SMS_MIN_INTERVAL_SECONDS = 0
    client.post("/portal/login/", {"phone": customer.phone})
    first = LoginCode.objects.get()
    client.post("/portal/login/", {"phone": customer.phone})
    first.refresh_from_db()
    assert first.expires_at <= timezone.now() and LoginCode.objects.count() == 2


def test_codes_are_rate_limited_per_number(client, customer, settings):
    assert client.post("/portal/login/", {"phone": customer.phone}).status_code == 302
    r = client.post("/portal/login/", {"phone": customer.phone})  # at once again: too soon
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= 60 and "wait" in r.content.decode()
    assert SmsMessage.objects.count() == 1
    for _ in range(settings.KEFU_SMS_MAX_PER_HOUR - 1):
        age_throttles(5 * 60)
        assert client.post("/portal/login/", {"phone": customer.phone}).status_code == 302
    age_throttles(5 * 60)
    r = client.post("/portal/login/", {"phone": customer.phone})
    assert r.status_code == 429 and "in the last hour" in r.content.decode()
    assert SmsMessage.objects.count() == settings.KEFU_SMS_MAX_PER_HOUR


def _answers(client, phone):
    first = client.post("/portal/login/", {"phone": phone})
    page = client.get("/portal/login/code/").content.decode()
    again = client.post("/portal/login/", {"phone": phone})
    page = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page.replace(phone[:3] + "****" + phone[-4:], "NUMBER"))
    return first.status_code, first["Location"], page, again.status_code


def test_an_unknown_number_gets_the_same_answer_and_no_code(client, customer):
    from django.test import Client

    known = _answers(Client(), customer.phone)
    unknown = _answers(Client(), UNKNOWN)
    assert known == unknown and known[0] == 302 and known[3] == 429  # also rate-limited alike
    assert [m.to for m in SmsMessage.objects.all()] == [customer.phone]
    # No code signs in with an unknown number, even its hash's own.
    attempt = LoginCode.objects.get(customer__isnull=True)
    with pytest.raises(services.ValidationFailed):
        services.verify_code(attempt.pk, "000000")


def test_a_number_that_is_not_a_mobile_number_is_refused(client, db):
    r = client.post("/portal/login/", {"phone": "12345"})
    assert r.status_code == 422 and "11-digit" in r.content.decode() and not LoginCode.objects.exists()


def test_signing_out_and_idling_end_the_portal_session(client, customer, sign_in, settings):
    settings.KEFU_SMS_MIN_INTERVAL_SECONDS = 0
    sign_in(customer)
    assert client.get("/portal/logout/").status_code == 405
    r = client.post("/portal/logout/")
    assert r.status_code == 302 and SESSION_KEY not in client.session
    assert client.get("/portal/")["Location"] == "/portal/login/"
    sign_in(customer, c=client)
    session = client.session
    session[SEEN_KEY] = time.time() - settings.SESSION_COOKIE_AGE - 1
    session.save()
    assert client.get("/portal/")["Location"] == "/portal/login/"
    assert SESSION_KEY not in client.session


def test_staff_and_portal_sessions_are_separate(client, agent, customer, sign_in):
    from django.test import Client

    client.force_login(agent)  # a member of staff is not a signed-in customer
    assert client.get("/portal/")["Location"] == "/portal/login/"
    portal = sign_in(customer, c=Client())  # and a customer is not a member of staff
    assert portal.get("/")["Location"].startswith("/login/")
    assert portal.get("/api/v1/orders").status_code == 401
    assert portal.get("/admin/").status_code == 302


def test_the_portal_user_cannot_log_in_and_is_not_staff(client, customer, sign_in):
    sign_in(customer)
    user = services.portal_user()
    assert not user.has_usable_password() and not user.is_staff and not user.is_superuser and user.is_active
    assert user.has_perm("orders.add_workorder") and not user.has_perm("orders.reject_workorder")
    assert not user.has_perm("customers.view_identity") and not user.has_perm("contacts.view_smsmessage")
    assert client.post("/login/", {"username": "portal", "password": ""}).status_code == 200  # the form again, no login
    assert "_auth_user_id" not in client.session


def test_forms_need_the_csrf_token(customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/portal/login/", {"phone": customer.phone}).status_code == 403
    assert not SmsMessage.objects.exists()


def test_a_contact_phone_shared_by_two_customers_signs_nobody_in(client, agent):
    from kefu.customers import services as customers
    from tests.conftest import resident_id

    shared = mobile(88800001)  # nobody's mobile service: only a contact phone, of two customers
    for n in (8801, 8802):
        customers.create_customer(agent, name="王五", id_number=resident_id(n), phone=shared, province="广东", city="广州")
    assert client.post("/portal/login/", {"phone": shared}).status_code == 302  # the same answer
    assert not SmsMessage.objects.exists() and LoginCode.objects.get().customer_id is None


def test_the_pages_use_only_their_own_files_and_label_every_field(client, db):
    page = client.get("/portal/login/").content.decode()
    assert "http://" not in page and "https://" not in page  # no CDN
    assert '<label for="id_phone">' in page and 'aria-describedby="id_phone_helptext"' in page
    assert '<label class="sr-only" for="language">' in page and 'action="/i18n/setlang/"' in page
    r = client.get("/static/portal/portal.css")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/css")
    r.close()


def test_codes_sent_by_staff_and_requested_here_share_the_number_s_limit(client, api_client, agent, customer):
    staff = api_client(agent)
    contact = staff.post("/contacts", {"channel": "hotline", "customer_id": customer.pk}).json()
    assert staff.post(f"/contacts/{contact['id']}/sms-code").status_code == 201
    r = client.post("/portal/login/", {"phone": customer.phone})  # the same number, at once: too soon
    assert r.status_code == 429 and SmsMessage.objects.count() == 1


def _full_width(digits: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in digits)


@pytest.mark.parametrize("typed", [_full_width, lambda p: f"+86 {p[:3]}-{p[3:7]}-{p[7:]}", lambda p: f"＋８６　{_full_width(p)}"])
def test_a_number_and_a_code_typed_in_full_width_digits_sign_in(client, customer, typed):
    r = client.post("/portal/login/", {"phone": typed(customer.phone)})
    assert r.status_code == 302 and r["Location"] == "/portal/login/code/", r.content[:500]
    r = client.post("/portal/login/code/", {"code": _full_width(outbox_code(customer.phone))})
    assert r.status_code == 302 and r["Location"] == "/portal/", r.content[:500]


def test_the_portal_user_is_named_in_chinese_only(db):
    # Its name shows in every self-service order's history.
    from importlib import import_module

    from django.apps import apps

    from kefu.portal import services
    from kefu.staff.models import User

    assert services.portal_user().display_name == "自助服务"
    User.objects.filter(username="portal").update(display_name="自助服务 (self-service)")  # as earlier versions named it
    import_module("kefu.portal.migrations.0002_portal_user_chinese_name").rename(apps, None)
    assert User.objects.get(username="portal").display_name == "自助服务"
