"""What other apps add to the orders' API comes through orders.extensions, registered in their
ready(): routing takes over registration and the routed actions, the SLA adds time limits and
list filters. Without a provider, the orders' own service answers, or 404."""

import pytest

from kefu.core.errors import NotFound
from kefu.orders import extensions
from kefu.orders import services as orders
from kefu.routing import services as routing
from kefu.sla import services as sla


def test_routing_and_the_sla_registered_at_start_up():
    for name in ("register", "assign", "dispatch", "auto_assign", "escalate", "deescalate", "transfer"):
        assert extensions.action(name) is getattr(routing, name)
    assert extensions._details["sla"] is sla.sla_state
    assert {"breached", "due_within"} <= set(extensions._filters)


def test_without_a_provider_the_orders_own_service_or_not_found(monkeypatch):
    monkeypatch.setattr(extensions, "_actions", {})
    assert extensions.action("transfer", orders.transfer) is orders.transfer
    with pytest.raises(NotFound):
        extensions.action("dispatch")


def test_list_filters_keep_and_leave_out(monkeypatch):
    monkeypatch.setattr(extensions, "_filters", {"late": lambda v: ({1, 2}, None) if v else (None, {1, 2}),
                                                 "soon": lambda m: ({3}, None) if m else (None, None)})
    assert extensions.list_filters({"late": True, "soon": None}) == ([{1, 2}], [])
    assert extensions.list_filters({"late": False, "soon": 30}) == ([{3}], [{1, 2}])
    assert extensions.list_filters({"late": None, "soon": 0, "unknown": 5}) == ([], [])
