"""No full mobile, landline or ID number of a customer reaches an agent or a handler, in any
API response or staff page they can open, unless they reveal it (REQUIREMENTS.md §9).

The data is as in life: customers whose e-mail address is their mobile number, mobile
subscriptions whose service number is the customer's phone, a second mobile line, a fixed line
and a broadband account named after it. Every GET operation of /api/v1/openapi.json is called
with the ids of real objects, and every staff page an agent or a handler works in. The identity
reveal is the one exception: it shows the numbers, and only with a reason, audited.
"""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.staff import roles

from ..conftest import resident_id

PEOPLE = [
    # (name, phone, other phone, e-mail, second mobile line, fixed line)
    ("赵强", "18907311234", "13800138000", "zhaoqiang1990@qq.com", "", ""),
    ("王芳", "13512345678", "", "13512345678@163.com", "", "075512345678"),
    ("李四", "15096338319", "18620001234", "15096338319@139.com", "13760005678", "02087654321"),  # the ids' customer
]


@pytest.fixture
def world(agent, handler, make_user, departments):
    """Three customers (as PEOPLE) with subscriptions, a contact, an order each assigned to the
    handler, notifications, a privacy request, an incident and an article; returns (secrets, ids)."""
    from kefu.contacts import services as contacts
    from kefu.customers import services as customers
    from kefu.knowledge import services as kb
    from kefu.notifications import services as notifications
    from kefu.orders import services as orders
    from kefu.privacy import services as privacy
    from kefu.security import services as security

    admin = make_user(roles.ADMINISTRATOR, "front-office", "scan-admin")
    secrets, ids = set(), {}
    for n, (name, phone, alt, email, second, fixed) in enumerate(PEOPLE, start=501):
        id_number = resident_id(n)
        c = customers.create_customer(agent, name=name, id_number=id_number, phone=phone, alt_phone=alt, email=email,
                                      address="广东省广州市天河区天河路385号", province="广东", city="广州",
                                      service_password="246810")
        sub = customers.create_subscription(agent, customer_id=c.pk, service_number=phone, product="mobile", opened_on="2024-01-01")
        if second:
            customers.create_subscription(agent, customer_id=c.pk, service_number=second, product="mobile", opened_on="2024-02-01")
        if fixed:
            customers.create_subscription(agent, customer_id=c.pk, service_number=fixed, product="fixed_line", opened_on="2024-03-01")
            customers.create_subscription(agent, customer_id=c.pk, service_number=f"ad{fixed}", product="broadband",
                                          opened_on="2024-03-01")
        customers.create_account(agent, customer_id=c.pk, name=f"{name}的家庭账户")
        contact = contacts.open_contact(agent, channel="hotline", customer_id=c.pk, caller=phone, summary="来电咨询话费")
        o = orders.create_order(agent, kind="complaint", title="话费多扣了20元", customer_id=c.pk, subscription_id=sub.pk,
                                channel="hotline", description="本月账单多出20元增值业务费", contact_id=contact.pk)
        orders.accept(agent, o.pk)
        orders.assign(agent, o.pk, department_id=departments["tech-support"].pk, handler_id=handler.pk)
        notifications.notify(handler, o, "新工单")
        notifications.notify(agent, o, "工单已派出")
        secrets |= {phone, id_number, *(x for x in (alt, second, fixed) if x)}
        ids |= {"customer_id": c.pk, "subscription_id": sub.pk, "contact_id": contact.pk, "order_id": o.pk, "number": o.number}
    ids["request_id"] = privacy.open_request(agent, customer_id=ids["customer_id"], kind="access", channel="hotline",
                                             details="客户要求查阅本人信息").pk
    ids["incident_id"] = security.report(admin, title="工单系统导出异常", level="general").pk
    ids["article_id"] = kb.save_article(admin, title="话费争议处理", body="核对账单后说明扣费项目", tags="话费").pk
    ids["indicator"] = "satisfaction_rate"  # not an id: the code of a report's indicator
    # Surveys: the questionnaire in use, a relationship wave that asked the world's customers,
    # and a mystery shopper's visit (no customer).
    from kefu.surveys import services as surveys

    instrument = surveys.active("post_resolution")
    ids["instrument_id"] = instrument.pk
    wave = surveys.create_wave(None, "2026Q4", 2, 7)
    ids["wave_id"] = surveys.send_wave(wave.pk).pk
    sheet = surveys.active("visit")
    import datetime

    from django.utils import timezone

    ids["visit_id"] = surveys.record_visit(admin, "hotline", visited_at=timezone.now() - datetime.timedelta(hours=1), answers={
        q.pk: (9 if q.type in ("score", "recommend") else q.options[0] if q.options else "开场问候规范")
        for q in sheet.questions.all()}).pk
    # Quality: an inspection of an earlier contact of the last customer.
    from kefu.contacts.models import Contact
    from kefu.quality.models import Inspection, Scorecard

    earlier = Contact.objects.create(channel="hotline", started_at=timezone.now() - datetime.timedelta(days=1),
                                     ended_at=timezone.now() - datetime.timedelta(days=1), agent=agent,
                                     customer_id=ids["customer_id"], outcome="answered")
    ids["inspection_id"] = Inspection.objects.create(
        contact=earlier, scorecard=Scorecard.objects.get(status="active"), inspector=admin, agent=agent,
        created_at=timezone.now()).pk
    # A corrective action of the agent's, with the orders linked.
    from kefu.corrective import services as corrective

    ids["action_id"] = corrective.open_action(admin, title="计费错误投诉整改", problem="话费多扣类投诉", source="report",
                                              owner_id=agent.pk, working_days=5, order_ids=[ids["order_id"]]).pk
    # Knowledge tests: a question on the article, a published test assigned to the agent.
    from kefu.training import services as training

    question = training.create_question(admin, text="话费争议如何处理？", options=["核对账单后说明", "直接退费"], correct=[0],
                                        article_id=ids["article_id"])
    exam = training.create_exam(admin, title="话费争议处理", questions=[{"question_id": question.pk}])
    exam = training.publish_exam(admin, exam.pk, exam.version)
    ids |= {"question_id": question.pk, "exam_id": exam.pk, "assignment_id": training.assign(
        admin, exam.pk, person_ids=[agent.pk], due_at=timezone.now() + datetime.timedelta(days=1)).created[0].pk}
    # A hotline call from the customer's number, answered by the agent.
    from kefu.cti.models import Call, Platform

    cti_platform = Platform.objects.get_or_create(code="walk", defaults={"name": "walk", "secret": "walk"})[0]
    ids["call_id"] = Call.objects.get_or_create(platform=cti_platform, call_id="walk-call",
                                                defaults={"caller": phone, "agent": agent, "customer": c})[0].call_id
    # A calibration of the earlier contact, and last month's assessment of the agent, published.
    from kefu.assessment import services as assessment
    from kefu.assessment.models import Scheme
    from kefu.quality import services as quality

    qa = make_user("quality_inspector", "complaints", "walk-qa")
    ids["calibration_id"] = quality.create_calibration(admin, "校准", [earlier.pk], [admin.pk, qa.pk]).pk
    run = assessment.compute(admin, Scheme.objects.get(role="agent").pk, "2026-10")
    assessment.publish(admin, run.pk)
    ids |= {"run_id": run.pk, "person_id": agent.pk}
    return secrets, ids


def _leaks(body: str, secrets, allowed=()) -> list[str]:
    for value in allowed:  # what the user typed, echoed back in the search box
        body = body.replace(f'value="{value}"', "")
    return sorted(s for s in secrets if s in body)


def _get_operations(client):
    """(path template, required query parameter names) of every GET operation of the API."""
    spec = client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        if "get" in operations:
            params = operations["get"].get("parameters", [])
            yield path, [p["name"] for p in params if p["in"] == "query" and p.get("required")]


QUERY_IDS = {"customer": "customer_id", "indicator": "indicator"}


@pytest.mark.parametrize("who", ["agent", "handler"])
def test_no_api_response_shows_a_full_number(who, world, api_client, request, client):
    secrets, ids = world
    user = request.getfixturevalue(who)
    api, leaks, reached = api_client(user), {}, 0
    for template, required in _get_operations(client):
        if template.endswith("/identity"):
            continue  # the reveal itself: below
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template.removeprefix("/api/v1"))
        query = {name: ids[QUERY_IDS[name]] for name in required}
        r = api.get(path + ("?" + urlencode(query) if query else ""))
        reached += r.status_code == 200
        if not r["Content-Type"].startswith(("application/json", "text/")):
            continue  # the reports' Excel and PDF files: figures, no customer's data (tests/reports)
        if found := _leaks(r.content.decode(), secrets):
            leaks[path] = found
    assert leaks == {}
    assert reached >= 12  # the customers, subscriptions, contacts, orders… were really read


@pytest.mark.parametrize("who", ["agent", "handler"])
def test_no_staff_page_shows_a_full_number(who, world, request):
    secrets, ids = world
    user = request.getfixturevalue(who)
    client = Client()
    client.force_login(user)
    phone = PEOPLE[0][1]
    pages = ["/", "/queue/mine/", "/queue/department/", "/queue/open/", f"/orders/{ids['order_id']}/",
             "/customers/?q=李", f"/customers/?q={phone}", "/contacts/?q=王", f"/contacts/?q={phone}",
             f"/contacts/{ids['contact_id']}/", "/board/", "/board/data/", "/knowledge/?q=话费",
             f"/knowledge/{ids['article_id']}/", "/preferences/",
             "/suggest/?" + urlencode({"title": "话费多扣", "customer_id": ids["customer_id"]})]
    leaks, reached = {}, 0
    for page in pages:
        r = client.get(page)
        reached += r.status_code == 200
        if found := _leaks(r.content.decode(), secrets, allowed=[phone]):
            leaks[page] = found
    assert leaks == {}
    assert reached >= 10


def test_the_identity_reveal_is_the_audited_exception(world, api_client, agent):
    secrets, ids = world
    r = api_client(agent).get(f"/customers/{ids['customer_id']}/identity?" + urlencode({"reason_code": "complaint"}))
    assert r.status_code == 200
    body = r.json()
    name, phone, alt, email, second, fixed = PEOPLE[-1]
    assert (body["phone"], body["alt_phone"], body["email"]) == (phone, alt, email)
    assert [s["service_number"] for s in body["subscriptions"]] == [phone, second, fixed, f"ad{fixed}"]
    entry = AuditEntry.objects.get(action="read_identity", object_id=str(ids["customer_id"]))
    assert entry.actor == agent and entry.reason == "[complaint]"
    assert {"email", "service_number"} <= set(entry.fields)


def test_a_verified_caller_is_shown_in_full_on_the_contact_screen(world, agent):
    from kefu.contacts import services as contacts

    secrets, ids = world
    name, phone, alt, email, second, fixed = PEOPLE[-1]
    client = Client()
    client.force_login(agent)
    contacts.verify_identity(agent, ids["contact_id"], method="service_password", secret="246810")
    page = client.get(f"/contacts/{ids['contact_id']}/").content.decode()
    assert all(number in page for number in (phone, alt, email, second, fixed, f"ad{fixed}"))
    entry = AuditEntry.objects.get(action="read_identity", object_id=str(ids["customer_id"]))
    assert entry.reason == f"[caller_verified] verified on contact {ids['contact_id']}"
    assert {"email", "service_number"} <= set(entry.fields)
