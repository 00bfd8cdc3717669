"""Ordered dispatch rules: the first matching rule wins, a catch-all takes the rest, and the
assignment records which rule chose the department."""

import pytest

from kefu.core.errors import ValidationFailed
from kefu.orders import services
from kefu.orders.models import Category
from kefu.routing import services as routing
from kefu.routing.models import DispatchRule


@pytest.fixture
def rules(departments):
    billing = Category.objects.get(code="cmp-billing")
    made = [
        DispatchRule.objects.create(name="major complaints", position=10, kind="complaint", severity="major",
                                    department=departments["complaints"]),
        DispatchRule.objects.create(name="billing complaints", position=20, kind="complaint", category=billing,
                                    department=departments["billing"]),
        DispatchRule.objects.create(name="faults", position=30, kind="fault", department=departments["tech-support"]),
        DispatchRule.objects.create(name="catch-all", position=99, department=departments["front-office"]),
    ]
    return {r.name: r for r in made}


def _order(agent, customer, **kw):
    return services.create_order(agent, title="x", customer_id=customer.pk, channel="hotline", **kw)


def test_first_matching_rule_wins(rules, agent, customer):
    wrong_charge = Category.objects.get(code="cmp-billing-wrong")
    assert routing.route(_order(agent, customer, kind="complaint", category_id=wrong_charge.pk)).name == "billing complaints"
    # Order matters: a major billing complaint meets the major-complaints rule first.
    major = _order(agent, customer, kind="complaint", category_id=wrong_charge.pk, severity="major")
    assert routing.route(major).name == "major complaints"
    assert routing.route(_order(agent, customer, kind="fault")).name == "faults"
    assert routing.route(_order(agent, customer, kind="praise")).name == "catch-all"


def test_dispatch_assigns_and_records_the_rule(rules, agent, customer, departments, api_client):
    order = _order(agent, customer, kind="fault")
    services.accept(agent, order.pk)
    r = api_client(agent).post(f"/orders/{order.pk}/dispatch", {})
    assert r.status_code == 200 and r.json()["department"]["code"] == "tech-support" and r.json()["status"] == "assigned"
    event = order.events.filter(action="assign").last()
    assert event.data["rule"] == {"id": rules["faults"].pk, "name": "faults"}


def test_no_matching_rule_is_an_error_not_a_guess(departments, agent, customer):
    order = _order(agent, customer, kind="fault")
    services.accept(agent, order.pk)
    with pytest.raises(ValidationFailed):
        routing.dispatch(agent, order.pk)
    assert order.events.filter(action="assign").count() == 0


def test_inactive_rules_are_skipped(rules, agent, customer):
    DispatchRule.objects.filter(name="faults").update(is_active=False)
    assert routing.route(_order(agent, customer, kind="fault")).name == "catch-all"
