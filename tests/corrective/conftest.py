import datetime as dt

import pytest
from django.utils import timezone

from kefu.corrective import services
from kefu.orders.models import Category
from kefu.staff import roles


@pytest.fixture
def inspector(make_user):
    return make_user(roles.QA_INSPECTOR, "complaints", "inspector")


@pytest.fixture
def manager(make_user):
    return make_user(roles.MANAGER, None, "manager")


@pytest.fixture
def billing_cause(db):
    return Category.objects.get(code="cmp-billing")


@pytest.fixture
def opened(supervisor, agent, billing_cause):
    """An action for the agent, opened by the supervisor from a complaint cause, due in 5 working days."""
    return services.open_action(supervisor, title="计费错误投诉整改", problem="11月资费计费类投诉32件", source="complaint_cause",
                                cause_id=billing_cause.pk, owner_id=agent.pk, working_days=5, source_ref="period:2026-11")


def after(action, **delta):
    """A moment past ACTION's deadline."""
    return action.deadline + dt.timedelta(**(delta or {"minutes": 1}))


def past_deadline(action, **delta):
    """Move ACTION's deadline into the past (as if time went by)."""
    type(action).objects.filter(pk=action.pk).update(deadline=timezone.now() - dt.timedelta(**(delta or {"hours": 1})))
    action.refresh_from_db()
    return action
