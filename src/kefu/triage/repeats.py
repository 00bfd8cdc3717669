"""Repeat complaints (重复投诉): the same customer complaining again about the same service
within KEFU_REPEAT_COMPLAINT_DAYS. Plain functions on models, called by orders.services."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .rules import SEVERITY_RANK

_ORDER = ["general", "urgent", "major"]


def raised(severity: str) -> str:
    """One step more severe, major staying major."""
    return _ORDER[min(SEVERITY_RANK[severity] + 1, len(_ORDER) - 1)]


def earlier_complaint(order):
    """The latest complaint of the same customer about the same subscription (or, without a
    subscription, any of theirs) inside the window; None if this is the first. Uses the
    (customer, created_at) index."""
    from kefu.orders.models import Kind, WorkOrder

    if order.kind != Kind.COMPLAINT or settings.KEFU_REPEAT_COMPLAINT_DAYS <= 0:
        return None
    since = timezone.now() - timedelta(days=settings.KEFU_REPEAT_COMPLAINT_DAYS)
    qs = WorkOrder.objects.filter(customer_id=order.customer_id, kind=Kind.COMPLAINT, created_at__gte=since)
    if order.subscription_id is not None:
        qs = qs.filter(subscription_id=order.subscription_id)
    return qs.order_by("-created_at", "-id").only("id", "number", "severity", "repeat_count").first()
