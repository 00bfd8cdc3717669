"""The suggestion shown while typing an order lists duplicates in the caller's data scope only:
a customer out of it is an unknown customer, with none (the API and the web form alike)."""

import pytest

from kefu.customers import services as customers
from kefu.orders import services as orders
from kefu.staff import roles
from kefu.staff.models import User

from ..conftest import mobile, resident_id

NONE = 987_654_321
TITLE = "宽带断网三天了一直没人处理"


@pytest.fixture
def setting(db, make_user):
    """An agent who sees their own work only, and another customer's open order of that title."""
    admin = User.objects.create_superuser("root", password="pw")
    c = customers.create_customer(admin, name="孙八", id_number=resident_id(8901), phone=mobile(8901), province="北京", city="北京")
    theirs = orders.create_order(admin, kind="fault", title=TITLE, customer_id=c.pk, channel="hotline")
    agent = make_user(roles.AGENT, "front-office")
    User.objects.filter(pk=agent.pk).update(data_scope="own")
    return User.objects.get(pk=agent.pk), c, theirs


def test_suggest_api_treats_a_customer_out_of_scope_as_unknown(api_client, setting):
    agent, stranger, theirs = setting
    api = api_client(agent)
    out = api.post("/triage/suggest", {"title": TITLE, "customer_id": stranger.pk})
    missing = api.post("/triage/suggest", {"title": TITLE, "customer_id": NONE})
    assert out.status_code == missing.status_code == 200
    assert out.json() == missing.json() and out.json()["duplicates"] == []  # once: theirs, with number, title and status


def test_the_web_suggestion_treats_a_customer_out_of_scope_as_unknown(client, setting):
    agent, stranger, theirs = setting
    client.force_login(agent)
    out = client.get("/suggest/", {"title": TITLE, "customer_id": stranger.pk})
    missing = client.get("/suggest/", {"title": TITLE, "customer_id": NONE})
    assert out.status_code == missing.status_code == 200
    assert theirs.number not in out.content.decode()
    assert out.content == missing.content
