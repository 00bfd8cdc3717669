"""People as routing sees them: their status (坐席状态: `set_presence`, and whether they have
one worth setting, `takes_work`), the department's offline policy for the orders of someone
who steps away (`_hand_back`), and the boards' and supervisors' view of handlers: open
orders, load, capacity and skills (`agents`, `update_agent`)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.services import get_or_404, require
from kefu.orders import services as orders
from kefu.orders.models import Status, WorkOrder
from kefu.staff.models import Department, User

from ..models import PresenceChange, Skill
from .dispatching import (
    MANUAL,
    SEVERITY_FIRST,
    _assign_planned,
    _handlers,
    _loads,
    _lock_department,
    drain,
)

STEPPED_AWAY = (User.Presence.AWAY, User.Presence.OFFLINE)


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
                                      by=actor if isinstance(actor, User) else None, moved=moved, reason=(reason or "").strip()[:200])
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
