"""The SLA's reactions table names real order actions: a misspelt key would silently leave an
action's clocks untouched."""

from kefu.orders.states import TRANSITIONS
from kefu.sla.services.reactions import REACTIONS


def test_every_reaction_is_to_an_action_of_the_state_machine():
    assert set(REACTIONS) - set(TRANSITIONS) == set()


def test_every_action_that_ends_an_order_stops_its_clocks():
    from kefu.orders.models import TERMINAL_STATUSES

    ending = {action for action, t in TRANSITIONS.items() if getattr(t, "target", None) in TERMINAL_STATUSES}
    assert ending, "the state machine names actions that end an order"
    assert ending <= set(REACTIONS)
