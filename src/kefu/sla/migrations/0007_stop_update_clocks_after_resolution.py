"""The update limit ends with the resolution (sla.services.FINAL_WORDS). Earlier versions
started it again at the resolution, so resolved and confirmed orders kept a running update
clock that was shown, and escalated, until the order was closed: those are cancelled now, and
the orders' nearest due times read again."""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

FINISHED = ("resolved", "confirmed")


def forwards(apps, schema_editor):
    OrderClock = apps.get_model("sla", "OrderClock")
    WorkOrder = apps.get_model("orders", "WorkOrder")
    stale = OrderClock.objects.filter(metric="update", state__in=("running", "paused"), order__status__in=FINISHED)
    order_ids = set(stale.values_list("order_id", flat=True))
    if not order_ids:
        return
    stale.update(state="cancelled", stopped_at=timezone.now(), paused_at=None, next_check_at=None)
    running = OrderClock.objects.filter(order=OuterRef("pk"), state="running").values("order")
    WorkOrder.objects.filter(pk__in=order_ids).update(
        sla_due_at=Subquery(running.annotate(m=Min("due_at")).values("m")[:1]),
        sla_warn_at=Subquery(running.annotate(m=Min("warn_at")).values("m")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0006_rename_escalation_events"),
        ("orders", "0008_queue_due_times"),  # the orders' due-time columns
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
