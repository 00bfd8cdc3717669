"""The demo's corrective actions: every state, the complaints of last month's causes linked, the
history dated as it happened, the overdue one escalated."""

import datetime as dt

from django.utils import timezone

from kefu.corrective.models import CorrectiveAction, CorrectiveEvent
from kefu.demo import org
from kefu.demo.seed import corrective as seed
from kefu.orders import services as orders
from kefu.orders.models import Category, WorkOrder


def test_the_demo_has_actions_in_every_state(db, customer, agent):
    org.ensure_org()
    now = timezone.now()
    wrong = Category.objects.get(code="cmp-billing-wrong")
    made = orders.create_order(agent, kind="complaint", title="话费多扣了20元", customer_id=customer.pk, channel="hotline",
                               category_id=wrong.pk)
    first_this = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    WorkOrder.objects.filter(pk=made.pk).update(created_at=first_this - dt.timedelta(days=3))
    counts = seed.seed(timezone.localtime(now))
    assert counts["actions"] >= 6 and counts["linked orders"] == 1 and counts["escalated"] == 2
    states = set(CorrectiveAction.objects.values_list("status", flat=True))
    assert states == {"open", "in_progress", "verified", "cancelled"}  # no inspection in this database: none awaiting
    billing = CorrectiveAction.objects.get(cause__code="cmp-billing")
    assert billing.status == "verified" and billing.done_at <= billing.deadline < billing.verified_at < now
    assert list(billing.orders.values_list("pk", flat=True)) == [made.pk]
    assert billing.created_at < billing.deadline and billing.created_at < now - dt.timedelta(days=40)
    late = CorrectiveAction.objects.get(cause__code="cmp-service")
    assert late.rounds == 2 and late.done_at > late.deadline
    times = list(CorrectiveEvent.objects.filter(corrective_action=late).order_by("pk").values_list("at", flat=True))
    assert times == sorted(times) and times[-1] < now
    assert CorrectiveAction.objects.get(cause__code="cmp-communication").escalation_level == 2
    assert seed.seed(now) == {}  # once
