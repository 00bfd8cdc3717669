import itertools

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from kefu.customers.validators import id_check_char
from kefu.staff import roles
from kefu.staff.models import ApiToken, Department, User

_seq = itertools.count(1)


def resident_id(n: int) -> str:
    """A valid 18-character resident ID number, different for each n."""
    first17 = f"110101199{n % 10}0101{n % 1000:03d}"
    return first17 + id_check_char(first17)


def mobile(n: int) -> str:
    return f"139{n:08d}"


def pytest_collection_modifyitems(config, items):
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


TEST_FIELD_KEYS = "t1:" + "A" * 43  # 32 zero bytes: tests only
TEST_AUDIT_KEYS = "ta1:" + "B" * 43  # tests only


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashers are slow on purpose; tests create many users and service passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fixed key ring, whatever the developer's data directory holds.
    settings.KEFU_FIELD_KEYS = TEST_FIELD_KEYS
    settings.KEFU_AUDIT_KEYS = TEST_AUDIT_KEYS
    settings.KEFU_AUDIT_ANCHOR_FILE = ""  # a worker run in a test anchors to the log only
    # Assertions read English; zh-Hans (the default) has tests of its own.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _no_push_streams(monkeypatch):
    """Pages open no push stream (kefu.push.services.STREAMS): a browser test's stream would leave
    a listener reading the database under the next test. tests/push and the hotline pages turn
    it on where they test it."""
    from kefu.push import services as push

    monkeypatch.setattr(push, "STREAMS", False)


@pytest.fixture(autouse=True)
def _calendars_cover_next_year(request):
    """Tests create orders at the real date, and deadlines near December run into next year,
    whose official calendar may not be published yet. Production refuses such deadlines (and
    tests of that pin their own dates); here the next year counts as covered, so the suite
    does not start failing every Christmas."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    from django.utils import timezone

    from kefu.sla.models import Calendar, new_revision

    next_year = timezone.now().year + 1
    Calendar.objects.filter(follows_official=True, official_to__lt=next_year).update(official_to=next_year,
                                                                                    revision=new_revision())
    from kefu.core import recent
    from kefu.sla import calendars

    calendars.forget()
    recent.forget()


@pytest.fixture(autouse=True)
def _english():
    # A request with Accept-Language leaves its language active in the thread; reset it.
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def departments(db):
    return {code: Department.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})[0]
            for code, kind in [("front-office", "front_office"), ("tech-support", "tech_support"),
                               ("complaints", "complaints"), ("billing", "billing")]}


@pytest.fixture
def make_user(db, departments):
    def make(role, dept="front-office", username=None):
        user = User.objects.create_user(username or f"{role}{next(_seq)}", password="pw", department=departments.get(dept))
        user.groups.add(Group.objects.get(name=role))
        return User.objects.get(pk=user.pk)  # fresh object: no cached permissions
    return make


@pytest.fixture
def agent(make_user):
    return make_user(roles.AGENT, "front-office", "agent")


@pytest.fixture
def handler(make_user):
    return make_user(roles.TECH_SUPPORT, "tech-support", "handler")


@pytest.fixture
def handler2(make_user):
    return make_user(roles.TECH_SUPPORT, "tech-support", "handler2")


@pytest.fixture
def supervisor(make_user):
    return make_user(roles.SUPERVISOR, "front-office", "supervisor")


@pytest.fixture
def auditor(make_user):
    return make_user(roles.AUDITOR, None, "auditor")


@pytest.fixture
def customer(db, agent):
    from kefu.customers import services

    n = next(_seq)
    c = services.create_customer(agent, name="张三", id_number=resident_id(n), phone=mobile(n), province="广东", city="广州",
                                 service_password="246810")
    services.create_subscription(agent, customer_id=c.pk, service_number=mobile(n), product="mobile", opened_on="2024-01-01")
    return c


@pytest.fixture
def subscription(customer):
    return customer.subscriptions.get()


@pytest.fixture
def order(agent, customer, subscription):
    from kefu.orders import services

    return services.create_order(agent, kind="complaint", title="话费多扣了20元", customer_id=customer.pk,
                                 subscription_id=subscription.pk, channel="hotline", description="本月账单多出20元增值业务费")


@pytest.fixture
def api_client(client):
    """A Django test client that speaks JSON with a bearer token: api_client(user).post(path, data)."""
    class Api:
        def __init__(self, user):
            _t, self.token = ApiToken.issue(user)

        def _call(self, method, path, data=None, **kw):
            import json
            headers = {"Authorization": f"Bearer {self.token}"}
            if data is not None:
                kw["data"] = json.dumps(data)
                kw["content_type"] = "application/json"
            return getattr(client, method)("/api/v1" + path, headers=headers, **kw)

        def get(self, path, **kw):
            return self._call("get", path, **kw)

        def post(self, path, data=None):
            return self._call("post", path, data if data is not None else {})

        def patch(self, path, data):
            return self._call("patch", path, data)

        def put_json(self, path, data):
            return self._call("put", path, data)

        def delete(self, path):
            return self._call("delete", path)

    return Api
