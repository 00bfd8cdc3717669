"""Sampling plans: this week's contacts picked per agent by a seed (the same seed, the same pick),
the contacts behind a repeat complaint or a regulator transfer always, none picked twice, and
each given to an inspector who is not its agent."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from kefu.contacts.models import Contact
from kefu.core.errors import Conflict
from kefu.orders import services as orders
from kefu.orders.models import WorkOrder
from kefu.quality import services
from kefu.quality.models import Sample, SamplingPlan
from kefu.staff import roles


@pytest.fixture
def week(agent, make_user, customer, subscription):
    """Twelve ended contacts of two agents this week; one of them raised a repeat complaint."""
    other = make_user(roles.AGENT, "front-office", "agent-b")
    now = timezone.now()
    made = []
    for n in range(12):
        person = agent if n % 2 else other
        c = Contact.objects.create(channel="hotline" if n % 3 else "online_chat", started_at=now - dt.timedelta(minutes=30 + n),
                                   ended_at=now - dt.timedelta(minutes=20 + n), agent=person, customer=customer,
                                   outcome="answered", summary="客户咨询套餐")
        made.append(c)
    order = orders.create_order(agent, kind="complaint", title="话费多扣", customer_id=customer.pk,
                                subscription_id=subscription.pk, channel="hotline", contact_id=made[1].pk)
    WorkOrder.objects.filter(pk=order.pk).update(repeat_count=1)
    return made, other


class _Undo(Exception):
    pass


@pytest.fixture
def inspectors(make_user):
    return [make_user(roles.QA_INSPECTOR, "complaints", f"qa{n}") for n in range(2)]


def test_a_weeks_draw_is_reproducible_and_never_picks_twice(week, inspectors, supervisor, agent):
    made, other = week
    plan = SamplingPlan.objects.get()
    plan.per_agent = 2
    plan.save()
    today = timezone.localdate()
    try:  # a first draw, undone: the same seed must pick the same again
        with transaction.atomic():
            first = services.draw(supervisor, plan.pk, today, seed=7)
            picked_first = dict(Sample.objects.filter(run=first).values_list("contact_id", "reason"))
            raise _Undo
    except _Undo:
        pass
    run = services.draw(supervisor, plan.pk, today, seed=7)
    picked = dict(Sample.objects.filter(run=run).values_list("contact_id", "reason"))
    assert picked == picked_first  # the same seed, the same pick
    assert picked[made[1].pk] == "repeat"  # always
    per_agent = {a: sum(1 for pk, r in picked.items() if r == "sampled" and Contact.objects.get(pk=pk).agent_id == a)
                 for a in (agent.pk, other.pk)}
    assert per_agent == {agent.pk: 2, other.pk: 2}
    assert all(s.inspector_id in {i.pk for i in inspectors} for s in Sample.objects.filter(run=run))
    with pytest.raises(Conflict):
        services.draw(supervisor, plan.pk, today, seed=8)  # one draw per period
    # Next week's draw of the same contacts (a monthly plan) picks none of them again.
    monthly = SamplingPlan.objects.create(name="月度", per_agent=5, period="month")
    again = services.draw(supervisor, monthly.pk, today, seed=9)
    assert not set(Sample.objects.filter(run=again).values_list("contact_id", flat=True)) & set(picked)
    assert {s.contact_id for s in services.my_samples(inspectors[0])} <= set(picked) | set(
        Sample.objects.filter(run=again).values_list("contact_id", flat=True))


def test_an_inspector_is_never_given_their_own_contact(week, inspectors, supervisor):
    made, _other = week
    Contact.objects.filter(pk__in=[c.pk for c in made]).update(agent=inspectors[0])
    run = services.draw(supervisor, SamplingPlan.objects.get().pk, timezone.localdate(), seed=1)
    assert set(Sample.objects.filter(run=run).values_list("inspector_id", flat=True)) == {inspectors[1].pk}


def test_the_api_draws_and_lists_an_inspectors_samples(week, inspectors, supervisor, api_client):
    plan = SamplingPlan.objects.get()
    drawn = api_client(supervisor).post(f"/quality/plans/{plan.pk}/draws", {"day": timezone.localdate().isoformat(), "seed": 3})
    assert drawn.status_code == 201 and drawn.json()["picked"] >= 1
    assert api_client(inspectors[0]).post(f"/quality/plans/{plan.pk}/draws", {"day": "2026-01-05"}).status_code == 403
    mine = api_client(inspectors[0]).get("/quality/samples").json()
    assert mine["count"] == Sample.objects.filter(inspector=inspectors[0]).count()
    assert {r["reason"] for r in mine["results"]} <= {"sampled", "repeat"}


def test_the_worker_draws_each_plan_once_for_its_last_complete_week(week, inspectors):
    made, _other = week
    next_week = timezone.now() + dt.timedelta(days=7)
    runs = services.draw_due(now=next_week)
    this_monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert [(r.first_day, r.created_by) for r in runs] == [(this_monday, None)]
    assert Sample.objects.filter(run=runs[0], contact_id=made[1].pk, reason="repeat").exists()
    assert services.draw_due(now=next_week) == []  # once
