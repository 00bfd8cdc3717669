"""Every API operation that takes an id, walked with tokens of each data scope: an id out of
the caller's scope is answered exactly as an id that does not exist (same status, same body
but for the id) and changes nothing; an id in scope reaches its object.

The operations come from /api/v1/openapi.json, so a new endpoint is walked as soon as it
exists. OPS says how to fill each operation's request; an operation that takes an id and is
missing from OPS, or an id parameter OPS does not mention, fails the test.

An id is: every path parameter, every body field ending in _id or _ids, every query parameter
ending in _id, and the query filters named after a scoped object (?customer=…). Every call
runs in a savepoint that is rolled back, so each one meets the same world and none can spoil
the next."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact, ContactOrder, IdentityVerification
from kefu.corrective.models import CorrectiveAction, CorrectiveOrder
from kefu.customers import services as customers
from kefu.customers.models import Account, Customer, Subscription
from kefu.followup.models import FollowUpTask
from kefu.notifications.models import Notification
from kefu.orders import services as orders
from kefu.orders.models import Feedback, OrderEvent, OrderLink, WorkOrder
from kefu.privacy import services as privacy
from kefu.privacy.models import Anonymisation, PrivacyRequest
from kefu.quality.models import Inspection, Scorecard
from kefu.routing.models import DispatchRule
from kefu.security import services as security
from kefu.security.models import AffectedCustomer, IncidentStep, SecurityIncident
from kefu.staff import roles
from kefu.staff.models import ApiToken, User
from kefu.surveys.models import Instrument, Invitation

from .conftest import mobile, resident_id

NONE = 987_654_321  # no row has this id
TITLE = "宽带断网三天了一直没人处理"  # every order says it: the likely duplicates of one another
SCOPED_QUERY = {"customer", "subscription", "contact", "order", "account"}


@dataclass
class Op:
    """How to call one operation. FILL: every parameter's value (path, query and body alike,
    by name) for a caller and their in-scope objects; VARY: each id parameter checked, and the
    kind of object it names (an attribute of the world); a kind may come with an override of
    FILL for that case. UNSCOPED: id parameters that name no data-scoped object, and why."""

    fill: Callable
    vary: dict = field(default_factory=dict)
    unscoped: dict = field(default_factory=dict)


STAFF = "staff and configuration: every role that may use the operation sees them"
INCIDENT = "security incidents are organisation-wide, visible by permission (their customers are scoped)"
SURVEYS = "survey waves and mystery shopper visits are organisation-wide records read by permission (no customer's data)"
AUDIT = "the audit log names objects, not their data; its readers (audit.view_auditentry) see all of it"
CORRECTIVE = "corrective actions are organisation-wide, read by permission or by their owner (their work orders are scoped)"
CALIBRATION = ("calibrations are the QA lead's organisation-wide records, read by permission or by the inspectors in them "
               "(their contacts are scoped when set)")
ASSESSMENT = ("assessments are staff records read by permission: a person's own sheet, a supervisor's department, management "
              "all (no customer's data); another's sheet 404s like a missing one (tests/assessment)")
GATEWAY = "the SMS gateway's or the hotline's own reference of a message or call, no object of Kefu's"
TESTS = "the question bank, tests and knowledge base articles are organisation-wide, read by permission (no customer's data)"
TAKEN = ("a test assignment is its person's own, or read by a reader of results whose scope of people holds its person "
         "(staff, no customer's data); another's answers 404 like a missing one (tests/training)")


def _nothing(w):
    return {}


def _note(w):
    return {"note": "walk"}


def _reason(w):
    return {"reason": "walk", "note": ""}


def _order_op(body=_note, **more):
    return Op(lambda w: {"order_id": w.order.pk} | body(w), vary={"order_id": "order"}, **more)


def _privacy_op(body=_nothing):
    return Op(lambda w: {"request_id": w.privacy.pk, "version": w.privacy.version} | body(w), vary={"request_id": "privacy"})


OPS = {
    # customers, accounts, subscriptions
    "GET /api/v1/customers/{customer_id}": Op(lambda w: {"customer_id": w.customer.pk}, {"customer_id": "customer"}),
    "PATCH /api/v1/customers/{customer_id}": Op(lambda w: {"customer_id": w.customer.pk, "version": w.customer.version,
                                                            "district": "天河区"}, {"customer_id": "customer"}),
    "GET /api/v1/customers/{customer_id}/identity": Op(
        lambda w: {"customer_id": w.customer.pk, "contact_id": w.contact.pk},
        {"customer_id": "customer", "contact_id": "contact"}),
    # unidentified callers (decision 0023)
    "POST /api/v1/customers/callers": Op(lambda w: {"name": "王五", "phone": "13900001111", "contact_id": w.bare_contact.pk},
                                         {"contact_id": "bare_contact"}),
    "POST /api/v1/customers/{provisional_id}/match": Op(lambda w: {"provisional_id": w.caller.pk, "customer_id": w.customer.pk},
                                                        {"provisional_id": "caller", "customer_id": "customer"}),
    "GET /api/v1/accounts": Op(lambda w: {"customer": w.customer.pk}, {"customer": "customer"}),
    "POST /api/v1/accounts": Op(lambda w: {"customer_id": w.customer.pk, "name": "walk"}, {"customer_id": "customer"}),
    "GET /api/v1/subscriptions": Op(lambda w: {"customer": w.customer.pk}, {"customer": "customer"}),
    "POST /api/v1/subscriptions": Op(
        lambda w: {"customer_id": w.customer.pk, "account_id": w.account.pk, "service_number": mobile(77_000_001),
                   "product": "mobile", "opened_on": "2024-01-01"},
        {"customer_id": ("customer", lambda w: {"account_id": None}), "account_id": "account"}),
    "GET /api/v1/subscriptions/{subscription_id}": Op(lambda w: {"subscription_id": w.subscription.pk},
                                                      {"subscription_id": "subscription"}),
    "PATCH /api/v1/subscriptions/{subscription_id}": Op(
        lambda w: {"subscription_id": w.subscription.pk, "version": w.subscription.version, "plan": "walk"},
        {"subscription_id": "subscription"}),
    # contacts
    "GET /api/v1/contacts": Op(lambda w: {"customer": w.customer.pk}, {"customer": "customer"}),
    "POST /api/v1/contacts": Op(lambda w: {"channel": "hotline", "customer_id": w.customer.pk}, {"customer_id": "customer"}),
    "GET /api/v1/contacts/{contact_id}": Op(lambda w: {"contact_id": w.contact.pk}, {"contact_id": "contact"}),
    "PATCH /api/v1/contacts/{contact_id}": Op(
        lambda w: {"contact_id": w.contact.pk, "version": w.contact.version, "summary": "walk"},
        {"contact_id": "contact",
         "customer_id": ("customer", lambda w: {"contact_id": w.bare_contact.pk, "version": w.bare_contact.version})}),
    "POST /api/v1/contacts/{contact_id}/sms-code": Op(lambda w: {"contact_id": w.contact.pk}, {"contact_id": "contact"}),
    "POST /api/v1/contacts/{contact_id}/verifications": Op(
        lambda w: {"contact_id": w.contact.pk, "method": "id_number", "secret": "110101199001010011"},
        {"contact_id": "contact"}),
    "GET /api/v1/contacts/{contact_id}/verifications": Op(lambda w: {"contact_id": w.contact.pk}, {"contact_id": "contact"}),
    "GET /api/v1/quality/contacts/{contact_id}/hits": Op(lambda w: {"contact_id": w.contact.pk}, {"contact_id": "contact"}),
    "POST /api/v1/quality/inspections": Op(lambda w: {"contact_id": w.contact.pk}, {"contact_id": "contact"}),
    "GET /api/v1/cti/calls/{call_id}": Op(lambda w: {}, unscoped={"call_id": GATEWAY}),
    "POST /api/v1/quality/calibrations": Op(lambda w: {"title": "walk", "contact_ids": [w.contact.pk], "inspector_ids": []},
                                             {"contact_ids": "contact"}, {"inspector_ids": STAFF}),
    **{f"{m} /api/v1/quality/calibrations/{{calibration_id}}{p}": Op(lambda w: {}, unscoped={"calibration_id": CALIBRATION})
       for m, p in [("POST", "/close"), ("GET", "/spread")]},
    # staff assessment
    "POST /api/v1/assessment/runs": Op(lambda w: {}, unscoped={"scheme_id": STAFF}),
    "PUT /api/v1/assessment/schemes/{scheme_id}": Op(lambda w: {}, unscoped={"scheme_id": STAFF}),
    **{f"{m} /api/v1/assessment/runs/{{run_id}}{p}": Op(lambda w: {}, unscoped={"run_id": ASSESSMENT, "department_id": STAFF})
       for m, p in [("GET", ""), ("POST", "/publish"), ("GET", "/results")]},
    "GET /api/v1/assessment/runs/{run_id}/people/{person_id}": Op(lambda w: {}, unscoped={"run_id": ASSESSMENT,
                                                                                          "person_id": ASSESSMENT}),
    "POST /api/v1/quality/plans/{plan_id}/draws": Op(lambda w: {"plan_id": 1, "day": "2026-01-05"}, unscoped={"plan_id": STAFF}),
    "GET /api/v1/quality/inspections/{inspection_id}": Op(lambda w: {"inspection_id": w.inspection.pk},
                                                          {"inspection_id": "inspection"}),
    "POST /api/v1/quality/inspections/{inspection_id}/scores": Op(lambda w: {"inspection_id": w.inspection.pk, "results": {}},
                                                                  {"inspection_id": "inspection"}),
    "POST /api/v1/quality/inspections/{inspection_id}/publish": Op(lambda w: {"inspection_id": w.inspection.pk},
                                                                   {"inspection_id": "inspection"}),
    "POST /api/v1/quality/inspections/{inspection_id}/appeal": Op(lambda w: {"inspection_id": w.inspection.pk, "reason": "walk"},
                                                                  {"inspection_id": "inspection"}),
    "POST /api/v1/quality/inspections/{inspection_id}/decision": Op(
        lambda w: {"inspection_id": w.inspection.pk, "decision": "upheld", "reason": "walk"}, {"inspection_id": "inspection"}),
    "POST /api/v1/contacts/{contact_id}/orders": Op(lambda w: {"contact_id": w.contact.pk, "order_id": w.order.pk},
                                                    {"contact_id": "contact", "order_id": "order"}),
    # work orders
    "GET /api/v1/orders": Op(lambda w: {"customer": w.customer.pk, "subscription": w.subscription.pk},
                             {"customer": ("customer", lambda w: {"subscription": None}),
                              "subscription": ("subscription", lambda w: {"customer": None})}),
    "POST /api/v1/orders": Op(
        lambda w: {"kind": "complaint", "title": "walk", "customer_id": w.customer.pk, "channel": "hotline",
                   "subscription_id": w.subscription.pk, "contact_id": w.contact.pk, "parent_id": w.order2.pk},
        {"customer_id": ("customer", lambda w: {"subscription_id": None, "contact_id": None}),
         "subscription_id": "subscription", "contact_id": "contact", "parent_id": "order2"},
        {"category_id": STAFF}),
    "GET /api/v1/orders/{order_id}": _order_op(_nothing),
    # An order number or an id: the walk gives ids (the numbers are walked in tests/orders/test_refs.py).
    "GET /api/v1/orders/by-number/{number}": Op(lambda w: {"number": w.order.pk}, {"number": "order"}),
    "PATCH /api/v1/orders/{order_id}": Op(
        lambda w: {"order_id": w.order.pk, "version": w.order.version, "title": "walk"},
        {"order_id": "order", "subscription_id": ("subscription", _nothing), "parent_id": ("order2", _nothing)},
        {"category_id": STAFF}),
    "GET /api/v1/orders/{order_id}/events": _order_op(_nothing),
    "POST /api/v1/orders/{order_id}/accept": _order_op(),
    "POST /api/v1/orders/{order_id}/assign": _order_op(lambda w: {"note": "", "department_id": w.desk.pk},
                                                       unscoped={"department_id": STAFF, "handler_id": STAFF}),
    "POST /api/v1/orders/{order_id}/dispatch": _order_op(),
    "POST /api/v1/orders/{order_id}/auto-assign": _order_op(),
    "POST /api/v1/orders/{order_id}/requeue": _order_op(_reason),
    "POST /api/v1/orders/{order_id}/escalate": _order_op(_reason, unscoped={"department_id": STAFF}),
    "POST /api/v1/orders/{order_id}/deescalate": _order_op(_reason, unscoped={"department_id": STAFF}),
    "GET /api/v1/orders/{order_id}/duplicates": _order_op(_nothing),
    "POST /api/v1/orders/{order_id}/merge": Op(lambda w: {"order_id": w.order.pk, "into_id": w.order2.pk, "reason": "dup"},
                                               {"order_id": "order", "into_id": "order2"}),
    "POST /api/v1/orders/{order_id}/transfer": _order_op(lambda w: {"reason": "walk", "department_id": w.desk.pk},
                                                         unscoped={"department_id": STAFF, "handler_id": STAFF}),
    "POST /api/v1/orders/{order_id}/claim": _order_op(),
    "POST /api/v1/orders/{order_id}/release": _order_op(),
    "POST /api/v1/orders/{order_id}/start": _order_op(),
    "POST /api/v1/orders/{order_id}/wait": _order_op(_reason),
    "POST /api/v1/orders/{order_id}/resume": _order_op(),
    "POST /api/v1/orders/{order_id}/answer": _order_op(lambda w: {"answer": "walk"}),
    "POST /api/v1/orders/{order_id}/resolve": _order_op(lambda w: {"resolution": "walk"}),
    "POST /api/v1/orders/{order_id}/confirm": _order_op(lambda w: {"channel": "hotline", "note": "walk"}),
    "POST /api/v1/orders/{order_id}/close": _order_op(),
    "POST /api/v1/orders/{order_id}/reject": _order_op(_reason),
    "POST /api/v1/orders/{order_id}/cancel": _order_op(_reason),
    "POST /api/v1/orders/{order_id}/reopen": _order_op(_reason),
    "POST /api/v1/orders/{order_id}/handover": _order_op(lambda w: {"reason": "walk", "new_owner_id": w.colleague.pk},
                                                         unscoped={"new_owner_id": STAFF}),
    "POST /api/v1/orders/handover": Op(lambda w: {}, unscoped={"new_owner_id": STAFF, "from_owner_id": STAFF}),
    "POST /api/v1/orders/{order_id}/comments": _order_op(),
    "POST /api/v1/orders/{order_id}/feedback": _order_op(lambda w: {"confirmed": True, "score": 9}),
    "GET /api/v1/orders/{order_id}/feedback": _order_op(_nothing),
    "POST /api/v1/orders/{order_id}/links": Op(lambda w: {"order_id": w.order.pk, "target_id": w.order2.pk},
                                               {"order_id": "order", "target_id": "order2"}),
    # notifications, triage, routing
    "POST /api/v1/followup/tasks/{task_id}/calls": Op(lambda w: {"task_id": w.followup.pk, "result": "no_answer"},
                                                      {"task_id": "followup"}),
    "POST /api/v1/followup/tasks/{task_id}/outcome": Op(lambda w: {"task_id": w.followup.pk, "outcome": "satisfied"},
                                                        {"task_id": "followup"}),
    "POST /api/v1/followup/tasks/{task_id}/claim": Op(lambda w: {"task_id": w.followup.pk}, {"task_id": "followup"}),
    "POST /api/v1/surveys/sms-replies": Op(_nothing, unscoped={"message_id": GATEWAY}),
    "POST /api/v1/surveys/ivr-scores": Op(_nothing, unscoped={"call_id": GATEWAY}),
    "POST /api/v1/surveys/invitations/{invitation_id}/review": Op(lambda w: {"invitation_id": w.invitation.pk, "note": "walk"},
                                                                  {"invitation_id": "invitation"}),
    # questionnaires (configuration)
    **{f"{m} /api/v1/surveys/instruments/{{instrument_id}}{p}": Op(lambda w: {}, unscoped={"instrument_id": STAFF})
       for m, p in [("GET", ""), ("PUT", ""), ("POST", "/publish")]},
    "GET /api/v1/surveys/waves/{wave_id}": Op(lambda w: {}, unscoped={"wave_id": SURVEYS}),
    "GET /api/v1/surveys/visits": Op(lambda w: {}, unscoped={"agent_id": STAFF}),
    "POST /api/v1/surveys/visits": Op(lambda w: {}, unscoped={"agent_id": STAFF}),
    "GET /api/v1/surveys/visits/{visit_id}": Op(lambda w: {}, unscoped={"visit_id": SURVEYS}),
    # knowledge tests
    "GET /api/v1/training/questions": Op(lambda w: {}, unscoped={"article_id": TESTS}),
    "POST /api/v1/training/questions": Op(lambda w: {}, unscoped={"article_id": TESTS}),
    "GET /api/v1/training/questions/{question_id}": Op(lambda w: {}, unscoped={"question_id": TESTS}),
    "PATCH /api/v1/training/questions/{question_id}": Op(lambda w: {}, unscoped={"question_id": TESTS, "article_id": TESTS}),
    **{f"{m} /api/v1/training/exams/{{exam_id}}{p}": Op(lambda w: {}, unscoped={"exam_id": TESTS})
       for m, p in [("GET", ""), ("PATCH", ""), ("POST", "/publish"), ("POST", "/close"), ("GET", "/results")]},
    "POST /api/v1/training/exams/{exam_id}/assignments": Op(lambda w: {}, unscoped={"exam_id": TESTS, "person_ids": STAFF,
                                                                                    "department_id": STAFF}),
    **{f"{m} /api/v1/training/assignments/{{assignment_id}}{p}": Op(lambda w: {}, unscoped={"assignment_id": TAKEN})
       for m, p in [("GET", ""), ("POST", "/start"), ("POST", "/submit")]},
    "POST /api/v1/notifications/{notification_id}/read": Op(lambda w: {"notification_id": w.notification.pk},
                                                            {"notification_id": "notification"}),
    "POST /api/v1/triage/suggest": Op(
        lambda w: {"title": TITLE, "customer_id": w.customer.pk, "subscription_id": w.subscription.pk},
        {"customer_id": ("customer", lambda w: {"subscription_id": None}), "subscription_id": "subscription"}),
    "PUT /api/v1/routing/agents/{user_id}/presence": Op(lambda w: {}, unscoped={"user_id": STAFF}),
    "PATCH /api/v1/routing/agents/{user_id}": Op(lambda w: {}, unscoped={"user_id": STAFF, "skill_ids": STAFF}),
    "POST /api/v1/routing/route": Op(lambda w: {"order_ids": w.order.pk, "classify": True}, {"order_ids": "order"}),
    "POST /api/v1/routing/rules": Op(lambda w: {}, unscoped={"category_id": STAFF, "department_id": STAFF}),
    "PATCH /api/v1/routing/rules/{rule_id}": Op(lambda w: {}, unscoped={"rule_id": STAFF, "category_id": STAFF,
                                                                        "department_id": STAFF}),
    "DELETE /api/v1/routing/rules/{rule_id}": Op(lambda w: {}, unscoped={"rule_id": STAFF}),
    "POST /api/v1/routing/skills": Op(lambda w: {}, unscoped={"category_ids": STAFF, "member_ids": STAFF}),
    "PATCH /api/v1/routing/skills/{skill_id}": Op(lambda w: {}, unscoped={"skill_id": STAFF, "category_ids": STAFF,
                                                                          "member_ids": STAFF}),
    "PATCH /api/v1/routing/departments/{department_id}": Op(lambda w: {}, unscoped={"department_id": STAFF,
                                                                                    "escalates_to_id": STAFF}),
    "GET /api/v1/audit": Op(lambda w: {}, unscoped={"object_id": AUDIT}),
    # security incidents
    **{f"{m} /api/v1/incidents/{{incident_id}}{p}": Op(lambda w: {}, unscoped={"incident_id": INCIDENT} | extra)
       for m, p, extra in [("GET", "", {}), ("GET", "/steps", {}), ("POST", "/assess", {}), ("POST", "/team", {"user_ids": STAFF}),
                           ("POST", "/contain", {}), ("POST", "/notify-authorities", {}), ("POST", "/close", {})]},
    "POST /api/v1/incidents/{incident_id}/affected": Op(
        lambda w: {"incident_id": w.incident.pk, "customer_ids": w.customer.pk, "data_involved": "name"},
        {"customer_ids": "customer"}, {"incident_id": INCIDENT}),
    "POST /api/v1/incidents/{incident_id}/notify-customers": Op(
        lambda w: {"incident_id": w.incident.pk, "customer_ids": w.customer.pk, "channel": "sms"},
        {"customer_ids": "customer"}, {"incident_id": INCIDENT}),
    # corrective actions
    "POST /api/v1/corrective-actions": Op(
        lambda w: {"title": "walk", "problem": "walk", "source": "other", "owner_id": w.user.pk, "working_days": 3,
                   "order_ids": w.order.pk},
        {"order_ids": "order"}, {"owner_id": STAFF, "department_id": STAFF, "cause_id": STAFF}),
    "PATCH /api/v1/corrective-actions/{action_id}": Op(lambda w: {}, unscoped={
        "action_id": CORRECTIVE, "owner_id": STAFF, "department_id": STAFF, "cause_id": STAFF}),
    **{f"{m} /api/v1/corrective-actions/{{action_id}}{p}": Op(lambda w: {}, unscoped={"action_id": CORRECTIVE})
       for m, p in [("GET", ""), ("GET", "/events"), ("GET", "/orders"), ("POST", "/start"), ("POST", "/done"),
                    ("POST", "/verify"), ("POST", "/cancel")]},
    # privacy requests
    "GET /api/v1/privacy/requests": Op(lambda w: {"customer": w.customer.pk}, {"customer": "customer"}),
    "POST /api/v1/privacy/requests": Op(lambda w: {"customer_id": w.customer.pk, "kind": "access", "channel": "hotline"},
                                        {"customer_id": "customer"}),
    "GET /api/v1/privacy/requests/{request_id}": Op(lambda w: {"request_id": w.privacy.pk}, {"request_id": "privacy"}),
    "POST /api/v1/privacy/requests/{request_id}/start": _privacy_op(lambda w: {"identity_verified": "document"}),
    "POST /api/v1/privacy/requests/{request_id}/complete": _privacy_op(lambda w: {"outcome": "walk"}),
    "POST /api/v1/privacy/requests/{request_id}/refuse": _privacy_op(lambda w: {"reason": "walk"}),
    "POST /api/v1/privacy/requests/{request_id}/correct": _privacy_op(lambda w: {"changes": {"district": "天河区"}}),
    "POST /api/v1/privacy/requests/{request_id}/erase": _privacy_op(),
    "GET /api/v1/privacy/requests/{request_id}/export": Op(lambda w: {"request_id": w.privacy.pk}, {"request_id": "privacy"}),
    "GET /api/v1/privacy/requests/{request_id}/export.html": Op(lambda w: {"request_id": w.privacy.pk},
                                                                {"request_id": "privacy"}),
}

# The callers: each data scope and each role that works on customers' requests.
USERS = [(roles.AGENT, "front-office", "own"), (roles.TECH_SUPPORT, "tech-support", "department"),
         (roles.COORDINATOR, "front-office", "region"), (roles.SUPERVISOR, "front-office", "region"),
         (roles.SUPERVISOR, "front-office", "all")]

# What may not change when an id out of scope is refused: (model, what is summed or counted).
WATCHED = [(WorkOrder, "version"), (OrderEvent, None), (OrderLink, None), (Feedback, None), (ContactOrder, None),
           (Contact, "version"), (IdentityVerification, None), (Customer, "version"), (Account, "version"),
           (Subscription, "version"), (PrivacyRequest, "version"), (Anonymisation, None), (SecurityIncident, "version"),
           (IncidentStep, None), (AffectedCustomer, "notified_at"), (Notification, "read_at"), (AuditEntry, None),
           (Invitation, "reviewed_at"), (CorrectiveAction, "version"), (CorrectiveOrder, None)]


def _snapshot_sql() -> str:
    """One query: the row count of every watched table, and the sum of versions or the count of
    a column (notified, read) where rows change in place."""
    q = connection.ops.quote_name
    parts = []
    for model, column in WATCHED:
        table = q(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        if column == "version":
            parts.append(f"(SELECT COALESCE(SUM({q('version')}), 0) FROM {table})")
        elif column:
            parts.append(f"(SELECT COUNT({q(column)}) FROM {table})")
    return "SELECT " + ", ".join(parts)


def _snapshot(sql) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


class _Rollback(Exception):
    pass


def _ids_in(op: dict, components: dict) -> dict[str, str]:
    """{parameter: where} for every id OP takes (path, query, body)."""
    found = {}
    for p in op.get("parameters", []):
        name = p["name"]
        if p["in"] == "path" or name.endswith(("_id", "_ids")) or name in SCOPED_QUERY:
            found[name] = p["in"]
    ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if ref:
        for name in components[ref.rsplit("/", 1)[-1]]["properties"]:
            if name.endswith(("_id", "_ids")):
                found[name] = "body"
    return found


def _operations(client) -> dict:
    doc = client.get("/api/v1/openapi.json").json()
    out = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            where = {p["name"]: p["in"] for p in op.get("parameters", [])}
            out[f"{method.upper()} {path}"] = (_ids_in(op, doc["components"]["schemas"]), where)
    return out


@pytest.fixture
def world(db, make_user, departments):
    """Callers of each scope, each with their own customer (广东), subscription, account,
    contacts (one with a passed identity check, one with no customer yet, one of an unidentified
    caller with their provisional file), two orders of the
    customer (one queued in their department, one new), a privacy request and a notification;
    and the same set outside every scope but `all` (北京, the billing department, someone
    else's), plus one open security incident involving every one of those customers."""
    admin = User.objects.create_superuser("walk-root", password="pw")
    DispatchRule.objects.create(name="everything", department=departments["tech-support"])
    outsider = make_user(roles.TECH_SUPPORT, "billing")
    User.objects.filter(pk=outsider.pk).update(region="北京", data_scope="department")
    colleague = make_user(roles.AGENT, "front-office")
    n = iter(range(7100, 7200))

    def objects_of(person, department, province):
        k = next(n)
        c = customers.create_customer(admin, name="王五", id_number=resident_id(k), phone=mobile(k), province=province, city="某市")
        s = customers.create_subscription(admin, customer_id=c.pk, service_number=mobile(k + 500), product="mobile",
                                          opened_on="2024-01-01")
        a = customers.create_account(admin, customer_id=c.pk, name="walk")
        contact = contacts.open_contact(admin, channel="hotline", customer_id=c.pk)
        contacts.verify_identity(admin, contact.pk, method="id_number", secret=c.id_number)
        bare = contacts.open_contact(admin, channel="hotline")
        unidentified = contacts.open_contact(admin, channel="hotline")
        caller = customers.register_caller(admin, name="李四", phone=mobile(k + 900), contact_id=unidentified.pk)
        Contact.objects.filter(pk__in=[contact.pk, bare.pk, unidentified.pk]).update(agent=person)
        queued = orders.create_order(admin, kind="fault", title=TITLE, customer_id=c.pk, subscription_id=s.pk, channel="hotline")
        orders.accept(admin, queued.pk)
        new = orders.create_order(admin, kind="fault", title=TITLE, customer_id=c.pk, channel="hotline")
        WorkOrder.objects.filter(pk__in=[queued.pk, new.pk]).update(owner=person, department=department)
        p = privacy.open_request(admin, customer_id=c.pk, kind="access", channel="hotline")
        note = Notification.objects.create(recipient=person, message="walk", created_at=queued.created_at)
        task = FollowUpTask.objects.create(order_id=queued.pk, reason="complaint", created_at=queued.created_at,
                                           due_at=queued.created_at)
        low = Invitation.objects.create(instrument=Instrument.objects.filter(status="active").first(), customer=c,
                                        order_id=queued.pk, channel="sms_reply", token=f"walk-{k}", status="answered",
                                        created_at=queued.created_at, expires_at=queued.created_at,
                                        answered_at=queued.created_at, flagged_at=queued.created_at)
        inspected = Inspection.objects.create(contact_id=contact.pk, scorecard=Scorecard.objects.get(status="active"),
                                              inspector=admin, agent=person, created_at=queued.created_at)
        return SimpleNamespace(inspection=inspected, customer=Customer.objects.get(pk=c.pk), subscription=Subscription.objects.get(pk=s.pk),
                               account=a, contact=Contact.objects.get(pk=contact.pk), bare_contact=Contact.objects.get(pk=bare.pk),
                               order=WorkOrder.objects.get(pk=queued.pk), order2=WorkOrder.objects.get(pk=new.pk),
                               privacy=PrivacyRequest.objects.get(pk=p.pk), notification=note, followup=task, invitation=low,
                               caller=Customer.objects.get(pk=caller.pk))

    callers = []
    for role, dept, scope in USERS:
        user = make_user(role, dept)
        User.objects.filter(pk=user.pk).update(region="广东", data_scope=scope)
        user = User.objects.get(pk=user.pk)
        callers.append((f"{role}/{scope}", user, objects_of(user, departments[dept], "广东")))
    outside = objects_of(outsider, departments["billing"], "北京")
    incident = security.report(admin, title="walk", level="general")
    security.add_affected(admin, incident.pk, customer_ids=[w.customer.pk for _n, _u, w in callers] + [outside.customer.pk],
                          data_involved="name")
    for _name, user, w in callers + [("outsider", outsider, outside)]:
        w.user, w.incident, w.desk, w.colleague = user, incident, departments["tech-support"], colleague
    return callers, outside


def _request(client, token, key, where, values):
    method, template = key.split(" ", 1)
    path = template.format(**{k: v for k, v in values.items() if where.get(k) == "path"})
    query = {k: v for k, v in values.items() if where.get(k) == "query" and v is not None}
    body = {k: v for k, v in values.items() if k not in where}
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, query, headers=headers)
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.generic(method, path, json.dumps(body), content_type="application/json", headers=headers)


def _as_if(answer, pk) -> tuple:
    """ANSWER, given for the id NONE, as it would read for the id PK."""
    status, text = answer
    return status, text.replace(str(NONE), str(pk))


def _with_id(values, param, pk) -> dict:
    return values | {param: [pk] if param.endswith("_ids") else pk}


class Walk:
    """Calls operations as each caller, every call in a savepoint that is rolled back."""

    def __init__(self, callers):
        self.client = Client()
        self.tokens = {name: ApiToken.issue(user)[1] for name, user, _w in callers}
        ApiToken.objects.update(last_used_at=timezone.now() + timedelta(days=1))  # no last-use write on each call
        self.sql = _snapshot_sql()

    def call(self, name, key, where, values, *, watch=False) -> tuple[tuple, bool]:
        """((status, body), whether a watched table changed)."""
        try:
            with transaction.atomic():
                before = _snapshot(self.sql) if watch else None
                response = _request(self.client, self.tokens[name], key, where, values)
                changed = watch and _snapshot(self.sql) != before
                raise _Rollback
        except _Rollback:
            pass
        return (response.status_code, response.content.decode()), changed


def test_no_operation_reaches_an_object_out_of_scope(world):
    callers, outside = world
    walk = Walk(callers)
    operations = _operations(walk.client)
    untold = {key: sorted(ids) for key, (ids, _w) in operations.items() if ids and key not in OPS}
    assert untold == {}, "operations that take ids and are missing from OPS"
    unmentioned = {key: sorted(set(ids) - set(OPS[key].vary) - set(OPS[key].unscoped))
                   for key, (ids, _w) in operations.items() if key in OPS}
    assert {k: v for k, v in unmentioned.items() if v} == {}, "id parameters OPS neither varies nor declares unscoped"
    assert set(OPS) <= set(operations), "OPS names operations the API no longer has"

    leaks, writes, unseen = [], [], []
    for key, op in sorted(OPS.items()):
        where = operations[key][1]
        for param, kind in op.vary.items():
            kind, override = kind if isinstance(kind, tuple) else (kind, None)
            seen = False
            for name, user, w in callers:
                everything = user.data_scope == "all"  # nothing is out of this caller's scope
                if seen and everything:
                    continue
                values = op.fill(w) | (override(w) if override else {})
                missing, changed_missing = walk.call(name, key, where, _with_id(values, param, NONE), watch=True)
                if not seen:  # one caller reaching an object in scope is proof enough
                    mine = getattr(w, kind).pk
                    seen = walk.call(name, key, where, _with_id(values, param, mine))[0] != _as_if(missing, mine)
                if everything:
                    continue
                theirs = getattr(outside, kind).pk
                out, changed_out = walk.call(name, key, where, _with_id(values, param, theirs), watch=True)
                if out != _as_if(missing, theirs):
                    leaks.append(f"{key} {param} as {name}: out of scope {out}, not found {missing}")
                if changed_out or changed_missing:
                    writes.append(f"{key} {param} as {name}")
            if not seen:
                unseen.append(f"{key} {param}")
    report = [("Out of scope answered unlike not found", leaks), ("Refused calls changed rows", writes),
              ("No caller reached an object in scope, so the walk proves nothing for", unseen)]
    assert not (leaks or writes or unseen), "\n".join(f"{title}:\n  " + "\n  ".join(lines) for title, lines in report if lines)
