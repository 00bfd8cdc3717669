"""Work order rules. Every state change is one function here: it locks the row, checks the
state, the permission and the preconditions, changes the order and appends one event — or
raises and changes nothing (each function runs in one transaction). Action functions return
the changed order, with the event they wrote as `order.last_event`."""

import math
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Lookup, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.contacts.models import Channel, ContactOrder
from kefu.core import text
from kefu.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.segment import tokenize
from kefu.core.services import find, lock_version, require
from kefu.customers.services import check_order_customer
from kefu.staff import services as staff

from . import events, repeats
from .duplicates import duplicates_of
from .models import (
    CUSTOMER_SUMMARY_MAX,
    OPEN_STATUSES,
    SEVERITY_RANK,
    TERMINAL_STATUSES,
    Category,
    Feedback,
    OrderEvent,
    OrderLink,
    OrderWord,
    Status,
    WorkOrder,
)
from .states import PUBLIC_ACTIONS, TRANSITIONS, stamp

TERMINAL = set(TERMINAL_STATUSES)
REFERENCE_FIELDS = {"category_id", "subscription_id", "parent_id"}
UPDATABLE_FIELDS = {"title", "description", "customer_summary", "kind", "severity", "channel"} | REFERENCE_FIELDS
ORDER_SORTS = {"created_at", "updated_at", "number", "severity", "status", "resolved_at"}
MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names no order


# --- reading -----------------------------------------------------------------------------

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


# --- the word index (decision 0022) ----------------------------------------------------------

MAX_SEARCH_WORDS = 10
"""A query's words beyond these are ignored: each one is a join, and ten already pin an order down."""


def words_of(number: str, title: str, description: str) -> set[str]:
    """The words an order is found by: its number (lower-cased, as the tokenizer gives it) and
    the words of its title and description, segmented as the knowledge base and the classifier
    segment Chinese (kefu.core.segment.tokenize)."""
    return {word[:50] for word in tokenize(f"{number}\n{title}\n{description}")}


def index_words(order) -> None:
    """Rebuild ORDER's rows of the word index (after its number, title or description changed)."""
    OrderWord.objects.filter(order_id=order.pk).delete()
    OrderWord.objects.bulk_create([OrderWord(order_id=order.pk, word=w) for w in words_of(order.number, order.title, order.description)])


def reindex_words(order_ids=None, *, from_id=None, batch_size=2000) -> int:
    """Rebuild the word index of the orders ORDER_IDS (all orders when None; or those from id
    FROM_ID on), BATCH_SIZE orders per transaction. For orders written around these services
    (the demo seed's raw inserts, a migration from another system); returns how many orders
    were indexed."""
    qs = WorkOrder.objects.order_by("id")
    if order_ids is not None:
        qs = qs.filter(pk__in=list(order_ids))
    done, after = 0, (from_id - 1 if from_id else 0)
    while rows := list(qs.filter(pk__gt=after).values_list("id", "number", "title", "description")[:batch_size]):
        with transaction.atomic():
            ids = [row[0] for row in rows]
            OrderWord.objects.filter(order_id__in=ids).delete()
            OrderWord.objects.bulk_create([OrderWord(order_id=pk, word=w) for pk, number, title, description in rows
                                           for w in words_of(number, title, description)], batch_size=5000)
        done, after = done + len(rows), ids[-1]
    return done


def search_words(q: str) -> list[str]:
    """The words a search for Q looks for (as typed: full-width, any case, with or without spaces
    or punctuation between the words), each once, at most MAX_SEARCH_WORDS."""
    return list(dict.fromkeys(tokenize(text.lookup_term(q))))[:MAX_SEARCH_WORDS]


def with_words(qs, q: str):
    """The orders of QS holding every word of Q (as typed: full-width, any case, with or without
    spaces or punctuation between the words; an order number is one of an order's words). One
    indexed semi-join per word; Q without any word finds nothing."""
    return _holding_all(qs, search_words(q))


def _holding_all(qs, words):
    if not words:
        return qs.none()
    for word in words:
        qs = qs.filter(pk__in=OrderWord.objects.filter(word=word).values("order_id"))
    return qs


class ListedByIds:
    """A list of orders as Paginator and core.services.page_of read one (count() and slices;
    iteration too), its rows read in two steps: the ids in list order first, without the list's
    joins, then only the rows of the slice shown, by id, with them (QS: the list's queryset)."""

    count_exact = True

    def __init__(self, qs, ids=()):
        self.qs, self.ids = qs, list(ids)

    def count(self) -> int:
        return len(self.ids)

    def _ids(self, start: int, stop: int | None) -> list[int]:
        return self.ids[start:stop]

    def __getitem__(self, key):
        if not isinstance(key, slice):
            rows = self[key:key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0) or key.step not in (None, 1):
            raise ValueError("only slices from the start forward")
        ids = self._ids(start, stop)
        rows = self.qs.in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]

    def __iter__(self):
        return iter(self[0:None])


SEARCH_COUNT_CAP = 1000
"""A search by words counts its orders up to this many; beyond, it says this many and that
there are more (the API's count_exact)."""
SEARCH_BUDGET = 5000
"""Candidates (orders holding every word) a search checks against its filters and scope for
its count, newest first, one probe each: beyond them the count says "at least". When fewer
than 1 in 100 of them pass, the filters are narrow and the database finds the rest at once
from their own indexes."""
SEARCH_MIN_BATCH = 100


class WordSearch(ListedByIds):
    """The orders of QS holding every word of WORDS, newest first (DESCENDING) or oldest first,
    read word index first (decision 0022). Order ids follow registration, so newest first is
    highest id first: the order of each word's rows in the index. The candidates come from the
    index alone, in batches, and are checked against QS's filters and scope (one primary-key
    probe each; not at all when QS has none) until the page and the count have what they need;
    only the rows of the slice shown are read with the list's joins."""

    def __init__(self, qs, words, *, descending=True):
        super().__init__(qs)
        self.words, self.descending = words, descending
        self.restricted = bool(qs.query.where)  # no condition at all: every candidate is in
        self.last, self.examined, self.exhausted = None, 0, False

    def count(self) -> int:
        """The orders found, up to SEARCH_COUNT_CAP: exact when every candidate could be checked
        within SEARCH_BUDGET, else at least as many (count_exact False)."""
        self._read(SEARCH_COUNT_CAP + 1, budget=SEARCH_BUDGET)
        self.count_exact = self.exhausted and len(self.ids) <= SEARCH_COUNT_CAP
        return min(len(self.ids), SEARCH_COUNT_CAP)

    def _ids(self, start, stop):
        self._read(math.inf if stop is None else stop)
        return self.ids[start:stop]

    def _candidates(self):
        """The ids holding every word after the last candidate examined, in list order."""
        first, *others = self.words
        ids = OrderWord.objects.filter(word=first)
        for word in others:
            ids = ids.filter(order_id__in=OrderWord.objects.filter(word=word).values("order_id"))
        if self.last is not None:
            ids = ids.filter(**{"order_id__lt" if self.descending else "order_id__gt": self.last})
        return ids.order_by("-order_id" if self.descending else "order_id").values_list("order_id", flat=True)

    def _read(self, n, *, budget=None) -> None:
        """Examine candidates until N orders are found, none is left, or BUDGET were examined."""
        while len(self.ids) < n and not self.exhausted:
            if self.examined >= SEARCH_BUDGET and len(self.ids) * 100 < self.examined:
                return self._read_rest()
            if budget is not None and self.examined >= budget:
                return None
            wanted = n - len(self.ids)
            if self.examined:  # as many more as the share found so far says, and a quarter
                wanted = wanted * self.examined // max(len(self.ids), 1) * 5 // 4
            room = (budget or self.examined + SEARCH_BUDGET) - self.examined
            size = max(SEARCH_MIN_BATCH, min(wanted, room))
            candidates = list(self._candidates()[:size])
            if self.restricted and candidates:
                kept = set(self.qs.filter(_AmongIds(F("pk"), candidates)).values_list("pk", flat=True))
                self.ids += [pk for pk in candidates if pk in kept]
            elif candidates:
                self.ids += candidates
            self.examined += len(candidates)
            self.exhausted = len(candidates) < size
            if candidates:
                self.last = candidates[-1]
        return None

    def _read_rest(self) -> None:
        """Every order after the last candidate examined, in one query without ORDER BY or LIMIT
        (with them, the planner may walk all orders expecting to find a page soon)."""
        rest = _holding_all(self.qs, self.words)
        if self.last is not None:
            rest = rest.filter(**{"pk__lt" if self.descending else "pk__gt": self.last})
        self.ids += sorted(rest.values_list("pk", flat=True), reverse=self.descending)
        self.exhausted = True


class _AmongIds(Lookup):
    """FIELD among a list of ids: `= ANY(%s)` with the list as one array parameter on
    PostgreSQL (IN takes one parameter per id, which costs more to build and send than the
    query takes to run); IN on SQLite, which has no arrays."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]


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


def allowed_actions(order: WorkOrder, user) -> list[str]:
    """The actions USER may take on ORDER now (what the API lists, and what 409s name)."""
    return [a for a in PUBLIC_ACTIONS if _refusal(order, user, a) is None]


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


# --- creating and editing ------------------------------------------------------------------

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


# --- the closed loop: one function per action ----------------------------------------------

@transaction.atomic
def accept(actor, order_id, *, note=""):
    """受理: the request is registered and taken on."""
    order = _begin(actor, order_id, "accept")
    return _finish(order, actor, "accept", note=note, data=_adopt(order, actor, {}))


@transaction.atomic
def assign(actor, order_id, *, department_id=None, handler_id=None, note="", routing=None):
    """派单: send the order to a department, and optionally to one handler in it. ROUTING, when
    the routing app chose (the dispatch rule, the assignment strategy), is recorded on the event."""
    order = _begin(actor, order_id, "assign")
    department, handler = _resolve_target(department_id, handler_id)
    data = _adopt(order, handler, _move(order, department, handler) | (routing or {}))
    return _finish(order, actor, "assign", note=note, data=data)


@transaction.atomic
def assign_many(actor, moves: list[dict]) -> list:
    """派单 for many orders in one transaction (routing's batches): the same checks and event as
    `assign`, with one lock statement, one UPDATE and one INSERT for the whole batch.

    Each move: order_id, department_id, handler_id (or None), routing (recorded on the event),
    planned_from (the department the order was in when the move was planned) and optionally
    raise (severity/flagged/category_id the triage decided: severity only goes up, category
    only fills an empty one). Returns the assigned orders. An order that changed since it was
    planned — claimed, moved to another department, closed — is skipped, never taken from
    whoever has it now.
    """
    from kefu.staff.models import Department, User

    ids = sorted(m["order_id"] for m in moves)
    # Customer and subscription come along: the SLA policy may be chosen again below. Orders
    # out of the actor's scope are skipped like those that do not exist.
    locked = {o.pk: o for o in scopes.visible(actor, WorkOrder.objects.select_for_update(of=("self",))
                                              .select_related("customer", "subscription"), ids).order_by("pk")}
    departments = Department.objects.in_bulk({m["department_id"] for m in moves})
    handlers = User.objects.in_bulk({m["handler_id"] for m in moves if m.get("handler_id")})
    system_owners = staff.system_user_ids({o.owner_id for o in locked.values()})
    now, changed, rows = timezone.now(), [], []
    for move in moves:
        order = locked.get(move["order_id"])
        if (order is None or order.handler_id is not None or order.department_id != move.get("planned_from", order.department_id)
                or _refusal(order, actor, "assign") is not None):
            continue
        department, handler = departments.get(move["department_id"]), handlers.get(move.get("handler_id"))
        if department is None or not department.is_active or (handler is not None and handler.department_id != department.pk):
            continue
        data = _adopt(order, handler, _move(order, department, handler) | (move.get("routing") or {}), system_owners)
        raise_ = move.get("raise") or {}
        changes = {}
        if raise_.get("severity") and SEVERITY_RANK[raise_["severity"]] > SEVERITY_RANK[order.severity]:
            changes["severity"] = [order.severity, raise_["severity"]]
            order.severity = raise_["severity"]
        if raise_.get("category_id") and order.category_id is None:
            changes["category_id"] = [None, raise_["category_id"]]
            order.category_id = raise_["category_id"]
        if raise_.get("flagged") and not order.flagged:
            changes["flagged"] = [False, True]
            order.flagged = True
        if changes:
            data["changes"] = changes  # the SLA policy follows a new severity or category
        from_status = order.status
        order.status, order.version, order.updated_at = TRANSITIONS["assign"].target, order.version + 1, now
        changed.append(order)
        rows.append({"order": order, "actor": actor, "action": "assign", "from_status": from_status,
                     "to_status": order.status, "data": data, "at": now})
    if not changed:
        return []
    # One UPDATE per distinct outcome (in practice: per person), not bulk_update's per-row CASE.
    groups: dict[tuple, list[int]] = {}
    for order in changed:
        key = (order.status, order.department_id, order.handler_id, order.owner_id, order.tier, order.severity, order.category_id,
               order.flagged)
        groups.setdefault(key, []).append(order.pk)
    for (status, department_id, handler_id, owner_id, tier, severity, category_id, flagged), pks in groups.items():
        WorkOrder.objects.filter(pk__in=pks).update(status=status, department_id=department_id, handler_id=handler_id,
                                                    owner_id=owner_id, tier=tier,
                                                    severity=severity, category_id=category_id, flagged=flagged,
                                                    version=F("version") + 1, updated_at=now)
    # One INSERT, published as one batch (bulk_create sends no signals): the subscribers see every
    # event, and those that can (notifications) handle the batch in a few queries.
    for order, event in zip(changed, events.record_many(rows), strict=True):
        order.last_event = event
    return changed


@transaction.atomic
def requeue(actor, order_id, *, reason, note="", routing=None):
    """Take the order from its handler and put it back in its department's queue."""
    order = _begin(actor, order_id, "requeue", reason=reason)
    data = {"handler": [order.handler_id, None]} | (routing or {})
    order.handler = None
    return _finish(order, actor, "requeue", reason=reason, note=note, data=data)


@transaction.atomic
def escalate(actor, order_id, *, reason, department_id=None, note=""):
    """升级: to a desk of a higher tier, by default the one the current desk escalates to."""
    order = _begin(actor, order_id, "escalate", reason=reason)
    if department_id is None:
        department_id = order.department.escalates_to_id if order.department else None
        if department_id is None:
            raise ValidationFailed(_("This department has no next tier; name the department to escalate to."),
                                   fields={"department_id": _("is required")})
    return _change_tier(order, actor, "escalate", department_id, reason, note)


@transaction.atomic
def deescalate(actor, order_id, *, reason, department_id=None, note=""):
    """降级: back to a desk of a lower tier, by default the one it was escalated from."""
    order = _begin(actor, order_id, "deescalate", reason=reason)
    if department_id is None:
        last = order.events.filter(action="escalate").order_by("-at", "-id").values_list("data", flat=True).first()
        department_id = (last or {}).get("department", [None])[0]
        if department_id is None:
            raise ValidationFailed(_("The order was never escalated; name the department to send it to."),
                                   fields={"department_id": _("is required")})
    return _change_tier(order, actor, "deescalate", department_id, reason, note)


def _change_tier(order, actor, action, department_id, reason, note):
    department, _handler = _resolve_target(department_id, None)
    up = action == "escalate"
    if (department.tier <= order.tier) if up else (department.tier >= order.tier):
        raise ValidationFailed(_("The department is not a higher tier than the order's.") if up
                               else _("The department is not a lower tier than the order's."),
                               fields={"department_id": _("is tier %(t)s; the order is at tier %(o)s") % {"t": department.tier, "o": order.tier}})
    data = _move(order, department, None)
    return _finish(order, actor, action, reason=reason, note=note, data=data)


@transaction.atomic
def transfer(actor, order_id, *, department_id, handler_id=None, reason, note=""):
    """转派: move the order to another department; its handler there starts afresh."""
    order = _begin(actor, order_id, "transfer", reason=reason)
    if department_id is None:
        raise ValidationFailed(_("A transfer needs a department."), fields={"department_id": _("is required")})
    department, handler = _resolve_target(department_id, handler_id)
    data = _move(order, department, handler)
    return _finish(order, actor, "transfer", reason=reason, note=note, data=data)


@transaction.atomic
def claim(actor, order_id, *, note=""):
    """A handler takes an unassigned order. Of two simultaneous claims exactly one wins."""
    order = _begin(actor, order_id, "claim")
    data = _adopt(order, actor, _move(order, order.department or actor.department, actor))
    return _finish(order, actor, "claim", note=note, data=data)


@transaction.atomic
def release(actor, order_id, *, note=""):
    """The handler gives the order back to the department queue."""
    order = _begin(actor, order_id, "release")
    data = {"handler": [order.handler_id, None]}
    order.handler = None
    return _finish(order, actor, "release", note=note, data=data)


@transaction.atomic
def start(actor, order_id, *, note=""):
    order = _begin(actor, order_id, "start")
    return _finish(order, actor, "start", note=note)


@transaction.atomic
def wait_for_customer(actor, order_id, *, reason, note="", visibility="customer"):
    """Pause: the handler needs something from the customer."""
    order = _begin(actor, order_id, "wait", reason=reason)
    return _finish(order, actor, "wait", reason=reason, note=note, visibility=visibility)


@transaction.atomic
def resume(actor, order_id, *, note=""):
    order = _begin(actor, order_id, "resume")
    return _finish(order, actor, "resume", note=note)


@transaction.atomic
def record_answer(actor, order_id, *, answer, channel="hotline"):
    """The customer's answer to what the handler asked while the order waited for them, from
    the portal or taken on a call: the work goes on (the paused clocks resume). It is the
    customer's word, shown to them as theirs, and no reply by the provider (sla.CUSTOMER_WORDS)."""
    from kefu.contacts.models import Channel

    order = _begin(actor, order_id, "answer")
    errors = {}
    if not (answer or "").strip():
        errors["answer"] = _("is required")
    if channel not in Channel.values:
        errors["channel"] = _("must be one of %(keys)s") % {"keys": ", ".join(Channel.values)}
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    return _finish(order, actor, "answer", note=answer.strip(), visibility="customer", data={"channel": channel})


@transaction.atomic
def resolve(actor, order_id, *, resolution, note=""):
    """Record the solution and feed it back to the customer (反馈)."""
    order = _begin(actor, order_id, "resolve")
    if not (resolution or "").strip():
        raise ValidationFailed(_("A resolution is required."), fields={"resolution": _("is required")})
    order.resolution = resolution.strip()
    order.needs_review = False
    return _finish(order, actor, "resolve", note=note or order.resolution, visibility="customer")


@transaction.atomic
def confirm(actor, order_id, *, channel, customer_confirmed: bool, note=""):
    """The customer's word that the problem is solved, relayed by whoever heard it: the CHANNEL
    it came by, CUSTOMER_CONFIRMED stated explicitly, and NOTE the customer's own words. It is
    recorded as record_feedback records a confirmation (a Feedback row, here without a score)
    and the event says it was relayed. Never by the person who resolved the order (_refusal):
    that is the customer's to say. The customer on the portal confirms by record_feedback."""
    order = _begin(actor, order_id, "confirm")
    errors = {}
    if not customer_confirmed:
        errors["customer_confirmed"] = _("record a confirmation only when the customer said the problem is solved")
    if channel not in Channel.values:
        errors["channel"] = _("is required") if not channel else _("must be one of %(keys)s") % {"keys": ", ".join(Channel.values)}
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    note = (note or "").strip()
    feedback = _feedback(order, actor, confirmed=True, score=None, comment=note, channel=channel)
    order.needs_review = False
    data = {"feedback": feedback.pk, "score": None, "confirmed": True, "channel": channel, "relayed": True}
    return _finish(order, actor, "confirm", note=note, data=data)


@transaction.atomic
def close(actor, order_id, *, note=""):
    """归档: the first-contact owner closes the loop."""
    order = _begin(actor, order_id, "close")
    return _finish(order, actor, "close", note=note)


@transaction.atomic
def reject(actor, order_id, *, reason, note=""):
    order = _begin(actor, order_id, "reject", reason=reason)
    return _finish(order, actor, "reject", reason=reason, note=note, visibility="customer")


@transaction.atomic
def cancel(actor, order_id, *, reason, note=""):
    """The customer withdrew the request."""
    order = _begin(actor, order_id, "cancel", reason=reason)
    return _finish(order, actor, "cancel", reason=reason, note=note, visibility="customer")


@transaction.atomic
def reopen(actor, order_id, *, reason, note=""):
    """再次投诉: the customer disputes the resolution; the order goes back to its handler."""
    order = _begin(actor, order_id, "reopen", reason=reason)
    return _reopen(order, actor, reason, note)


@transaction.atomic
def handover(actor, order_id, *, new_owner_id, reason, note=""):
    """Hand first-contact ownership (首问负责) to another person: explicit and logged."""
    order = _begin(actor, order_id, "handover", reason=reason)
    from kefu.staff.models import User

    new_owner = find(User.objects, pk=new_owner_id, is_active=True)
    if new_owner is None:
        raise ValidationFailed(_("Unknown new owner."), fields={"new_owner_id": _("no active user with this id")})
    if new_owner.pk == order.owner_id:
        raise ValidationFailed(_("That person already owns the order."), fields={"new_owner_id": _("is already the owner")})
    data = {"owner": [order.owner_id, new_owner.pk]}
    order.owner = new_owner
    return _finish(order, actor, "handover", reason=reason, note=note, data=data)


SHIFT_HANDOVER_BATCH = 500


@transaction.atomic
def hand_over_shift(actor, *, new_owner_id, reason, from_owner_id=None, note="") -> tuple[list[WorkOrder], int]:
    """交接班: hand first-contact ownership of the orders FROM_OWNER (default: the actor) still
    answers for — open, resolved or confirmed — to NEW_OWNER, each as a `handover` with its own
    event, in one transaction: all of them or (refused) none. At most SHIFT_HANDOVER_BATCH at a
    time, oldest first; returns (the orders handed over, how many remain). Someone else's
    orders need manage_any_workorder, as for one order. Handling is not handed over: handlers'
    work moves by requeue or transfer."""
    require(actor, "orders.handover_workorder")
    from_owner_id = from_owner_id or actor.pk
    if from_owner_id != actor.pk and not actor.has_perm("orders.manage_any_workorder"):
        raise Forbidden(_("Only the first-contact owner may do this."))
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), fields={"reason": _("is required for this action")})
    owned = scopes.restrict(actor, WorkOrder.objects).filter(owner_id=from_owner_id, status__in=TRANSITIONS["handover"].sources)
    ids = list(owned.order_by("pk").values_list("pk", flat=True)[:SHIFT_HANDOVER_BATCH])
    done = [handover(actor, pk, new_owner_id=new_owner_id, reason=reason, note=note) for pk in ids]
    return done, owned.count()


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


@transaction.atomic
def record_feedback(actor, order_id, *, confirmed: bool, score: int | None = None, comment="", channel="hotline"):
    """The customer's answer to the resolution, usually taken on the follow-up call (回访).

    Confirmed and satisfied → confirmed. Disputed → reopened. Confirmed but below the
    satisfaction threshold → reopened or flagged for review (KEFU_LOW_SCORE_ACTION).
    """
    require(actor, "orders.record_feedback")
    order = _locked(order_id, actor)
    if order.status != Status.RESOLVED:
        raise _invalid(order, actor)
    if confirmed and resolver_id(order) == actor.pk:
        raise Forbidden(RESOLVER_CANNOT_CONFIRM)
    if score is not None and not 1 <= score <= 10:
        raise ValidationFailed(_("Invalid score."), fields={"score": _("must be between 1 and 10")})
    if channel not in Channel.values:
        raise ValidationFailed(_("The input is invalid."), fields={"channel": _("must be one of %(keys)s") % {"keys": ", ".join(Channel.values)}})
    feedback = _feedback(order, actor, confirmed=confirmed, score=score, comment=comment, channel=channel)
    satisfied = feedback.satisfied
    if score is not None:
        order.satisfaction = score
    data = {"feedback": feedback.pk, "score": score, "confirmed": confirmed, "channel": channel}
    if not confirmed:
        _reopen(order, actor, _("The customer disputes the resolution."), comment, data=data)
    elif satisfied is False and settings.KEFU_LOW_SCORE_ACTION == "reopen":
        _reopen(order, actor, _("Satisfaction score %(score)s is below %(min)s.") % {"score": score, "min": settings.KEFU_SATISFIED_THRESHOLD}, comment, data=data)
    elif satisfied is False:
        order.needs_review = True
        order.version += 1
        order.save()
        _event(order, actor, "feedback", order.status, order.status, note=comment, data=data | {"review": True})
    else:
        order.needs_review = False
        _finish(order, actor, "confirm", note=comment, data=data)
    return feedback


def _feedback(order, actor, *, confirmed, score, comment, channel) -> Feedback:
    """The customer's answer to ORDER's latest resolution, as a Feedback row."""
    resolution_event = order.events.filter(action="resolve").order_by("-at", "-id").first()
    satisfied = None if score is None else score >= settings.KEFU_SATISFIED_THRESHOLD
    return Feedback.objects.create(order=order, resolution_event=resolution_event, confirmed=confirmed, score=score,
                                   satisfied=satisfied, comment=comment, channel=channel, recorded_by=actor, at=timezone.now())


def resolver_id(order) -> int | None:
    """Who resolved ORDER last: the actor of its latest resolve event (None: nobody yet, or the
    system). Read once per order object; note_resolvers reads it for a whole list at once."""
    if not hasattr(order, "_resolver_id"):
        order._resolver_id = (order.events.filter(action="resolve").order_by("-at", "-id")
                              .values_list("actor_id", flat=True).first())
    return order._resolver_id


def note_resolvers(orders) -> None:
    """resolver_id for each resolved order of ORDERS in one query (allowed_actions on a list)."""
    resolved = {o.pk: o for o in orders if o.status == Status.RESOLVED and not hasattr(o, "_resolver_id")}
    if not resolved:
        return
    latest = {}
    for order_id, actor_id in (OrderEvent.objects.filter(order_id__in=resolved, action="resolve")
                               .order_by("order_id", "at", "id").values_list("order_id", "actor_id")):
        latest[order_id] = actor_id  # the last one of each order wins
    for pk, order in resolved.items():
        order._resolver_id = latest.get(pk)


def auto_confirm_due(*, now=None, batch_size=500) -> int:
    """Confirm resolved orders the customer has not answered within KEFU_AUTO_CONFIRM_HOURS.

    Walks the (status, resolved_at) index in batches; each order is its own transaction so
    one failure does not hold back the rest. Orders flagged for review wait for a person.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.KEFU_AUTO_CONFIRM_HOURS)
    done = 0
    while True:
        ids = list(WorkOrder.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff, needs_review=False)
                   .order_by("resolved_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        for order_id in ids:
            with transaction.atomic():
                order = _locked(order_id)
                if order.status != Status.RESOLVED or order.needs_review:
                    continue
                _finish(order, None, "auto_confirm", note=_("No answer from the customer within %(h)s hours.") % {"h": settings.KEFU_AUTO_CONFIRM_HOURS})
                done += 1


# --- the machinery -------------------------------------------------------------------------

RESOLVER_CANNOT_CONFIRM = gettext_lazy("The person who resolved the order cannot confirm it for the customer.")


def _locked(order_id, actor=None) -> WorkOrder:
    return scopes.get(actor, WorkOrder, order_id, lock=True)


def _refusal(order, user, action):
    """Why USER may not take ACTION on ORDER now: None, or (kind, message)."""
    t = TRANSITIONS[action]
    if order.status not in t.sources:
        return "state", None
    if user is None:  # the system itself
        return None
    if not user.has_perm(t.permission):
        return "permission", None
    manage_any = user.has_perm("orders.manage_any_workorder")
    if t.actor == "handler" and order.handler_id != user.pk and not manage_any:
        return "permission", _("Only the current handler may do this.")
    if t.actor == "owner" and order.owner_id != user.pk and not manage_any:
        return "permission", _("Only the first-contact owner may do this.")
    if action == "claim":
        if order.handler_id is not None:
            return "state", _("Already claimed by %(name)s.") % {"name": order.handler}
        if order.department_id and order.department_id != user.department_id and not manage_any:
            return "permission", _("The order belongs to another department.")
    if action in {"release", "start", "requeue"} and order.handler_id is None:
        return "state", _("Nobody handles this order yet.")
    if action == "confirm" and resolver_id(order) == user.pk:
        return "permission", RESOLVER_CANNOT_CONFIRM
    return None


def _invalid(order, user, detail=None):
    msg = _("Not allowed while the work order is %(state)s.") % {"state": order.get_status_display()}
    if detail:
        msg = f"{msg} {detail}"
    return InvalidTransition(msg, state=order.status, allowed_actions=allowed_actions(order, user))


def _begin(actor, order_id, action, *, reason=None):
    order = _locked(order_id, actor)
    refusal = _refusal(order, actor, action)
    if refusal is not None:
        kind, detail = refusal
        if kind == "state":
            raise _invalid(order, actor, detail)
        raise Forbidden(detail)
    if TRANSITIONS[action].needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("A reason is required."), fields={"reason": _("is required for this action")})
    return order


def _finish(order, actor, action, *, reason="", note="", visibility="internal", data=None, disputes=None):
    from_status = order.status
    target = TRANSITIONS[action].target
    if target is not None:
        order.status = target
    stamp(order, action, timezone.now())  # accepted_at, resolved_at, closed_at (states.STAMPS)
    order.version += 1
    order.save()
    order.last_event = _event(order, actor, action, from_status, order.status, reason=reason, note=note,
                              visibility=visibility, data=data, disputes=disputes)
    return order


def _event(order, actor, action, from_status, to_status, *, reason="", note="", visibility="internal", data=None, disputes=None):
    # Every event is recorded and published through the hook (orders.events): the SLA clocks
    # follow the order without rescanning anything, and the people concerned hear of it, in
    # this transaction; the "after" consumers once it has committed.
    return events.record(order, actor, action, from_status, to_status, reason=reason, note=note, visibility=visibility,
                         data=data, disputes=disputes)


def _reopen(order, actor, reason, note, data=None):
    disputed = order.events.filter(action="resolve").order_by("-at", "-id").first()
    order.reopen_count += 1
    order.needs_review = False
    return _finish(order, actor, "reopen", reason=str(reason), note=note, visibility="customer",
                   data=(data or {}) | {"reopen_count": order.reopen_count}, disputes=disputed)


def _adopt(order, person, data: dict, system_owners=None) -> dict:
    """首问负责 for what a system user (the portal) registered: the first person to accept or
    take such an order becomes its first-contact owner, recorded on the event (DATA).
    SYSTEM_OWNERS: the system users among the owners, when a batch has read them already."""
    if person is None or order.owner_id == person.pk:
        return data
    if system_owners is None:
        system_owners = staff.system_user_ids({order.owner_id})
    if order.owner_id in system_owners:
        data["owner"], order.owner = [order.owner_id, person.pk], person
    return data


def _resolve_target(department_id, handler_id):
    from kefu.staff.models import Department, User

    errors, department, handler = {}, None, None
    if department_id is not None:
        department = find(Department.objects, pk=department_id, is_active=True)
        if department is None:
            errors["department_id"] = _("no active department with this id")
    if handler_id is not None:
        handler = find(User.objects, pk=handler_id, is_active=True)
        if handler is None:
            errors["handler_id"] = _("no active user with this id")
        elif not handler.has_perm("orders.handle_workorder"):
            errors["handler_id"] = _("this user cannot handle work orders")
        elif department is not None and handler.department_id != department.pk:
            errors["handler_id"] = _("does not belong to the chosen department")
    if department is None and handler is None and not errors:
        errors["department_id"] = _("a department or a handler is required")
    if errors:
        raise ValidationFailed(_("The assignment is invalid."), fields=errors)
    if department is None and handler is not None:
        department = handler.department
    return department, handler


def _move(order, department, handler):
    """Hand the order to DEPARTMENT (and HANDLER); it takes the department's tier."""
    data = {}
    if (department.pk if department else None) != order.department_id:
        data["department"] = [order.department_id, department.pk if department else None]
    if (handler.pk if handler else None) != order.handler_id:
        data["handler"] = [order.handler_id, handler.pk if handler else None]
    if department is not None and department.tier != order.tier:
        data["tier"] = [order.tier, department.tier]
        order.tier = department.tier
    order.department, order.handler = department, handler
    return data


QUEUES = ("mine", "department", "open")
LIST_DEFERRED = ("description", "resolution", "customer__id_number", "customer__phone", "customer__alt_phone", "customer__address",
                 "customer__service_password_hash")
SLA_STATES = ("breached", "warning", "on_track", "none")


def queue(user, which: str, *, kind=None, severity=None, status=None, channel=None, sla=None, q=None, now=None):
    """Open work orders in USER's scope, nearest SLA due first (orders without a running limit
    last): `mine` (owned or handled), `department` (the user's department), or every `open`
    one. Each is served by a partial index on (…, sla_due_at). A search by words (Q) is a
    ListedByIds: every id found first, then the rows of the page shown."""
    require(user, "orders.view_workorder")
    if which not in QUEUES:
        raise ValidationFailed(_("Unknown queue."), fields={"queue": _("must be one of %(keys)s") % {"keys": ", ".join(QUEUES)}})
    qs = _open_list(user)
    if which == "mine":
        qs = qs.filter(Q(handler=user) | Q(owner=user))
    elif which == "department":
        qs = qs.filter(department_id=user.department_id) if user.department_id else qs.none()
    for field, value in (("kind", kind), ("severity", severity), ("status", status), ("channel", channel)):
        if value:
            qs = qs.filter(**{field: value})
    if sla:
        if sla not in SLA_STATES:
            raise ValidationFailed(_("Unknown SLA state."), fields={"sla": _("must be one of %(keys)s") % {"keys": ", ".join(SLA_STATES)}})
        qs = qs.filter(_sla_q(sla, now or timezone.now()))
    order = (F("sla_due_at").asc(nulls_last=True), "id")
    if q:
        # Open orders are few: all the ids found, in order, then the list's joins for one page.
        return ListedByIds(qs, with_words(qs, q).order_by(*order).values_list("pk", flat=True))
    return qs.order_by(*order)


def _open_list(user):
    """Open orders in USER's scope as lists show them: the customer masked, so the encrypted
    identity columns are neither read nor decrypted."""
    return scopes.restrict(user, order_queryset().filter(status__in=OPEN_STATUSES).defer(*LIST_DEFERRED))


def _sla_q(state: str, now) -> Q:
    """The orders whose nearest limit is in STATE (SLA_STATES) at NOW; sla_colour for one row."""
    return {"breached": Q(sla_due_at__lt=now), "warning": Q(sla_warn_at__lte=now, sla_due_at__gte=now),
            "on_track": Q(sla_warn_at__gt=now), "none": Q(sla_due_at__isnull=True)}[state]


def sla_colour(due, warn=None, now=None) -> str:
    """on_track, warning, breached or none: the state of a limit due at DUE that warns from
    WARN (what `queue(sla=…)` filters on, for one row)."""
    now = now or timezone.now()
    if due is None:
        return "none"
    if due < now:
        return "breached"
    return "warning" if warn is not None and warn <= now else "on_track"


def board(user, *, now=None, days=14) -> dict:
    """The whole supervisor board in USER's scope: board_charts and board_lists together. The
    page asks for the two apart (each refreshes on its own), so neither is computed twice."""
    return board_charts(user, now=now, days=days) | board_lists(user, now=now)


def _today_start(now):
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def board_charts(user, *, now=None, days=14) -> dict:
    """The board's series: open orders by state, department and channel; orders registered
    per day and satisfaction per day over DAYS; with the totals they give (open, today, last 7
    days). Every figure is one grouped query on an index (open orders, creation time, feedback
    time)."""
    from django.db.models import Avg, Count
    from django.db.models.functions import TruncDate

    require(user, "orders.view_board")
    now = now or timezone.now()
    open_orders = scopes.restrict(user, WorkOrder.objects.filter(status__in=OPEN_STATUSES))
    status_labels, channel_labels = dict(Status.choices), dict(Channel.choices)
    by_status = dict(open_orders.values_list("status").annotate(n=Count("*")).values_list("status", "n"))
    by_channel = dict(open_orders.values_list("channel").annotate(n=Count("*")).values_list("channel", "n"))
    by_department = list(open_orders.values("department__name").annotate(n=Count("*")).order_by("-n")[:15])
    since = _today_start(now) - timedelta(days=days - 1)
    created = dict(scopes.restrict(user, WorkOrder.objects.filter(created_at__gte=since))
                   .annotate(day=TruncDate("created_at")).values_list("day").annotate(n=Count("*")).values_list("day", "n"))
    feedback = scopes.restrict(user, Feedback.objects.filter(at__gte=since, score__isnull=False))
    scores = {d: (avg, n) for d, avg, n in feedback.annotate(day=TruncDate("at")).values_list("day")
              .annotate(avg=Avg("score"), n=Count("id")).values_list("day", "avg", "n")}
    day_list = [(since + timedelta(days=i)).date() for i in range(days)]
    return {
        "open_total": sum(by_status.values()),
        "by_status": [{"key": k, "label": str(status_labels[k]), "n": by_status.get(k, 0)} for k in OPEN_STATUSES],
        "by_channel": [{"key": k, "label": str(channel_labels.get(k, k)), "n": n} for k, n in sorted(by_channel.items(), key=lambda kv: -kv[1])],
        "by_department": [{"label": row["department__name"] or str(_("No department yet")), "n": row["n"]} for row in by_department],
        "days": [d.isoformat() for d in day_list],
        "created": [created.get(d, 0) for d in day_list],
        "today": created.get(day_list[-1], 0),
        "this_week": sum(created.get(d, 0) for d in day_list[-7:]),
        "satisfaction": [round(scores[d][0], 2) if d in scores else None for d in day_list],
        "rated": [scores[d][1] if d in scores else 0 for d in day_list],
    }


def board_lists(user, *, now=None) -> dict:
    """The board's counts (open, past their limit, registered today and in the last 7 days)
    and the breached and at-risk lists, nearest due first, read straight off the due-time
    partial index (order_open_due). Five queries."""
    from django.db.models import Count

    require(user, "orders.view_board")
    now = now or timezone.now()
    open_orders = scopes.restrict(user, WorkOrder.objects.filter(status__in=OPEN_STATUSES))
    today = _today_start(now)
    registered = scopes.restrict(user, WorkOrder.objects.filter(created_at__gte=today - timedelta(days=6))).aggregate(
        today=Count("pk", filter=Q(created_at__gte=today)), week=Count("pk"))
    lists = _open_list(user).order_by("sla_due_at")
    return {
        "open_total": open_orders.count(),
        "breached_total": open_orders.filter(_sla_q("breached", now)).count(),
        "today": registered["today"],
        "this_week": registered["week"],
        "breached": list(lists.filter(_sla_q("breached", now))[:20]),
        "at_risk": list(lists.filter(_sla_q("warning", now))[:20]),
    }


def my_queue_counts(user) -> dict:
    """Counts for the landing page. Each is one count on an (x, status) index, never a scan."""
    open_orders = WorkOrder.objects.filter(status__in=OPEN_STATUSES)
    return {
        "owned": open_orders.filter(owner=user).count(),
        "handling": open_orders.filter(handler=user).count(),
        "department_queue": open_orders.filter(department_id=user.department_id, handler__isnull=True).count()
        if user.department_id else 0,
        "resolved_unconfirmed": WorkOrder.objects.filter(owner=user, status=Status.RESOLVED).count(),
    }
