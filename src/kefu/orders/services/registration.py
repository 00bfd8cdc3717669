"""Registering and editing orders: `create_order` (登记: the first-contact owner, references,
repeat complaints, the number, the word index), `update_order` and `set_customer_summary`
(descriptive fields, one update event), `move_to_customer` (an unidentified caller's orders
to their customer file); what the customer reads of an order (`customer_text`), whether it
may be edited now (`can_edit`) and its number (`order_number`)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.contacts.models import ContactOrder
from kefu.core.errors import InvalidTransition, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import find, lock_version, require
from kefu.customers.services import check_order_customer

from .. import repeats
from ..models import CUSTOMER_SUMMARY_MAX, SEVERITY_RANK, Category, OrderLink, Status, WorkOrder
from .transitions import TERMINAL, _event, _locked, allowed_actions
from .words import index_words

REFERENCE_FIELDS = {"category_id", "subscription_id", "parent_id"}

UPDATABLE_FIELDS = {"title", "description", "customer_summary", "kind", "severity", "channel"} | REFERENCE_FIELDS


def customer_text(order) -> tuple[str, str]:
    """What the customer reads of ORDER, as (title, summary): the portal and every notice to the
    customer show this and never the order's title or description, which are the staff's own
    words. The title names the kind and category of the request; the summary is the order's
    customer-visible summary or, when nobody wrote one, a neutral line with the order number."""
    kind = order.get_kind_display()
    category = order.category.name if order.category_id else ""
    title = _("%(kind)s: %(category)s") % {"kind": kind, "category": category} if category and category != kind else str(kind)
    summary = order.customer_summary or _("We registered your request (%(subject)s) as work order %(number)s.") % {
        "subject": title, "number": order.number}
    return title, summary


def can_edit(order, user) -> bool:
    """Whether USER may change ORDER's descriptive fields now (update_order, set_customer_summary)."""
    return user.has_perm("orders.change_workorder") and order.status not in TERMINAL


def order_number(pk: int, created_at) -> str:
    """GD + local date + row id, e.g. GD20261122000123."""
    local_day = timezone.localtime(created_at, ZoneInfo(settings.TIME_ZONE))
    return f"{settings.KEFU_ORDER_PREFIX}{local_day:%Y%m%d}{pk:06d}"


@transaction.atomic
def create_order(actor, *, kind, title, customer_id, channel, description="", customer_summary="", category_id=None,
                 severity=None, subscription_id=None, parent_id=None, contact_id=None,
                 flagged=False, triage=None) -> WorkOrder:
    """Register (登记) a new work order. Whoever creates it becomes its first-contact owner.
    Without a severity it is general. CUSTOMER_SUMMARY is what the customer will read of it
    (customer_text). TRIAGE, when the classifier and the triage rules decided some fields, goes
    on the event."""
    require(actor, "orders.add_workorder")
    if not kind:
        raise ValidationFailed(_("The input is invalid."), fields={"kind": _("is required unless the order is routed")})
    severity = severity or "general"
    customer_summary = _clean_summary(customer_summary)
    from kefu.customers.models import Customer

    customer = scopes.find(actor, Customer, customer_id)
    if customer is None:
        raise ValidationFailed(_("Unknown customer."), fields={"customer_id": _("no customer with this id")})
    check_order_customer(customer, kind)  # an unidentified caller's file (decision 0023)
    order = WorkOrder(kind=kind, title=title, description=description, customer_summary=customer_summary, channel=channel,
                      severity=severity, customer=customer, owner=actor, flagged=flagged)
    _set_references(order, actor, category_id=category_id, subscription_id=subscription_id, parent_id=parent_id)
    repeat = repeats.earlier_complaint(order)
    earlier, because = (repeat.earlier, repeat.because) if repeat else (None, None)
    if earlier is not None:
        # 重复投诉: counted, and one step more severe than the complaint it repeats.
        order.repeat_count = earlier.repeat_count + 1
        order.severity = repeats.raised(max(order.severity, earlier.severity, key=lambda s: SEVERITY_RANK[s]))
    order.number = temporary_number()
    order.save()
    assign_number(order, "number", order_number(order.pk, order.created_at))
    index_words(order)
    if contact_id is not None:
        _link_contact(order, actor, contact_id, ContactOrder.Role.RAISED)
    data = {"number": order.number, "kind": kind, "severity": order.severity, "channel": channel, "category": category_id}
    if earlier is not None:
        OrderLink.objects.create(source=order, target=earlier, type=OrderLink.Type.REPEAT, created_by=actor)
        data |= {"repeat_of": earlier.number, "repeat_count": order.repeat_count, "severity_asked": severity,
                 "repeat_because": because}
    if triage is not None:
        data["triage"] = triage
    if flagged:
        data["flagged"] = True
    _event(order, actor, "create", "", Status.NEW, data=data)
    return order


@transaction.atomic
def update_order(actor, order_id: int, *, version: int, changes: dict) -> WorkOrder:
    """Change descriptive fields. Status, handler, owner and department move only by actions."""
    require(actor, "orders.change_workorder")
    order = lock_version(WorkOrder, order_id, version, queryset=scopes.restrict(actor, WorkOrder.objects))
    return _change(actor, order, changes)


@transaction.atomic
def set_customer_summary(actor, order_id: int, *, customer_summary: str) -> WorkOrder:
    """Rewrite what the customer reads of the order (the order page's form): an update, with its
    event, as update_order writes; no version to give, the row is locked."""
    require(actor, "orders.change_workorder")
    return _change(actor, _locked(order_id, actor), {"customer_summary": customer_summary})


def _clean_summary(value) -> str:
    value = (value or "").strip()
    if len(value) > CUSTOMER_SUMMARY_MAX:
        raise ValidationFailed(_("The input is invalid."), fields={
            "customer_summary": _("at most %(n)s characters") % {"n": CUSTOMER_SUMMARY_MAX}})
    return value


def _change(actor, order, changes: dict) -> WorkOrder:
    """Apply CHANGES to ORDER (locked) and record them on one update event."""
    if order.status in TERMINAL:
        raise InvalidTransition(_("A work order in state %(state)s cannot be edited.") % {"state": order.get_status_display()},
                                state=order.status, allowed_actions=allowed_actions(order, actor))
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here."), fields={f: _("cannot be changed") for f in unknown})
    if "customer_summary" in changes:
        changes = changes | {"customer_summary": _clean_summary(changes["customer_summary"])}
    if "kind" in changes:
        check_order_customer(order.customer, changes["kind"])
    before = {f: getattr(order, f) for f in changes}
    for field, value in changes.items():
        if field not in REFERENCE_FIELDS:
            setattr(order, field, value)
    if REFERENCE_FIELDS & changes.keys() or "kind" in changes:
        # A new kind can invalidate the category, so references are checked again.
        _set_references(order, actor, **{k: changes.get(k, getattr(order, k)) for k in REFERENCE_FIELDS})
    diff = {f: [before[f], getattr(order, f)] for f in changes if before[f] != getattr(order, f)}
    if not diff:
        return order
    order.version += 1
    order.save()
    if diff.keys() & {"title", "description"}:
        index_words(order)
    _event(order, actor, "update", order.status, order.status, data={"changes": diff})
    return order


def _set_references(order, actor, *, category_id, subscription_id, parent_id):
    """Check and set the order's category, subscription and parent. A subscription or parent
    the actor names is read in their scope (out of it: "no … with this id", as for none); one
    the order has already is kept as it is, whoever set it."""
    from kefu.customers.models import Subscription

    def named(model, pk, current):
        return find(model.objects, pk=pk) if pk == current else scopes.find(actor, model, pk)

    current_subscription, current_parent = order.subscription_id, order.parent_id
    errors = {}
    order.category = None
    if category_id is not None:
        cat = find(Category.objects, pk=category_id)
        if cat is None:
            errors["category_id"] = _("no category with this id")
        elif not cat.is_active:
            errors["category_id"] = _("this category is no longer in use")
        elif cat.kind and cat.kind != order.kind:
            errors["category_id"] = _("belongs to kind %(kind)s") % {"kind": cat.get_kind_display()}
        else:
            order.category = cat
    order.subscription = None
    if subscription_id is not None:
        sub = named(Subscription, subscription_id, current_subscription)
        if sub is None:
            errors["subscription_id"] = _("no subscription with this id")
        elif sub.customer_id != order.customer_id:
            errors["subscription_id"] = _("belongs to another customer")
        else:
            order.subscription = sub
    order.province = order.subscription.province if order.subscription is not None else order.customer.province
    order.parent = None
    if parent_id is not None:
        parent = named(WorkOrder, parent_id, current_parent)
        if parent is None:
            errors["parent_id"] = _("no work order with this id")
        elif order.pk is not None and (parent.pk == order.pk or _is_descendant(parent, order.pk)):
            errors["parent_id"] = _("would make a cycle")
        else:
            order.parent = parent
    if errors:
        raise ValidationFailed(_("Some references are invalid."), fields=errors)


def _is_descendant(order, ancestor_id) -> bool:
    node, hops = order, 0
    while node.parent_id is not None and hops < 50:
        if node.parent_id == ancestor_id:
            return True
        node, hops = WorkOrder.objects.only("parent_id").get(pk=node.parent_id), hops + 1
    return False


def move_to_customer(actor, source, target) -> list:
    """The work orders of customer file SOURCE, moved to file TARGET (an unidentified caller
    matched to their customer file: customers.services.match_caller), each locked and with an
    event naming both files; the region follows the new file where no subscription sets it."""
    moved = list(WorkOrder.objects.select_for_update().filter(customer=source).order_by("pk"))
    for order in moved:
        order.customer = target
        if order.subscription_id is None:
            order.province = target.province
        order.version += 1
        order.save(update_fields=["customer", "province", "version", "updated_at"])
        _event(order, actor, "update", order.status, order.status,
               data={"changes": {"customer": [source.customer_no, target.customer_no]}})
    return moved


def _link_contact(order, actor, contact_id, role):
    from kefu.contacts.models import Contact

    contact = scopes.find(actor, Contact, contact_id)
    if contact is None:
        raise ValidationFailed(_("Unknown contact."), fields={"contact_id": _("no contact with this id")})
    if contact.customer_id is not None and contact.customer_id != order.customer_id:
        raise ValidationFailed(_("The contact is with another customer."), fields={"contact_id": _("belongs to another customer")})
    ContactOrder.objects.get_or_create(contact=contact, order=order, defaults={"role": role})
