"""Which desk gets an order and who there handles it: the dispatch rules (`route`,
`dispatch`, 派单 by the first matching rule), the department's assignment strategy over the
people with room (`candidates`, `order_needs`, `_plan`), a queued order given to someone
(`auto_assign`), the queues drained (`drain`) and batches routed (`route_many`).

Every routing transaction locks the department's row before anything else (then the work
orders, and the people of that department), so two of them in one department run one after
the other and cannot deadlock. Holding the department's row while choosing makes each choice
see every earlier one: no one is given more than their capacity, the rotation stays fair,
and an order is never assigned twice.
"""

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core import recent
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.services import get_or_404, require
from kefu.orders import services as orders
from kefu.orders.matching import category_parents, matched_criteria, order_facts
from kefu.orders.models import OPEN_STATUSES, Category, Status, WorkOrder
from kefu.staff.models import Department, User

from ..assignment import Candidate, choose, needed_skills
from ..models import DispatchRule, Skill

MANUAL = Department.Assignment.MANUAL

QUEUED = (Status.ACCEPTED, Status.ASSIGNED)  # waiting for a handler when handler is empty

SEVERITY_FIRST = Case(When(severity="major", then=0), When(severity="urgent", then=1), default=2, output_field=IntegerField())


def active_rules() -> list:
    return recent.remember("dispatch_rules", lambda: list(
        DispatchRule.objects.filter(is_active=True).select_related("department").order_by("position", "id")))


def route(order):
    """The first matching active dispatch rule, or None."""
    facts = order_facts(order)
    return next((rule for rule in active_rules() if matched_criteria(rule, facts) is not None), None)


def dispatch(actor, order_id, *, note=""):
    """Send the order to the department its first matching rule names and, unless that
    department assigns by hand, to the person its strategy picks — in one assignment event
    that records the rule and the choice. ACTOR None: the system (intake by_system)."""
    if actor is not None:
        require(actor, "orders.dispatch_workorder")
    order = scopes.get(actor, WorkOrder.objects.select_related("customer", "subscription"), order_id)
    rule = route(order)
    if rule is None:
        raise ValidationFailed(_("No dispatch rule matches this order; add a catch-all rule."),
                               fields={"department_id": _("no rule matched")})
    with transaction.atomic():
        department = _lock_department(rule.department_id)
        handler_id, choice = _pick(department, order)
        order = orders.assign(actor, order_id, department_id=department.pk, handler_id=handler_id, note=note,
                              routing={"rule": {"id": rule.pk, "name": rule.name}} | choice)
        _mark_assigned([handler_id])
    return order


def _lock_department(department_id) -> Department:
    return get_or_404(Department, department_id, lock=True)


def _handle_permission_id() -> int:
    return recent.remember("handle_perm", lambda: Permission.objects.get(
        codename="handle_workorder", content_type__app_label="orders").pk)


def _load_expression():
    weights = settings.KEFU_LOAD_WEIGHTS
    return Sum(Case(*[When(severity=s, then=Value(w)) for s, w in weights.items()], default=Value(1),
                    output_field=IntegerField()))


def _handlers():
    """Active people allowed to handle work orders (by group, by own permission, or superuser)."""
    perm = _handle_permission_id()
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__permissions=perm) | Q(user_permissions=perm) | Q(is_superuser=True)).distinct())


def _loads(user_ids) -> dict:
    """{person: (open orders, severity-weighted load)}: one aggregate on the (handler, status) index."""
    return {row["handler_id"]: (row["n"], row["load"]) for row in
            WorkOrder.objects.filter(handler_id__in=user_ids, status__in=OPEN_STATUSES)
            .values("handler_id").annotate(n=Count("id"), load=_load_expression()).order_by()}


def candidates(department_id, *, exclude=(), with_skills=False) -> list[Candidate]:
    """People of the department who may be given work now (available or busy, allowed to
    handle orders), with their open orders and load: three indexed queries, however large
    the department."""
    people = list(_handlers().filter(department_id=department_id, presence__in=(User.Presence.AVAILABLE, User.Presence.BUSY))
                  .exclude(pk__in=exclude).values_list("id", "presence", "capacity", "last_assigned_at"))
    if not people:
        return []
    ids = [p[0] for p in people]
    loads = _loads(ids)
    skills: dict[int, set[int]] = {}
    if with_skills:
        for user_id, skill_id in Skill.members.through.objects.filter(user_id__in=ids).values_list("user_id", "skill_id"):
            skills.setdefault(user_id, set()).add(skill_id)
    return [Candidate(id=i, presence=presence, capacity=capacity, open=loads.get(i, (0, 0))[0], load=loads.get(i, (0, 0))[1],
                      last_assigned_at=last, skills=frozenset(skills.get(i, ())))
            for i, presence, capacity, last in people]


def _skill_table() -> list:
    def load():
        cats: dict[int, list[int]] = {}
        for skill_id, category_id in Skill.categories.through.objects.values_list("skill_id", "category_id"):
            cats.setdefault(skill_id, []).append(category_id)
        return [(pk, kind, tuple(cats.get(pk, ()))) for pk, kind in Skill.objects.values_list("pk", "kind")]
    return recent.remember("skills", load)


def order_needs(order) -> frozenset:
    """The skills (ids) an order needs, from its kind and category."""
    return needed_skills(_skill_table(), order.kind, Category.lineage(order.category_id, category_parents()))


def _plan(department, orders_, *, exclude=()) -> list[tuple[int | None, dict]]:
    """For each of ORDERS_ (in order) the person the department's strategy picks, or None,
    and what the assignment event records. One read of the candidates for the whole list:
    each pick counts against the person's room and load before the next one is made."""
    strategy = department.assignment
    if strategy == MANUAL:
        return [(None, {}) for _o in orders_]
    skilled = strategy == Department.Assignment.SKILL
    pool = {c.id: c for c in candidates(department.pk, exclude=exclude, with_skills=skilled)}
    weights, now = settings.KEFU_LOAD_WEIGHTS, timezone.now()
    plan: list[tuple[int | None, dict]] = []
    for k, order in enumerate(orders_):
        need = order_needs(order) if skilled else frozenset()
        chosen = choose(strategy, list(pool.values()), need)
        choice = {"strategy": strategy} | ({"skills": sorted(need)} if need else {})
        if chosen is None:
            plan.append((None, choice | {"queued": True}))  # nobody with room (and skill): it waits
            continue
        pool[chosen.id] = replace(chosen, open=chosen.open + 1, load=chosen.load + weights.get(order.severity, 1),
                                  last_assigned_at=now + timedelta(microseconds=k))
        plan.append((chosen.id, choice | {"load": chosen.load}))
    return plan


def _pick(department, order, *, exclude=()) -> tuple[int | None, dict]:
    return _plan(department, [order], exclude=exclude)[0]


def _mark_assigned(handler_ids) -> None:
    """Advance the rotation: each person's last assignment time, in the order they were picked."""
    now = timezone.now()
    for k, handler_id in enumerate(dict.fromkeys(h for h in handler_ids if h is not None)):
        User.objects.filter(pk=handler_id).update(last_assigned_at=now + timedelta(microseconds=k))


def auto_assign(actor, order_id, *, note="", exclude=()):
    """Give a queued order (department set, nobody handling it) to the person the department's
    strategy picks. Conflict if it has a handler already or nobody has room."""
    if actor is not None:
        require(actor, "orders.dispatch_workorder")
    with transaction.atomic():
        order = _assign_queued(actor, order_id, note=note, exclude=exclude)
    if order is None:
        raise Conflict(_("Nobody in the department is available with room for this order; it stays in the queue."))
    return order


def _assign_queued(actor, order_id, *, note="", exclude=(), routing=None):
    """Inside a transaction: the assigned order, or None if it stays queued. The order is read
    first (in the actor's scope: out of it, 404 before any word on its state) for the
    department whose lock comes before the order's."""
    department_id = scopes.get(actor, WorkOrder.objects.only("department_id"), order_id).department_id
    if department_id is None:
        raise ValidationFailed(_("The order has no department yet: dispatch it first."), fields={"department_id": _("is empty")})
    department = _lock_department(department_id)
    order = scopes.get(actor, WorkOrder, order_id, lock=True)
    if order.handler_id is not None or order.status not in QUEUED or order.department_id != department.pk:
        raise Conflict(_("The order is not waiting in a department queue."), state=order.status)
    handler_id, choice = _pick(department, order, exclude=exclude)
    if handler_id is None:
        return None
    order = orders.assign(actor, order_id, department_id=department.pk, handler_id=handler_id, note=note,
                          routing=choice | (routing or {}))
    _mark_assigned([handler_id])
    return order


def drain(department_id=None, *, limit=500, actor=None) -> int:
    """Hand queued orders (most severe, then oldest, first) to people with room, in each
    department that assigns automatically: one transaction and one read of the candidates per
    department. Run by `kefu worker`, and when someone becomes available. ACTOR, when a
    person asks for it, must be a supervisor, and only the orders in their scope move."""
    if actor is not None:
        require(actor, "orders.manage_any_workorder")
    departments = Department.objects.filter(is_active=True).exclude(assignment=MANUAL)
    if department_id is not None:
        departments = departments.filter(pk=department_id)
    done = 0
    for dept_id in departments.values_list("pk", flat=True):
        with transaction.atomic():
            department = _lock_department(dept_id)
            # Read under the lock: a parallel drain has finished, and its picks are visible.
            queue = list(scopes.restrict(actor, WorkOrder.objects.filter(department_id=dept_id, handler__isnull=True, status__in=QUEUED))
                         .order_by(SEVERITY_FIRST, "created_at", "id")[:limit])
            done += len(_assign_planned(actor, department, queue, {}))
    return done


def _assign_planned(actor, department, orders_, rules: dict, raises: dict | None = None) -> list:
    """Plan ORDERS_ in DEPARTMENT (locked by the caller) and write the assignments in one
    batch. Orders that stay queued where they already wait get no new event."""
    moves = []
    for order, (handler_id, choice) in zip(orders_, _plan(department, orders_), strict=True):
        if handler_id is None and order.department_id == department.pk and order.status == Status.ASSIGNED:
            continue
        rule = rules.get(order.pk)
        moves.append({"order_id": order.pk, "department_id": department.pk, "handler_id": handler_id, "planned_from": order.department_id,
                      "routing": ({"rule": {"id": rule.pk, "name": rule.name}} if rule else {}) | choice,
                      "raise": (raises or {}).get(order.pk)})
    done = orders.assign_many(actor, moves) if moves else []
    _mark_assigned([o.handler_id for o in done])
    return done


def route_many(actor, order_ids, *, classify=True) -> list:
    """Classify, dispatch and assign a batch of registered orders waiting for a desk or a
    person (accepted, or queued without a handler): the triage rules may raise severity and
    flag, the classifier fills an empty category when confident, the dispatch rules choose
    the desk and its strategy the person. One transaction; returns the orders assigned. Ids
    that do not exist, are out of the actor's scope or no longer wait are skipped alike."""
    from kefu.triage import services as triage

    require(actor, "orders.dispatch_workorder")
    batch = list(scopes.visible(actor, WorkOrder.objects.filter(handler__isnull=True, status__in=QUEUED), order_ids)
                 .select_related("customer", "subscription").order_by("pk"))
    raises, rules = {}, {}
    by_department: dict[int, list[WorkOrder]] = {}
    for order in batch:
        if classify:
            s = triage.suggest(order.title, order.description, kind=order.kind, severity=order.severity, explain=False)
            raises[order.pk] = {"severity": s["severity"]["final"], "flagged": bool(s["flags"]),
                                "category_id": None if order.category_id else triage.suggested_category(s, order.kind)}
            # Route on what the order will be once the raise is written.
            order.severity, order.flagged = s["severity"]["final"], order.flagged or bool(s["flags"])
            order.category_id = order.category_id or raises[order.pk]["category_id"]
        rule = route(order)
        if rule is not None:
            rules[order.pk] = rule
            by_department.setdefault(rule.department_id, []).append(order)
    done = []
    with transaction.atomic():
        for dept_id in sorted(by_department):
            done += _assign_planned(actor, _lock_department(dept_id), by_department[dept_id], rules, raises)
    return done
