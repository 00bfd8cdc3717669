"""Reading orders: `get_order` and `find_order` (an order as a person names it, by id or number
as typed, in the reader's scope: every page, API path, merge and link reads it here),
`search_orders` (filters, and words through the word index), an order's history
(`order_events`) and links (`links_of`), a customer's orders (`customer_of_number`,
`customer_history`), likely duplicates and the categories in use."""

import re

from django.db.models import F, Q
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core import text
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.services import find, require

from ..duplicates import duplicates_of
from ..models import OPEN_STATUSES, Category, OrderEvent, OrderLink, Status, WorkOrder
from .words import WordSearch, _holding_all, search_words

ORDER_SORTS = {"created_at", "updated_at", "number", "severity", "status", "resolved_at"}

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names no order


def order_queryset():
    return WorkOrder.objects.select_related("category", "customer", "subscription", "owner", "handler", "department")


def get_order(user, order_ref: int | str) -> WorkOrder:
    """One order as USER may see it, by its id or its number as people type it (find_order);
    NotFound alike when there is none and when it is out of USER's scope."""
    require(user, "orders.view_workorder")
    order = find_order(user, order_ref, order_queryset())
    if order is None:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": str(WorkOrder._meta.verbose_name).capitalize(),
                                                             "id": str(order_ref).strip()})
    return order


def find_order(user, ref: int | str | None, queryset=None) -> WorkOrder | None:
    """The work order a person refers to as REF, if USER may see it: its number as they type it
    (GD20261122000123 in any case, with full-width characters or spaces) or its numeric id.
    None alike when there is none and when it is out of USER's scope (kefu.scopes). Every path
    that names an order (pages, the API, merge and link) reads it here."""
    lookup = _order_lookup(ref)
    if lookup is None:
        return None
    return find(scopes.restrict(user, queryset if queryset is not None else WorkOrder.objects), **lookup)


def _order_lookup(ref) -> dict | None:
    """{pk: …} or {number: …} for REF as a person gave it; None when it can name no order."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return {"pk": ref} if 0 < ref <= MAX_ID else None
    term = _as_number(str(ref) if ref is not None else "")
    if term.isascii() and term.isdigit():
        return {"pk": int(term)} if 0 < int(term) <= MAX_ID else None
    return {"number": term} if term else None


def _blank(ref) -> bool:
    return ref is None or (isinstance(ref, str) and not ref.strip())


def _as_number(typed: str) -> str:
    """An order number as stored, from what a person typed: NFKC (full-width made half-width),
    punctuation around it and every space dropped, upper case."""
    return re.sub(r"\s+", "", text.lookup_term(typed)).upper()


def search_orders(user, *, status=None, kind=None, category=None, severity=None, channel=None,
                  department=None, handler=None, owner=None, customer=None, subscription=None,
                  created_from=None, created_to=None, updated_from=None, updated_to=None,
                  q=None, among=(), excluding=(), sort="-created_at"):
    """Filtered work orders. List-valued filters accept several values (any of them). AMONG and
    EXCLUDING: sets of order ids (querysets of one column) the orders must be in, or not in —
    what other apps know of orders, such as the time limits breached or due soon (the API
    reads them from the SLA). A search by words (Q) in order of registration, the default, is a
    WordSearch, which reads the word index first; any other list is a queryset."""
    require(user, "orders.view_workorder")
    qs = scopes.restrict(user, order_queryset())
    for field, value in [("status", status), ("kind", kind), ("severity", severity), ("channel", channel),
                         ("category_id", category), ("department_id", department), ("handler_id", handler),
                         ("owner_id", owner), ("customer_id", customer), ("subscription_id", subscription)]:
        if value:
            qs = qs.filter(**{f"{field}__in": value}) if isinstance(value, list | tuple) else qs.filter(**{field: value})
    if created_from:
        qs = qs.filter(created_at__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__lt=created_to)
    if updated_from:
        qs = qs.filter(updated_at__gte=updated_from)
    if updated_to:
        qs = qs.filter(updated_at__lt=updated_to)
    for ids in among:
        qs = qs.filter(pk__in=ids)
    for ids in excluding:
        qs = qs.exclude(pk__in=ids)
    key = sort.lstrip("-")
    if key not in ORDER_SORTS:
        raise ValidationFailed(_("Unknown sort key."), fields={"sort": _("must be one of %(keys)s") % {"keys": ", ".join(sorted(ORDER_SORTS))}})
    if q:
        words = search_words(q)
        if words and key == "created_at":
            return WordSearch(qs, words, descending=sort.startswith("-"))
        qs = _holding_all(qs, words)
    return qs.order_by(sort, "-id" if sort.startswith("-") else "id")


def customer_of_number(user, number: str) -> int | None:
    """The customer of the work order numbered NUMBER (as typed: any case, full-width), if USER
    may see that order."""
    if not user.has_perm("orders.view_workorder"):
        return None
    number = _as_number(number)
    return scopes.restrict(user, WorkOrder.objects).filter(number=number).values_list("customer_id", flat=True).first()


def order_events(user, order_id: int):
    """The order's history, oldest first, with the histories of duplicates merged into it."""

    order = get_order(user, order_id)
    merged = OrderLink.objects.filter(target=order, type=OrderLink.Type.DUPLICATE, source__status=Status.MERGED).values("source_id")
    return (OrderEvent.objects.filter(Q(order=order) | Q(order__in=merged)).select_related("actor")
            .annotate(order_number=F("order__number")).order_by("at", "id"))


def links_of(user, order) -> list[tuple]:
    """[(relation, order)] for the order page: parent, children and linked orders, those in
    USER's scope only, in four queries whatever the count."""
    outgoing = list(OrderLink.objects.filter(source=order).values_list("type", "target_id")[:50])
    incoming = list(OrderLink.objects.filter(target=order).values_list("type", "source_id")[:50])
    ids = {pk for _t, pk in outgoing + incoming} | ({order.parent_id} if order.parent_id else set())
    visible = scopes.restrict(user, WorkOrder.objects.only("id", "number", "title", "status"))
    found = {o.pk: o for o in visible.filter(Q(pk__in=ids) | Q(parent=order))[:200]}
    types = dict(OrderLink.Type.choices)
    out: list[tuple[str, WorkOrder]] = [(_("parent"), found[order.parent_id])] if order.parent_id in found else []
    out += [(_("child"), o) for pk, o in sorted(found.items()) if pk not in ids]  # found by parent=order
    out += [(str(types[t]), found[pk]) for t, pk in outgoing if pk in found]
    out += [(_("%(type)s (from it)") % {"type": types[t]}, found[pk]) for t, pk in incoming if pk in found]
    return out


def customer_history(user, customer_id: int, *, limit=20) -> dict:
    """A customer's orders for the customer 360: the newest LIMIT, open and finished apart, and
    the average satisfaction over all their rated orders (one aggregate, not the page's)."""
    from django.db.models import Avg

    qs = search_orders(user, customer=customer_id)
    recent = list(qs[:limit])
    average = qs.filter(satisfaction__isnull=False).aggregate(avg=Avg("satisfaction"))["avg"]
    return {"open_orders": [o for o in recent if o.status in OPEN_STATUSES],
            "past_orders": [o for o in recent if o.status not in OPEN_STATUSES],
            "satisfaction": None if average is None else round(average, 1)}


def likely_duplicates(user, order_id: int) -> list[tuple]:
    """[(order, similarity)] among the orders in USER's scope: see kefu.orders.duplicates."""
    return duplicates_of(get_order(user, order_id), user=user)


def active_categories(kind=None):
    qs = Category.objects.filter(is_active=True)
    return qs.filter(kind=kind) if kind else qs
