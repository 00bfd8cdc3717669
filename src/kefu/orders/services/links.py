"""Orders and one another: `merge` a duplicate into the order that stays (its history,
contacts and the higher severity kept), `link` two orders, and `add_comment` (a note on an
order, to the customer when it is a reply to them)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.contacts.models import ContactOrder
from kefu.core.errors import Forbidden, ValidationFailed
from kefu.core.services import require

from ..models import SEVERITY_RANK, OrderLink, WorkOrder
from .queries import _blank, find_order
from .transitions import TERMINAL, _begin, _event, _finish, _locked


@transaction.atomic
def merge(actor, order_id, *, into=None, into_id=None, reason, note=""):
    """Merge a duplicate into another order of the same customer, in one step. Nothing is
    lost: the duplicate keeps its history (and shows in the other's), its contacts follow, the
    two are linked, and the order that stays takes the higher severity. INTO names the order
    that stays as people do, by its number or id (find_order); INTO_ID is the older name of the
    same input, and refusals name whichever was given."""
    field, ref = ("into_id", into_id) if into is None and into_id is not None else ("into", into)
    named = find_order(actor, ref)
    # Both rows locked in id order, so two opposite merges cannot deadlock.
    ids = [order_id] + ([named.pk] if named is not None else [])
    list(scopes.visible(actor, WorkOrder.objects.select_for_update(), ids).order_by("pk").values_list("pk"))
    order = _begin(actor, order_id, "merge", reason=reason)
    into = scopes.find(actor, WorkOrder, named.pk) if named is not None else None
    problem = (_("is required") if _blank(ref)
               else _("no work order with this number") if into is None
               else _("is the same order") if into.pk == order.pk
               else _("belongs to another customer") if into.customer_id != order.customer_id
               else _("is already finished") if into.status in TERMINAL else None)
    if problem:
        raise ValidationFailed(_("Cannot merge into that order."), fields={field: problem})
    OrderLink.objects.get_or_create(source=order, target=into, type=OrderLink.Type.DUPLICATE, defaults={"created_by": actor})
    moved = 0
    for contact_id in ContactOrder.objects.filter(order=order).values_list("contact_id", flat=True):
        moved += ContactOrder.objects.get_or_create(contact_id=contact_id, order=into, defaults={"role": ContactOrder.Role.TOUCHED})[1]
    merged = _finish(order, actor, "merge", reason=reason, note=note, visibility="customer", data={"into": into.number})
    data = {"merged": order.number, "contacts": moved}
    stronger = max(order.severity, into.severity, key=lambda s: SEVERITY_RANK[s])
    if stronger != into.severity:
        data["changes"] = {"severity": [into.severity, stronger]}  # the SLA policy follows it
        into.severity = stronger
        into.version += 1
        into.save()
    _event(into, actor, "merged_in", into.status, into.status, reason=reason, data=data)
    return merged


@transaction.atomic
def add_comment(actor, order_id, *, note, visibility="internal"):
    """A note on the order; visible to the customer when it is a reply to them."""
    if not (actor.has_perm("orders.change_workorder") or actor.has_perm("orders.handle_workorder")):
        raise Forbidden()
    if not (note or "").strip():
        raise ValidationFailed(_("A note is required."), fields={"note": _("is required")})
    order = _locked(order_id, actor)
    WorkOrder.objects.filter(pk=order.pk).update(updated_at=timezone.now())
    return _event(order, actor, "comment", order.status, order.status, note=note.strip(), visibility=visibility)


@transaction.atomic
def link(actor, source_id, target_id=None, *, target=None, type="related"):
    """Link two orders (related, …). TARGET names the other order as people do, by its number
    or id (find_order); TARGET_ID is the older name of the same input, and refusals name
    whichever was given."""
    require(actor, "orders.change_workorder")
    field, ref = ("target_id", target_id) if target is None and target_id is not None else ("target", target)
    named = find_order(actor, ref)
    # Both rows locked in id order, so two opposite links cannot deadlock.
    ids = [source_id] + ([named.pk] if named is not None else [])
    list(scopes.visible(actor, WorkOrder.objects.select_for_update(), ids).order_by("pk").values_list("pk"))
    source = _locked(source_id, actor)
    if named is None:
        raise ValidationFailed(_("Unknown work order."), fields={
            field: _("is required") if _blank(ref) else _("no work order with this number")})
    target = _locked(named.pk, actor)
    if source.pk == target.pk:
        raise ValidationFailed(_("An order cannot be linked to itself."), fields={field: _("is the same order")})
    link, created = OrderLink.objects.get_or_create(source=source, target=target, type=type, defaults={"created_by": actor})
    if created:
        _event(source, actor, "link", source.status, source.status, data={"link": type, "target": target.number})
        _event(target, actor, "link", target.status, target.status, data={"link": type, "source": source.number})
    return link
