"""What the reports' tests share: two complaints registered today and in the rollups; the
seeded months of the demo generator, in the rollups."""

import pytest

from kefu.demo.seed import generate
from kefu.orders import events
from kefu.orders import services as orders
from kefu.reports import rollups, subscribers

from .test_rollups import ANCHOR


@pytest.fixture
def data(agent, customer, subscription):
    """Two complaints the agent registered today, in the rollups; returns the agent."""
    for title in ("话费多扣了20元", "宽带断网三天"):
        orders.create_order(agent, kind="complaint", title=title, customer_id=customer.pk,
                            subscription_id=subscription.pk, channel="hotline")
    rollups.rebuild()
    return agent


@pytest.fixture
def seeded(db):
    """Four months of demo data ending at ANCHOR, in the rollups (the seed writes its rows
    directly: the consumer's drain finds them, the rebuild reads them)."""
    generate(customers=30, orders=200, seed=11, anchor=ANCHOR, clocks=True)
    events.drain("reports")
    rollups.rebuild()
    subscribers.refresh()
