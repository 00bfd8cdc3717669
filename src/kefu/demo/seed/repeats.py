"""Repeat complaints (重复投诉) in the demo: the seed writes orders without the services, so the
complaints that repeat an earlier one are found afterwards by the rule the services apply on
registration (orders.repeats.earlier_complaint, as of each one's registration), and marked as
orders.services.create_order marks them: counted, one step more severe, linked, and said on
their "create" event."""

from django.db.models import Count

from kefu.orders import repeats
from kefu.orders.models import SEVERITY_RANK, Kind, OrderEvent, OrderLink, WorkOrder


def link_repeats(first_id) -> int:
    """Mark the seeded complaints (ids from FIRST_ID) that repeat an earlier one, oldest first
    (a repeat of a repeat counts both). Only customers with two complaints or more are read.
    Returns the number marked."""
    complaints = WorkOrder.objects.filter(pk__gte=first_id, kind=Kind.COMPLAINT)
    again = complaints.values("customer_id").annotate(n=Count("id")).filter(n__gt=1).values("customer_id")
    marked = 0
    for order in complaints.filter(customer_id__in=again).order_by("created_at", "id").iterator(chunk_size=1000):
        repeat = repeats.earlier_complaint(order, at=order.created_at)
        if repeat is None:
            continue
        earlier, asked = repeat.earlier, order.severity
        order.repeat_count = earlier.repeat_count + 1
        order.severity = repeats.raised(max(order.severity, earlier.severity, key=lambda s: SEVERITY_RANK[s]))
        WorkOrder.objects.filter(pk=order.pk).update(repeat_count=order.repeat_count, severity=order.severity)
        link = OrderLink.objects.create(source_id=order.pk, target_id=earlier.pk, type=OrderLink.Type.REPEAT,
                                        created_by_id=order.owner_id)
        OrderLink.objects.filter(pk=link.pk).update(created_at=order.created_at)  # not the seed's clock
        # Events are append-only once recorded; these are the seed's own, in its transaction, not
        # yet read by anyone: completed as registration would have written them.
        event = OrderEvent.objects.get(order_id=order.pk, action="create")
        OrderEvent.objects.filter(pk=event.pk).update(data={
            **event.data, "severity": order.severity, "repeat_of": earlier.number, "repeat_count": order.repeat_count,
            "severity_asked": asked, "repeat_because": repeat.because})
        marked += 1
    return marked
