"""Data scopes as a matrix: role × action × scope, each against rows placed inside and outside
the scope. The expectations are written out here, not derived from roles.py."""

import pytest
from django.contrib import admin as django_admin
from django.test import RequestFactory

from kefu import scopes
from kefu.contacts import services as contacts
from kefu.contacts.models import Contact
from kefu.core.errors import Forbidden, NotFound, ServiceError
from kefu.customers import services as customers
from kefu.customers.models import Customer
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.staff import roles
from kefu.staff.models import User

from .conftest import mobile, resident_id

OWN, DEPT, REGION, ALL = "own", "department", "region", "all"
# Which of the four placed rows each scope reaches.
REACHES = {OWN: {"own"}, DEPT: {"own", "dept"}, REGION: {"own", "dept", "region"}, ALL: {"own", "dept", "region", "other"}}
DEFAULT_SCOPE = {roles.AGENT: REGION, roles.SALES: REGION, roles.COORDINATOR: REGION, roles.SUPERVISOR: REGION,
                 roles.TECH_SUPPORT: DEPT, roles.AUDITOR: ALL, roles.ADMINISTRATOR: ALL}
ALL_ROLES = set(DEFAULT_SCOPE)
# Which roles may take each action at all (permission), whatever the scope.
MAY = {
    "view_order": ALL_ROLES,
    "list_orders": ALL_ROLES,
    "comment_order": ALL_ROLES - {roles.AUDITOR},
    "view_customer": ALL_ROLES,
    "list_customers": ALL_ROLES,
    "reveal_identity": {roles.AGENT, roles.SALES, roles.COORDINATOR, roles.SUPERVISOR, roles.ADMINISTRATOR},
    "view_contact": ALL_ROLES,
    "list_contacts": ALL_ROLES,
}


@pytest.fixture
def world(db, make_user, departments):
    """Four customers, each with one order and one contact: one reached through the user's
    own order, one through their department, one through their region (广东), one not at all."""
    admin = User.objects.create_superuser("root", password="pw")
    colleague = make_user(roles.TECH_SUPPORT, "front-office")
    outsider = make_user(roles.TECH_SUPPORT, "tech-support")
    rows = {}
    for n, (name, province) in enumerate([("own", "北京"), ("dept", "北京"), ("region", "广东"), ("other", "北京")], start=900):
        c = customers.create_customer(admin, name="李四", id_number=resident_id(n), phone=mobile(n), province=province, city="某市")
        o = orders.create_order(admin, kind="complaint", title=f"order {name}", customer_id=c.pk, channel="hotline")
        k = contacts.open_contact(admin, channel="hotline", customer_id=c.pk)
        rows[name] = {"customer": c, "order": o, "contact": k}
    front = departments["front-office"]
    tech = departments["tech-support"]

    def place(user):
        placement = {"own": (tech, user), "dept": (front, colleague), "region": (tech, outsider), "other": (tech, outsider)}
        for name, (dept, person) in placement.items():
            WorkOrder.objects.filter(pk=rows[name]["order"].pk).update(department=dept, handler=person)
            Contact.objects.filter(pk=rows[name]["contact"].pk).update(agent=person)
    return rows, place


def _user(make_user, role, scope):
    user = make_user(role, "front-office")
    User.objects.filter(pk=user.pk).update(region="广东", data_scope=scope or "")
    return User.objects.get(pk=user.pk)


def _single(action, user, row):
    if action == "view_order":
        orders.get_order(user, row["order"].pk)
    elif action == "comment_order":
        orders.add_comment(user, row["order"].pk, note="checked")
    elif action == "view_customer":
        customers.get_customer(user, row["customer"].pk)
    elif action == "reveal_identity":
        customers.reveal_identity(user, row["customer"].pk, reason_code="complaint", reason="matrix test")
    elif action == "view_contact":
        contacts.get_contact(user, row["contact"].pk)


def _listed(action, user, rows):
    ids = {name: r for name, r in rows.items()}
    if action == "list_orders":
        got = set(orders.search_orders(user).values_list("pk", flat=True))
        return {n for n, r in ids.items() if r["order"].pk in got}
    if action == "list_customers":
        got = set(customers.search_customers(user).values_list("pk", flat=True))
        return {n for n, r in ids.items() if r["customer"].pk in got}
    got = set(contacts.search_contacts(user).values_list("pk", flat=True))
    return {n for n, r in ids.items() if r["contact"].pk in got}


@pytest.mark.parametrize("scope", [None, OWN, DEPT, REGION, ALL])
@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_role_action_scope_matrix(world, make_user, role, scope):
    rows, place = world
    user = _user(make_user, role, scope)
    place(user)
    reaches = REACHES[scope or DEFAULT_SCOPE[role]]
    failures = []
    for action, allowed_roles in MAY.items():
        if action.startswith("list_"):
            try:
                got = _listed(action, user, rows)
            except Forbidden:
                got = "forbidden"
            want = reaches if role in allowed_roles else "forbidden"
            if got != want:
                failures.append((action, "list", want, got))
            continue
        for name, row in rows.items():
            try:
                _single(action, user, row)
                got = "ok"
            except Forbidden:
                got = "forbidden"
            except NotFound:
                got = "not found"
            want = "forbidden" if role not in allowed_roles else "ok" if name in reaches else "not found"
            if got != want:
                failures.append((action, name, want, got))
    assert failures == []


@pytest.mark.parametrize("scope", [OWN, DEPT, REGION, ALL])
def test_the_admin_lists_only_the_scope(world, make_user, scope):
    rows, place = world
    user = _user(make_user, roles.SUPERVISOR, scope)
    place(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, key in ((Customer, "customer"), (WorkOrder, "order"), (Contact, "contact")):
        listed = set(django_admin.site._registry[model].get_queryset(request).values_list("pk", flat=True))
        assert {n for n, r in rows.items() if r[key].pk in listed} == REACHES[scope], model


def test_a_write_out_of_scope_changes_nothing(world, make_user):
    rows, place = world
    user = _user(make_user, roles.AGENT, OWN)
    place(user)
    other = rows["other"]["order"]
    with pytest.raises(NotFound):
        orders.add_comment(user, other.pk, note="should not land")
    with pytest.raises(NotFound):
        customers.update_customer(user, rows["other"]["customer"].pk, version=0, changes={"email": "x@example.com"})
    assert not other.events.filter(action="comment").exists()
    assert Customer.objects.get(pk=rows["other"]["customer"].pk).email == ""


def test_region_falls_back_to_the_installation(world, make_user, settings):
    rows, place = world
    user = _user(make_user, roles.AGENT, None)
    User.objects.filter(pk=user.pk).update(region="")
    user = User.objects.get(pk=user.pk)
    place(user)
    assert _listed("list_orders", user, rows) == REACHES[ALL]  # one region: the whole installation
    settings.KEFU_REGION = "广东"
    assert _listed("list_orders", user, rows) == REACHES[REGION]


def test_an_api_token_keeps_its_users_scope(world, make_user, client):
    from kefu.staff.models import ApiToken

    rows, place = world
    user = _user(make_user, roles.AGENT, None)
    place(user)
    _t, raw = ApiToken.issue(user, scopes=["read"])
    auth = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/customers/{rows['region']['customer'].pk}", headers=auth).status_code == 200
    assert client.get(f"/api/v1/customers/{rows['other']['customer'].pk}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/orders/{rows['other']['order'].pk}", headers=auth).status_code == 404
    listed = client.get("/api/v1/orders", headers=auth).json()
    assert {o["id"] for o in listed["results"]} == {rows[n]["order"].pk for n in REACHES[REGION]}


def test_the_system_and_superusers_see_everything(world):
    rows, _place = world
    assert scopes.condition(None, WorkOrder) is None
    root = User.objects.get(username="root")
    assert scopes.scope_of(root) == ALL


NONE = 987_654_321


def _refusal(fn, *args, **kw):
    """The error FN raises, as a dict (message and fields)."""
    with pytest.raises(ServiceError) as caught:
        fn(*args, **kw)
    return type(caught.value).__name__, caught.value.as_dict()


def test_one_read_by_id_answers_out_of_scope_as_missing(world, make_user):
    rows, place = world
    user = _user(make_user, roles.AGENT, OWN)
    place(user)
    mine, other = rows["own"]["order"], rows["other"]["order"]
    assert scopes.get(user, WorkOrder, mine.pk) == mine
    assert scopes.get(user, WorkOrder.objects.select_related("customer"), mine.pk, lock=True) == mine
    out = _refusal(scopes.get, user, WorkOrder, other.pk)
    missing = _refusal(scopes.get, user, WorkOrder, NONE)
    assert out[0] == "NotFound" and str(out) == str(missing).replace(str(NONE), str(other.pk))
    assert scopes.find(user, WorkOrder, other.pk) is None
    assert scopes.find(user, WorkOrder.objects.all(), mine.pk) == mine
    customers_ = [r["customer"].pk for r in rows.values()] + [NONE]
    assert set(scopes.visible(user, Customer, customers_).values_list("pk", flat=True)) == {rows["own"]["customer"].pk}
    assert scopes.get(None, WorkOrder, other.pk) == other  # the system (workers) sees every row


def test_incident_response_names_only_customers_in_scope(world, make_user):
    from kefu.security import services as security

    rows, place = world
    user = _user(make_user, roles.SUPERVISOR, OWN)
    place(user)
    admin = User.objects.create_superuser("root2", password="pw")
    incident = security.report(admin, title="leak", level="general")
    security.add_affected(admin, incident.pk, customer_ids=[rows["other"]["customer"].pk], data_involved="name")
    other = rows["other"]["customer"].pk
    for step, kw in [(security.add_affected, {"data_involved": "name"}), (security.notify_customers, {"channel": "sms"})]:
        out = _refusal(step, user, incident.pk, customer_ids=[other], **kw)
        missing = _refusal(step, user, incident.pk, customer_ids=[NONE], **kw)
        assert out[0] == "ValidationFailed" and str(out) == str(missing).replace(str(NONE), str(other))
    assert incident.steps.count() == 2 and not incident.affected.filter(notified_at__isnull=False).exists()
    security.add_affected(user, incident.pk, customer_ids=[rows["own"]["customer"].pk], data_involved="name")
    assert security.notify_customers(user, incident.pk, channel="sms", customer_ids=[rows["own"]["customer"].pk]).steps.count() == 4


def test_someone_elses_notification_is_not_found_like_none(world, make_user):
    from kefu.notifications import services as notifications
    from kefu.notifications.models import Notification

    rows, _place = world
    user, other = _user(make_user, roles.AGENT, OWN), _user(make_user, roles.AGENT, OWN)
    theirs = Notification.objects.create(recipient=other, message="x", created_at=rows["own"]["order"].created_at)
    out, missing = _refusal(notifications.mark_read, user, theirs.pk), _refusal(notifications.mark_read, user, NONE)
    assert str(out) == str(missing).replace(str(NONE), str(theirs.pk))  # once: "Notification -1 …"
    assert Notification.objects.get(pk=theirs.pk).read_at is None
