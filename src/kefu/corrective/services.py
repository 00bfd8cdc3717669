"""Corrective actions (整改): opening one (from a QA finding, a complaint cause, a report or an
incident review), the owner's work (start, complete with evidence), the checker's verification
after the deadline (effective: closed; not effective: back to work, one more round), cancelling,
and the escalation of overdue actions. Each step checks the permission, locks the action and
checks its state (states.py, through kefu.core.transitions), changes it, writes one history
row and one audit entry, or raises and writes nothing.

Corrective actions are organisation-wide records read by permission
(corrective.view_correctiveaction); their owner always sees and works their own. The work
orders linked to one are read through kefu.scopes."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.audit import services as audit
from kefu.core import transitions
from kefu.core.errors import Forbidden, ValidationFailed
from kefu.core.numbering import assign_number, temporary_number
from kefu.core.services import get_or_404, require

from .models import CorrectiveAction, CorrectiveEvent, CorrectiveOrder
from .states import ACTION_LABELS, CHANGE, REFUSALS, TRANSITIONS

log = logging.getLogger("kefu.corrective")

S = CorrectiveAction.Status
VIEW = "corrective.view_correctiveaction"
ADD = "corrective.add_correctiveaction"
MAX_LINKED = 500  # work orders linked to one action
MAX_DAYS = 366  # the furthest deadline, in (working) days
TEXT_MAX = 10000
FINISHED = (S.DONE, S.VERIFIED, S.CANCELLED)  # not overdue, whatever the deadline
# What the owner may change (with the change permission, the rest too).
OWNER_FIELDS = {"title", "problem", "root_cause", "measures", "evidence"}
MANAGER_FIELDS = {"owner_id", "department_id", "deadline", "working_days", "cause_id"}


# --- reading -----------------------------------------------------------------------------------

def visible(user, qs: QuerySet | None = None) -> QuerySet:
    """The actions USER may read: all with the view permission, else their own (as owner).
    The system (None) reads all."""
    qs = qs if qs is not None else CorrectiveAction.objects.all()
    if user is None or user.has_perm(VIEW):
        return qs
    return qs.filter(owner_id=user.pk)


def _scope(user, qs):
    return visible(user, qs)


def _listed(qs: QuerySet) -> QuerySet:
    return qs.select_related("owner", "department", "cause").annotate(linked_count=Count("links"))


def is_overdue(action: CorrectiveAction, now: dt.datetime | None = None) -> bool:
    """Past its deadline and not done (done, verified or cancelled actions are not overdue)."""
    return action.status not in FINISHED and action.deadline < (now or timezone.now())


def _overdue_q(now) -> Q:
    return Q(deadline__lt=now) & ~Q(status__in=FINISHED)


def actions(user, *, status: str | None = None, source: str | None = None, department: int | None = None,
            cause: int | None = None, owner: int | None = None, overdue: bool | None = None, mine: bool = False,
            now: dt.datetime | None = None) -> QuerySet:
    """The actions USER may read, filtered, the nearest deadline first (each with `linked_count`)."""
    now = now or timezone.now()
    qs = visible(user)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if department:
        qs = qs.filter(department_id=department)
    if cause:
        qs = qs.filter(cause_id=cause)
    if owner:
        qs = qs.filter(owner_id=owner)
    if mine and user is not None:
        qs = qs.filter(owner_id=user.pk)
    if overdue is True:
        qs = qs.filter(_overdue_q(now))
    elif overdue is False:
        qs = qs.exclude(_overdue_q(now))
    return _listed(qs).order_by("deadline", "id")


def status_counts(qs: QuerySet, now: dt.datetime | None = None) -> dict:
    """{status: count} of QS in one query, and "overdue"."""
    now = now or timezone.now()
    row = qs.order_by().aggregate(overdue=Count("pk", filter=_overdue_q(now)),
                                  **{s: Count("pk", filter=Q(status=s)) for s in S.values})
    return row


def get_action(user, action_id: int) -> CorrectiveAction:
    """One action as USER may read it (NotFound alike when missing or not theirs to read)."""
    return get_or_404(CorrectiveAction, action_id, queryset=_listed(visible(user)).select_related(
        "created_by", "verified_by"))


def events(user, action_id: int) -> list[CorrectiveEvent]:
    """The action's history, oldest first, each step with its `label`."""
    action = get_action(user, action_id)
    found = list(action.events.select_related("actor").order_by("at", "id"))
    for event in found:
        event.label = ACTION_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
    return found


def linked_orders(user, action_id: int) -> QuerySet:
    """The work orders linked to the action that USER may see (kefu.scopes), newest first."""
    from kefu.orders.models import WorkOrder

    action = get_action(user, action_id)
    ids = CorrectiveOrder.objects.filter(corrective_action=action).values("order_id")
    return (scopes.restrict(user, WorkOrder.objects.filter(pk__in=ids)).select_related("category")
            .order_by("-created_at", "-id"))


def allowed(user, action: CorrectiveAction, now: dt.datetime | None = None) -> list[str]:
    """The steps USER may take on ACTION now (the pages' forms, the API's allowed_actions)."""
    return [a for a in transitions.allowed_actions(MACHINE, action, user) if _why_not_actor(user, action, a, now) is None]


def _why_not_actor(user, action: CorrectiveAction, step: str, now=None):
    """Why USER may not take STEP on ACTION although its status allows it: who they are, when."""
    if user is None:
        return None
    if step in ("start", "done", "edit") and action.owner_id != user.pk and not user.has_perm(CHANGE):
        return Forbidden(_("Only the owner or someone who manages corrective actions may do this."))
    if step in ("verify", "reject"):
        if action.owner_id == user.pk:
            return Forbidden(_("The owner does not verify their own corrective action."))
        if waits_for_deadline(action, now):
            return transitions.invalid(MACHINE, action, user, _("It is verified after its deadline, %(deadline)s.") % {
                "deadline": _local(action.deadline)})
    return None


def waits_for_deadline(action: CorrectiveAction, now: dt.datetime | None = None) -> bool:
    """Whether ACTION's verification waits for its deadline to pass (it is checked afterwards)."""
    return (now or timezone.now()) < action.deadline


def may_open(user) -> bool:
    """Whether USER may open corrective actions (the pages offer the form)."""
    return user.has_perm(ADD)


def may_reassign(user) -> bool:
    """Whether USER may change an action's owner, department, cause and deadline."""
    return user.has_perm(CHANGE)


# --- choices for the forms ----------------------------------------------------------------------

def complaint_causes() -> QuerySet:
    """The first-level complaint causes (REQUIREMENTS §4): the categories under the complaint root."""
    from kefu.orders.models import Category

    return Category.objects.filter(parent__code="complaint", parent__parent__isnull=True, is_active=True).order_by(
        "sort_order", "code")


def owners() -> QuerySet:
    """Who may own an action: active staff (not the portal's system user)."""
    from kefu.staff import services as staff

    return staff.active_staff().select_related("department").order_by("department__name", "display_name", "username")


def departments() -> QuerySet:
    from kefu.staff import services as staff

    return staff.active_departments().order_by("name")


# --- deadlines ----------------------------------------------------------------------------------

def _calculator(name: str):
    from kefu.sla.calendars import UnknownCalendar, calculator_for

    try:
        return calculator_for(name)
    except UnknownCalendar:
        return None


def deadline_for(*, day: dt.date | None = None, working_days: int | None = None, start: dt.datetime | None = None,
                 calendar: str | None = None) -> dt.datetime:
    """The deadline on CALENDAR (default KEFU_CORRECTIVE_CALENDAR): the close of DAY (of the
    next working day when DAY is a rest day), or of the WORKING_DAYS-th working day after START
    (default now). Natural days when the calendar is missing or does not cover the year."""
    from kefu.sla.engine import CalendarError, Duration

    calc = _calculator(calendar or settings.KEFU_CORRECTIVE_CALENDAR)
    zone = timezone.get_current_timezone()
    if day is not None:
        midnight = dt.datetime.combine(day, dt.time(), zone)
        try:
            if calc is not None:
                return calc.deadline(midnight, Duration(0, "d"))
        except CalendarError:
            pass
        return midnight + dt.timedelta(days=1)
    start = start or timezone.now()
    n = working_days or 0
    try:
        if calc is not None:
            return calc.deadline(start, Duration(n, "wd"))
    except CalendarError:
        pass
    return dt.datetime.combine(timezone.localtime(start).date() + dt.timedelta(days=n + 1), dt.time(), zone)


def second_level_at(action: CorrectiveAction) -> dt.datetime:
    """When an overdue action escalates to level 2: KEFU_CORRECTIVE_ESCALATE_DAYS working days
    of its calendar after its deadline."""
    from kefu.sla.engine import CalendarError, Duration

    days = settings.KEFU_CORRECTIVE_ESCALATE_DAYS
    calc = _calculator(action.calendar)
    try:
        if calc is not None:
            return calc.deadline(action.deadline, Duration(days, "wd"))
    except CalendarError:
        pass
    return action.deadline + dt.timedelta(days=days)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- input checks -------------------------------------------------------------------------------

def _text(value, field, errors, *, required=False, limit=TEXT_MAX) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("must be text")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("is required")
    elif len(value) > limit:
        errors[field] = _("must be at most %(n)s characters") % {"n": limit}
    return value


def _deadline(deadline, working_days, errors, now) -> dt.datetime | None:
    """The deadline from a date, a moment or a number of working days (exactly one)."""
    if (deadline is None) == (working_days is None):
        errors["deadline"] = _("give a date or a number of working days, one of them")
        return None
    if working_days is not None:
        if isinstance(working_days, bool) or not isinstance(working_days, int) or not 1 <= working_days <= MAX_DAYS:
            errors["working_days"] = _("must be a whole number from %(low)s to %(high)s") % {"low": 1, "high": MAX_DAYS}
            return None
        return deadline_for(working_days=working_days, start=now)
    if isinstance(deadline, dt.datetime):
        moment = deadline if timezone.is_aware(deadline) else timezone.make_aware(deadline)
    elif isinstance(deadline, dt.date):
        moment = deadline_for(day=deadline)
    else:
        errors["deadline"] = _("must be a date or a date and time")
        return None
    if moment <= now:
        errors["deadline"] = _("must be in the future")
    elif moment > now + dt.timedelta(days=MAX_DAYS):
        errors["deadline"] = _("must be within a year")
    return moment


def _owner(owner_id, errors):
    if owner_id is None or owner_id == "":
        errors["owner_id"] = _("is required")
        return None
    found = owners().filter(pk=owner_id).first() if isinstance(owner_id, int) and not isinstance(owner_id, bool) else None
    if found is None:
        errors["owner_id"] = _("no active member of staff with id %(id)s") % {"id": owner_id}
    return found


def _department(department_id, errors):
    from kefu.staff.models import Department

    found = Department.objects.filter(pk=department_id).first() if isinstance(department_id, int) else None
    if found is None:
        errors["department_id"] = _("no department with id %(id)s") % {"id": department_id}
    return found


def _cause(cause_id, errors):
    found = complaint_causes().filter(pk=cause_id).first() if isinstance(cause_id, int) else None
    if found is None:
        errors["cause_id"] = _("not a complaint cause: %(id)s") % {"id": cause_id}
    return found


def _orders(actor, order_ids, errors) -> list[int]:
    """ORDER_IDS as ACTOR may see them; any other is named (alike when missing or out of scope)."""
    from kefu.orders.models import WorkOrder

    ids = list(dict.fromkeys(order_ids or ()))
    if len(ids) > MAX_LINKED:
        errors["order_ids"] = _("at most %(n)s work orders") % {"n": MAX_LINKED}
        return []
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors["order_ids"] = _("must be work order ids")
        return []
    found = set(scopes.visible(actor, WorkOrder, ids).values_list("pk", flat=True)) if ids else set()
    if unknown := [i for i in ids if i not in found]:
        errors["order_ids"] = _("no work order with id %(ids)s") % {"ids": sorted(unknown)}
    return [i for i in ids if i in found]


# --- opening ------------------------------------------------------------------------------------

@transaction.atomic
def open_action(actor, *, title: str, problem: str, source: str, owner_id: int, deadline=None,
                working_days: int | None = None, source_ref: str = "", cause_id: int | None = None,
                department_id: int | None = None, root_cause: str = "", measures: str = "",
                order_ids=(), now: dt.datetime | None = None) -> CorrectiveAction:
    """Open a corrective action: the problem, where it came from, its owner and department (the
    owner's by default), its deadline (a date, a moment, or N working days of
    KEFU_CORRECTIVE_CALENDAR from now), and the work orders behind it (in ACTOR's scope). A
    complaint cause analysis names its cause. Every bad field is named at once; the owner is told."""
    require(actor, ADD)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    title = _text(title, "title", errors, required=True, limit=200)
    problem = _text(problem, "problem", errors, required=True)
    source_ref = _text(source_ref, "source_ref", errors, limit=200)
    root_cause = _text(root_cause, "root_cause", errors)
    measures = _text(measures, "measures", errors)
    if source not in CorrectiveAction.Source.values:
        errors["source"] = _("must be one of: %(values)s") % {"values": ", ".join(CorrectiveAction.Source.values)}
    owner = _owner(owner_id, errors)
    department = _department(department_id, errors) if department_id is not None else (owner.department if owner else None)
    cause = _cause(cause_id, errors) if cause_id is not None else None
    if cause_id is None and source == CorrectiveAction.Source.COMPLAINT_CAUSE:
        errors["cause_id"] = _("a complaint cause analysis names its cause")
    moment = _deadline(deadline, working_days, errors, now)
    linked = _orders(actor, order_ids, errors)
    if errors or moment is None:
        raise ValidationFailed(_("The corrective action is invalid."), fields=errors)
    action = CorrectiveAction.objects.create(
        number=temporary_number(), title=title, problem=problem, source=source, source_ref=source_ref, cause=cause,
        root_cause=root_cause, measures=measures, owner=owner, department=department,
        calendar=settings.KEFU_CORRECTIVE_CALENDAR, deadline=moment, created_by=actor)
    assign_number(action, "number", f"ZG{timezone.localtime(action.created_at):%Y%m%d}{action.pk:04d}")
    CorrectiveOrder.objects.bulk_create([CorrectiveOrder(corrective_action=action, order_id=i) for i in linked])
    _event(action, actor, "open", "", note=problem[:500], data={"orders": len(linked), "source": source}, at=now)
    audit.record(actor, "create", action, fields=["title", "source", "owner", "deadline"])
    if owner is not None and owner.pk != getattr(actor, "pk", None):
        _tell([owner], action, _("%(number)s: a corrective action is yours, due %(deadline)s: %(title)s") % {
            "number": action.number, "deadline": _local(action.deadline), "title": action.title})
    return action


# --- the steps ----------------------------------------------------------------------------------

def _event(action, actor, step, from_status, *, note="", data=None, at=None) -> CorrectiveEvent:
    return CorrectiveEvent.objects.create(corrective_action=action, action=step, from_status=from_status or "",
                                          to_status=action.status, actor=actor if getattr(actor, "pk", None) else None,
                                          at=at or timezone.now(), note=note or "", data=data or {})


def _record(action, actor, step, from_status, *, note="", data=None, fields=()):
    """The machine's record: one history row and one audit entry."""
    _event(action, actor, step, from_status, note=note, data=data)
    audit.record(actor, "transition" if step != "edit" else "update", action, fields=list(fields) or ["status"],
                 reason=f"{step}: {note}"[:200] if note else step)


def _begin(actor, action_id, step, version=None, now=None) -> CorrectiveAction:
    action = transitions.begin(MACHINE, actor, action_id, step, version=version)
    if (refusal := _why_not_actor(actor, action, step, now)) is not None:
        raise refusal
    return action


@transaction.atomic
def start(actor, action_id: int, *, note: str = "", version: int | None = None) -> CorrectiveAction:
    """The owner (or a manager of corrective actions) starts the work."""
    action = _begin(actor, action_id, "start", version)
    return transitions.finish(MACHINE, action, actor, "start", note=(note or "").strip())


@transaction.atomic
def complete(actor, action_id: int, *, evidence: str, note: str = "", version: int | None = None,
             now: dt.datetime | None = None) -> CorrectiveAction:
    """The work is done: with the evidence of what was done (required); the checker is told."""
    action = _begin(actor, action_id, "done", version)
    errors: dict[str, str] = {}
    evidence = _text(evidence, "evidence", errors, required=True)
    if errors:
        raise ValidationFailed(_("The completion is invalid."), fields=errors)
    action.evidence, action.done_at = evidence, now or timezone.now()
    return transitions.finish(MACHINE, action, actor, "done", note=(note or "").strip(), fields=["status", "evidence"])


@transaction.atomic
def verify(actor, action_id: int, *, effective: bool, note: str = "", version: int | None = None,
           now: dt.datetime | None = None) -> CorrectiveAction:
    """The checker's verification, by someone other than the owner, once the action is done and
    its deadline has passed: effective closes it; not effective (with a note saying why) sends
    it back to work, one more round, and tells the owner."""
    now = now or timezone.now()
    step = "verify" if effective else "reject"
    action = _begin(actor, action_id, step, version, now)
    note = (note or "").strip()
    if not effective and not note:
        raise ValidationFailed(_("Say why it was not effective."), fields={"note": _("is required")})
    if effective:
        action.verified_at, action.verified_by = now, actor
        return transitions.finish(MACHINE, action, actor, step, note=note, fields=["status", "verified_at"])
    action.rounds += 1
    done = transitions.finish(MACHINE, action, actor, step, note=note, data={"round": action.rounds},
                              fields=["status", "rounds"])
    _tell([action.owner], action, _("%(number)s was found not effective: %(note)s") % {"number": action.number, "note": note})
    return done


@transaction.atomic
def cancel(actor, action_id: int, *, reason: str, version: int | None = None) -> CorrectiveAction:
    """Cancelled, with a reason (someone who manages corrective actions)."""
    action = _begin(actor, action_id, "cancel", version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why it is cancelled."), fields={"reason": _("is required")})
    return transitions.finish(MACHINE, action, actor, "cancel", note=reason)


@transaction.atomic
def update(actor, action_id: int, *, version: int, now: dt.datetime | None = None, **changes) -> CorrectiveAction:
    """Change an open or ongoing action, as read at VERSION (else 409 with the current one). The
    owner changes its texts (title, problem, root cause, measures, evidence); owner,
    department, cause and deadline need the change permission."""
    now = now or timezone.now()
    action = _begin(actor, action_id, "edit", version)
    unknown = set(changes) - OWNER_FIELDS - MANAGER_FIELDS
    if unknown:
        raise ValidationFailed(_("The input is invalid."), fields={f: _("cannot be changed") for f in sorted(unknown)})
    if actor is not None and set(changes) & MANAGER_FIELDS and not actor.has_perm(CHANGE):
        raise Forbidden(_("Only someone who manages corrective actions reassigns them or moves their deadline."))
    errors: dict[str, str] = {}
    for field in OWNER_FIELDS & set(changes):
        setattr(action, field, _text(changes[field], field, errors, required=field in ("title", "problem"),
                                     limit=200 if field == "title" else TEXT_MAX))
    new_owner = None
    if "owner_id" in changes:
        owner = _owner(changes["owner_id"], errors)
        if owner is not None and owner.pk != action.owner_id:
            action.owner = new_owner = owner
    if "department_id" in changes:
        action.department = _department(changes["department_id"], errors) if changes["department_id"] is not None else None
    if "cause_id" in changes:
        action.cause = _cause(changes["cause_id"], errors) if changes["cause_id"] is not None else None
    if "deadline" in changes or "working_days" in changes:
        moment = _deadline(changes.get("deadline"), changes.get("working_days"), errors, now)
        if moment is not None and "deadline" not in errors and "working_days" not in errors:
            # A new deadline starts the escalation afresh: overdue again, it is told again.
            action.deadline, action.escalation_level, action.escalated_at = moment, 0, None
    if errors:
        raise ValidationFailed(_("The corrective action is invalid."), fields=errors)
    fields = sorted(f.removesuffix("_id") for f in changes if f != "working_days") + (
        ["deadline"] if "working_days" in changes else [])
    done = transitions.finish(MACHINE, action, actor, "edit", data={"fields": fields}, fields=fields)
    if new_owner is not None:
        _tell([new_owner], action, _("%(number)s: a corrective action is yours, due %(deadline)s: %(title)s") % {
            "number": action.number, "deadline": _local(action.deadline), "title": action.title})
    return done


# --- overdue ------------------------------------------------------------------------------------

def _tell(people, action, message: str) -> None:
    from kefu.notifications import services as notifications

    link = reverse("web:corrective-action", args=[action.pk])
    for person in {p.pk: p for p in people if p is not None}.values():
        notifications.notify(person, None, message[:300], link=link)


def _escalation_recipients(action, level: int) -> list:
    from kefu.staff import roles
    from kefu.staff.models import User

    if level >= 2:
        return list(User.objects.filter(groups__name=roles.MANAGER, is_active=True).distinct())
    supervisors = User.objects.filter(groups__name=roles.SUPERVISOR, is_active=True).distinct()
    in_department = list(supervisors.filter(department_id=action.department_id)) if action.department_id else []
    return [action.owner, *(in_department or list(supervisors))]


def escalate_overdue(now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """The worker's turn: each action not done past its deadline rises to escalation level 1
    (its owner and their department's supervisors told), and KEFU_CORRECTIVE_ESCALATE_DAYS
    working days later to level 2 (the managers told). Each level once: the rise is a
    conditional UPDATE, so a second worker, or a rerun, finds it taken and tells nobody.
    Returns [(number, level)] of the rises."""
    now = now or timezone.now()
    risen = []
    candidates = (CorrectiveAction.objects.filter(_overdue_q(now), escalation_level__lt=2)
                  .select_related("owner", "department").order_by("deadline", "pk"))
    for action in candidates.iterator(chunk_size=500):
        for level in (1, 2):
            if action.escalation_level >= level or (level == 2 and now < second_level_at(action)):
                continue
            with transaction.atomic():
                won = CorrectiveAction.objects.filter(_overdue_q(now), pk=action.pk, escalation_level=level - 1).update(
                    escalation_level=level, escalated_at=now)
                if not won:
                    break  # another worker, or the action finished meanwhile
                action.escalation_level, action.escalated_at = level, now
                message = _("%(number)s: corrective action overdue since %(deadline)s (escalation level %(level)s): "
                            "%(title)s") % {"number": action.number, "deadline": _local(action.deadline), "level": level,
                                            "title": action.title}
                people = [p for p in _escalation_recipients(action, level) if p is not None and p.is_active]
                _tell(people, action, message)
                _event(action, None, "escalate", action.status, note=message, at=now,
                       data={"level": level, "notified": sorted({p.username for p in people})})
            risen.append((action.number, level))
            log.info("escalated %s", message)
    return risen


# Organisation-wide, read by permission; the owner reads their own.
MACHINE = transitions.Machine(CorrectiveAction, TRANSITIONS, scope=_scope, record=_record, refusals=REFUSALS)
