"""Routing: which desk gets an order (dispatch rules, 派单), who there handles it (the
department's assignment strategy), people's statuses and what happens to their orders when
they step away, and moving orders between tiers.

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
from kefu.audit import services as audit
from kefu.core import recent
from kefu.core.errors import Conflict, ValidationFailed
from kefu.core.services import get_or_404, require, save_checked
from kefu.orders import services as orders
from kefu.orders.matching import category_parents, matched_criteria, order_facts
from kefu.orders.models import OPEN_STATUSES, Category, Status, WorkOrder
from kefu.staff.models import Department, User

from .assignment import Candidate, choose, needed_skills
from .models import DispatchRule, PresenceChange, Skill

MANUAL = Department.Assignment.MANUAL
QUEUED = (Status.ACCEPTED, Status.ASSIGNED)  # waiting for a handler when handler is empty
STEPPED_AWAY = (User.Presence.AWAY, User.Presence.OFFLINE)
SEVERITY_FIRST = Case(When(severity="major", then=0), When(severity="urgent", then=1), default=2, output_field=IntegerField())


# --- dispatch: which department -------------------------------------------------------------

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


# --- assignment: who in the department ------------------------------------------------------

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


# --- people's statuses ----------------------------------------------------------------------

def takes_work(user) -> bool:
    """Whether USER has a status (坐席状态) worth setting: staff who handle orders or take
    contacts. Auditors and the like are given no work, so they have none to show."""
    return user.has_perm("orders.handle_workorder") or user.has_perm("contacts.add_contact")


def set_presence(actor, user_id, presence, *, reason=""):
    """Set someone's status (available, busy, away, offline): their own, or anyone's for a
    supervisor. Stepping away applies the department's offline policy to their orders;
    becoming available lets the department's queue flow to them."""
    if presence not in User.Presence.values:
        raise ValidationFailed(_("Unknown status."), fields={"presence": _("must be one of %(v)s") % {"v": ", ".join(User.Presence.values)}})
    if actor.pk != user_id:
        require(actor, "orders.manage_any_workorder")
    with transaction.atomic():
        department_id = get_or_404(User, user_id).department_id
        department = _lock_department(department_id) if department_id else None
        person = get_or_404(User, user_id, lock=True)
        previous = person.presence
        if previous == presence:
            return person
        person.presence, person.presence_since = presence, timezone.now()
        person.save(update_fields=["presence", "presence_since"])
        moved = 0
        if presence in STEPPED_AWAY and department is not None:
            moved = _hand_back(person, department, presence)
        PresenceChange.objects.create(user=person, presence=presence, previous=previous, at=person.presence_since,
                                      by=actor, moved=moved, reason=(reason or "").strip()[:200])
    if presence == User.Presence.AVAILABLE and department is not None and department.assignment != MANUAL:
        drain(department.pk, limit=max(person.capacity, 1))
    return person


def _hand_back(person, department, presence) -> int:
    """The department's offline policy for PERSON's orders; orders waiting for the customer
    stay with them (nothing is due from our side until the customer answers)."""
    policy = department.offline_policy
    if policy == Department.OfflinePolicy.KEEP:
        return 0
    reason = _("%(name)s is %(status)s.") % {"name": person, "status": User.Presence(presence).label}
    ids = list(WorkOrder.objects.filter(handler=person, status__in=(Status.ASSIGNED, Status.IN_PROGRESS))
               .order_by(SEVERITY_FIRST, "created_at").values_list("pk", flat=True))
    requeued = [orders.requeue(None, order_id, reason=reason, routing={"policy": policy}) for order_id in ids]
    if policy == Department.OfflinePolicy.REASSIGN:
        # One plan for all of them; PERSON is no longer a candidate (their status changed above).
        _assign_planned(None, department, requeued, {})
    return len(ids)


def agents(actor, department_id=None):
    """People who handle orders, with status, capacity, open orders and load (for boards)."""
    require(actor, "orders.view_workorder")
    qs = _handlers().select_related("department").prefetch_related("skills").order_by("department__code", "username")
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    people = list(qs)
    loads = _loads([p.pk for p in people])
    for p in people:
        p.open_orders, p.load = loads.get(p.pk, (0, 0))
    return people


def update_agent(actor, user_id, *, capacity=None, skill_ids=None):
    """A supervisor sets someone's capacity and skills."""
    require(actor, "orders.manage_any_workorder")
    with transaction.atomic():
        person = get_or_404(User, user_id, lock=True)
        if skill_ids is not None:
            skills = list(Skill.objects.filter(pk__in=skill_ids))
            unknown = set(skill_ids) - {s.pk for s in skills}
            if unknown:
                raise ValidationFailed(_("Unknown skills."), fields={"skill_ids": _("no skill with id %(ids)s") % {"ids": sorted(unknown)}})
            person.skills.set(skills)
        if capacity is not None:
            person.capacity = capacity
            person.save(update_fields=["capacity"])
    return person


# --- tiers ----------------------------------------------------------------------------------

def escalate(actor, order_id, *, reason, department_id=None, note=""):
    """升级 to a higher tier, then, if that desk assigns automatically, to a person there. Two
    steps: should nobody have room, the order waits in the new desk's queue."""
    order = orders.escalate(actor, order_id, reason=reason, department_id=department_id, note=note)
    return _assign_if_possible(order)


def deescalate(actor, order_id, *, reason, department_id=None, note=""):
    order = orders.deescalate(actor, order_id, reason=reason, department_id=department_id, note=note)
    return _assign_if_possible(order)


def assign(actor, order_id, *, department_id=None, handler_id=None, note=""):
    """派单 by hand: to a department (and a person, if named). Sent to a department alone, the
    order goes on to a person there by that department's strategy."""
    order = orders.assign(actor, order_id, department_id=department_id, handler_id=handler_id, note=note)
    return order if handler_id is not None else _assign_if_possible(order)


def transfer(actor, order_id, *, department_id, reason, handler_id=None, note=""):
    """转派 to another department; without a named person, its strategy picks one."""
    order = orders.transfer(actor, order_id, department_id=department_id, handler_id=handler_id, reason=reason, note=note)
    # The person the department's strategy picks hears why the order came (kefu.sla.services._given).
    return order if handler_id is not None else _assign_if_possible(order, routing={"transfer_reason": order.last_event.reason})


def _assign_if_possible(order, routing=None):
    if order.department is None or order.department.assignment == MANUAL:
        return order
    with transaction.atomic():
        assigned = _assign_queued(None, order.pk, routing=routing)
    return assigned or orders.order_queryset().get(pk=order.pk)


# --- intake: classify, register, accept, dispatch, assign ----------------------------------

def register(actor, *, route=None, by_system=False, **fields):
    """A new order from the API: routed on arrival if asked (ROUTE) or, when the client does
    not say, if KEFU_AUTO_ROUTE is on; registered as given otherwise. BY_SYSTEM: see intake."""
    if route if route is not None else settings.KEFU_AUTO_ROUTE:
        return intake(actor, by_system=by_system, **fields)
    return orders.create_order(actor, **fields)


def intake(actor, *, title, customer_id, channel, kind=None, description="", category_id=None, severity=None,
           by_system=False, **fields):
    """A new order, routed as it arrives: the classifier fills what the agent left open (kind,
    a confident category, severity), the triage rules raise severity and flag threats, and the
    order is registered and accepted in one transaction, then dispatched and assigned in a
    second. If no dispatch rule matches, the order stays accepted for a person to dispatch:
    a routing failure never loses the order.

    BY_SYSTEM: ACTOR only registers (the self-service portal, which takes nothing on); the
    routing itself accepts and dispatches, as the system, and the first person it assigns
    becomes the first-contact owner (orders.services._adopt)."""
    from kefu.triage import services as triage

    router = None if by_system else actor
    for perm in ("orders.add_workorder",) + (() if by_system else ("orders.accept_workorder", "orders.dispatch_workorder")):
        require(actor, perm)
    suggestion = triage.suggest(title, description, kind=kind, severity=severity)
    kind = suggestion["kind"]["final"]
    if category_id is None:
        category_id = triage.suggested_category(suggestion, kind)
    summary = {"kind": suggestion["kind"], "category": suggestion["category"], "severity": suggestion["severity"],
               "rules": [r["rule"] for r in suggestion["rules"]], "model": suggestion["model"]["version"]}
    with transaction.atomic():
        order = orders.create_order(actor, kind=kind, title=title, description=description, customer_id=customer_id,
                                    channel=channel, category_id=category_id, severity=suggestion["severity"]["final"],
                                    flagged=bool(suggestion["flags"]), triage=summary, **fields)
        orders.accept(router, order.pk)
    try:
        return dispatch(router, order.pk)
    except ValidationFailed:
        return orders.order_queryset().get(pk=order.pk)


# --- configuration (the same rules as the admin) --------------------------------------------

RULE_FIELDS = {"name", "position", "is_active", "kind", "category_id", "severity", "channel", "segment", "province",
               "flagged", "department_id"}
SKILL_FIELDS = {"code", "name", "kind"}
DEPARTMENT_FIELDS = {"tier", "escalates_to_id", "assignment", "offline_policy"}


def list_rules(actor):
    require(actor, "routing.view_dispatchrule")
    return DispatchRule.objects.select_related("department", "category").order_by("position", "id")


@transaction.atomic
def save_rule(actor, rule_id=None, **changes):
    require(actor, "routing.change_dispatchrule" if rule_id else "routing.add_dispatchrule")
    rule = get_or_404(DispatchRule, rule_id, lock=True) if rule_id else DispatchRule()
    return _save_config(actor, rule, _any_as_blank({k: v for k, v in changes.items() if k in RULE_FIELDS}))


@transaction.atomic
def delete_rule(actor, rule_id):
    require(actor, "routing.delete_dispatchrule")
    rule = get_or_404(DispatchRule, rule_id, lock=True)
    audit.record(actor, "delete", rule, fields=["name"])
    rule.delete()


def list_skills(actor):
    require(actor, "routing.view_skill")
    return Skill.objects.prefetch_related("categories", "members").order_by("code")


@transaction.atomic
def save_skill(actor, skill_id=None, *, category_ids=None, member_ids=None, **changes):
    require(actor, "routing.change_skill" if skill_id else "routing.add_skill")
    skill = _save_config(actor, get_or_404(Skill, skill_id, lock=True) if skill_id else Skill(),
                         _any_as_blank({k: v for k, v in changes.items() if k in SKILL_FIELDS}))
    for field, ids, model in (("category_ids", category_ids, Category), ("member_ids", member_ids, User)):
        if ids is None:
            continue
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if unknown := set(ids) - found:
            raise ValidationFailed(_("The input is invalid."), fields={field: _("no such id: %(ids)s") % {"ids": sorted(unknown)}})
        (skill.categories if field == "category_ids" else skill.members).set(found)
    return skill


@transaction.atomic
def configure_department(actor, department_id, **changes):
    """A department's tier, next tier, assignment strategy and offline policy."""
    require(actor, "staff.change_department")
    department = get_or_404(Department, department_id, lock=True)
    changes = {k: v for k, v in changes.items() if k in DEPARTMENT_FIELDS}
    if changes.get("escalates_to_id") == department.pk:
        raise ValidationFailed(_("The input is invalid."), fields={"escalates_to_id": _("cannot be the department itself")})
    return _save_config(actor, department, changes)


CHOICE_CRITERIA = {"kind", "severity", "channel", "segment"}


def _any_as_blank(changes: dict) -> dict:
    """A criterion given as None means "any", which the models store as an empty string."""
    return {k: "" if v is None and k in CHOICE_CRITERIA else v for k, v in changes.items()}


def _save_config(actor, obj, changes: dict):
    """Validated as the admin would, saved, and audited with the fields that changed."""
    creating = obj.pk is None
    changed = save_checked(obj, changes)
    if changed:
        audit.record(actor, "create" if creating else "update", obj, fields=changed)
    return obj
