"""Who handles an order: 派单 (`assign`, and `assign_many` for routing's batches), `requeue`,
升级 and 降级 between tiers (`escalate`, `deescalate`), 转派 (`transfer`), `claim` and
`release`; `_resolve_target` checks the department and handler named, `_move` hands the order
to them."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.errors import ValidationFailed
from kefu.core.services import find
from kefu.staff import services as staff

from .. import events
from ..models import SEVERITY_RANK, WorkOrder
from ..states import TRANSITIONS
from .ownership import _adopt
from .transitions import _begin, _finish, _refusal


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
