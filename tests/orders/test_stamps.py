"""The milestone times (accepted_at, resolved_at, closed_at) change exactly as orders.states.STAMPS
says, for every action from every state it is taken in: the table is the one statement of them,
read by the services and by the demo seed (tests/demo/test_seed.py replays seeded histories)."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.orders import services
from kefu.orders.models import WorkOrder
from kefu.orders.states import CLEAR, SET, STAMPS, TRANSITIONS

from .test_state_machine import _calls, services_resolved_event

MILESTONES = ("accepted_at", "resolved_at", "closed_at")
EARLIER = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def test_the_table_speaks_of_actions_and_milestones():
    assert set(STAMPS) <= set(TRANSITIONS)
    for effects in STAMPS.values():
        assert set(effects) <= set(MILESTONES) and set(effects.values()) <= {SET, CLEAR}


@pytest.mark.parametrize(("action", "status"), [(a, s) for a, t in TRANSITIONS.items() for s in sorted(t.sources)])
def test_an_action_sets_and_clears_what_the_table_says(action, status, order, departments, handler, supervisor):
    # As in test_state_machine: the supervisor may act on any order, so only the state decides.
    WorkOrder.objects.filter(pk=order.pk).update(status=status, handler=None if action == "claim" else supervisor,
                                                 **dict.fromkeys(MILESTONES, EARLIER))
    if action in ("confirm", "reopen", "auto_confirm"):
        services_resolved_event(order, handler)
    started = timezone.now()
    if action == "auto_confirm":
        assert services.auto_confirm_due() == 1
    else:
        _calls(departments, handler, supervisor)[action](supervisor, order.pk)
    after = WorkOrder.objects.get(pk=order.pk)
    assert after.status == (TRANSITIONS[action].target or status)  # the action was taken
    effects = STAMPS.get(action, {})
    for field in MILESTONES:
        value = getattr(after, field)
        if effects.get(field) == SET:
            assert started <= value <= timezone.now(), field
        elif effects.get(field) == CLEAR:
            assert value is None, field
        else:
            assert value == EARLIER, field
