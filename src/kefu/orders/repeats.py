"""Repeat complaints (重复投诉): the same customer complaining again, within
KEFU_REPEAT_COMPLAINT_DAYS, about the same matter: the same service, or, when the complaint
names no service, the same category family. A rule about orders, on orders' own models, called
by orders.services.create_order (kefu.triage.repeats re-exports it)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .matching import category_parents
from .models import SEVERITY_RANK, Category, Kind, WorkOrder

_ORDER = ["general", "urgent", "major"]


def raised(severity: str) -> str:
    """One step more severe, major staying major."""
    return _ORDER[min(SEVERITY_RANK[severity] + 1, len(_ORDER) - 1)]


# Why an order counts as a repeat complaint (Repeat.because["same"]), as people read it on the
# order's timeline: the one place these codes get their words.
BECAUSE_LABELS = {
    "service": gettext_lazy("the same service as %(number)s"),
    "category_family": gettext_lazy("the same kind of problem (%(category)s) as %(number)s"),
}


def because_text(data: dict) -> str:
    """The reason a create event's DATA gives for linking its order as a repeat complaint
    (repeat_of, repeat_because), in words: '' when the order repeats nothing."""
    number = (data or {}).get("repeat_of")
    if not number:
        return ""
    because = data.get("repeat_because") or {}
    label = BECAUSE_LABELS.get(because.get("same"))
    if label is None or (because.get("same") == "category_family" and not because.get("category")):
        reason = _("repeats %(number)s") % {"number": number}
    else:
        reason = label % {"number": number, "category": because.get("category")}
    return _("Repeat complaint: %(reason)s") % {"reason": reason}


@dataclass(frozen=True)
class Repeat:
    """The complaint an order repeats, and why it counts as the same matter (for the event)."""

    earlier: WorkOrder
    because: dict


def family_of(category_id, parents: dict):
    """The category's family: its ancestor just below the top of the tree (投诉 › 资费计费 for
    投诉 › 资费计费 › 费用过高). None for no category or a top-level one, which says no more
    than the kind."""
    line = []
    node = category_id
    while node is not None and node not in line:
        line.append(node)
        node = parents.get(node)
    return line[-2] if len(line) >= 2 else None


def _members(family_id, parents: dict) -> set:
    return {pk for pk in parents if family_id in Category.lineage(pk, parents)}


def earlier_complaint(order, *, at=None) -> Repeat | None:
    """The latest complaint of the same customer inside the window about the same service or,
    with no service named, in the same category family; None if this is the first. A complaint
    with neither says nothing about its matter and repeats nothing. Uses the (customer,
    created_at) index. AT: the moment ORDER was registered, for an order recorded afterwards
    (demo data, imports): only complaints registered before it count; default now."""
    if order.kind != Kind.COMPLAINT or settings.KEFU_REPEAT_COMPLAINT_DAYS <= 0:
        return None
    since = (at or timezone.now()) - timedelta(days=settings.KEFU_REPEAT_COMPLAINT_DAYS)
    qs = WorkOrder.objects.filter(customer_id=order.customer_id, kind=Kind.COMPLAINT, created_at__gte=since)
    if at is not None:
        qs = qs.filter(created_at__lt=at).exclude(pk=order.pk)
    if order.subscription_id is not None:
        qs, because = qs.filter(subscription_id=order.subscription_id), {"same": "service", "subscription_id": order.subscription_id}
    else:
        parents = category_parents()
        family = family_of(order.category_id, parents)
        if family is None:
            return None
        qs = qs.filter(category_id__in=_members(family, parents))
        name = Category.objects.filter(pk=family).values_list("name", flat=True).first()
        because = {"same": "category_family", "category_id": family, "category": name}
    earlier = qs.order_by("-created_at", "-id").only("id", "number", "severity", "repeat_count").first()
    return Repeat(earlier, because) if earlier is not None else None
