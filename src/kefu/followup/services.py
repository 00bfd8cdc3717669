"""Follow-up calls' rules (回访): which resolved orders get a task (every complaint, every order
resolved after a reopening or scored low, VIP and enterprise customers, a sample of the rest;
never a customer who refused or was anonymised; at most one open task per order), when a call
may be made (calling hours), retries, and what an outcome does to the order.

Tasks are made by the order-event consumer "followup" (orders.events, "after" phase): orders
never call this app."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import scopes
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.core.services import require
from kefu.orders.models import Kind, WorkOrder

from .models import Attempt, FollowUpTask, Outcome, Reason

CONSUMER = "followup"
KEY_SEGMENTS = frozenset({"vip", "enterprise"})


# --- calling hours ---------------------------------------------------------------------------

def _hours() -> tuple[dt.time, dt.time]:
    start, end = settings.KEFU_FOLLOWUP_CALL_HOURS.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def _rest_days(first: dt.date, days: int = 1) -> set[dt.date]:
    """The rest days (holidays) of KEFU_FOLLOWUP_NO_CALL_CALENDAR among DAYS days from FIRST:
    nobody is called on them. None without that setting."""
    name = settings.KEFU_FOLLOWUP_NO_CALL_CALENDAR
    if not name:
        return set()
    from kefu.sla.models import CalendarDay

    return set(CalendarDay.objects.filter(calendar__name=name, kind=CalendarDay.Kind.HOLIDAY, date__gte=first,
                                          date__lt=first + dt.timedelta(days=days)).values_list("date", flat=True))


def in_calling_hours(at: dt.datetime) -> bool:
    start, end = _hours()
    local = timezone.localtime(at)
    return start <= local.time() < end and not _rest_days(local.date())


def calling_time(at: dt.datetime) -> dt.datetime:
    """AT if it falls in the calling hours (KEFU_FOLLOWUP_CALL_HOURS, local time, not on a rest
    day of KEFU_FOLLOWUP_NO_CALL_CALENDAR), else the next moment they begin: nobody is called at
    night or on a holiday."""
    start, _end = _hours()
    if in_calling_hours(at):
        return at
    local = timezone.localtime(at)
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    rest = _rest_days(day, 60)  # no run of holidays is longer
    while day in rest:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=local.tzinfo)


# --- which orders get a task -----------------------------------------------------------------

def _sampled(order_id: int) -> bool:
    """A stable sample of KEFU_FOLLOWUP_SAMPLE_PERCENT % of the orders (by id, reproducible)."""
    digest = hashlib.blake2b(str(order_id).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100 < settings.KEFU_FOLLOWUP_SAMPLE_PERCENT


def reason_for(order, event) -> str | None:
    """Why EVENT on ORDER calls for a follow-up call, or None."""
    if event.action == "resolve":
        if order.kind == Kind.COMPLAINT:
            return Reason.COMPLAINT
        if order.reopen_count:
            return Reason.REOPENED
        if order.customer is not None and order.customer.segment in KEY_SEGMENTS:
            return Reason.KEY_CUSTOMER
        return Reason.SAMPLE if _sampled(order.pk) else None
    score = (event.data or {}).get("score") if event.action in ("feedback", "confirm", "reopen") else None
    if isinstance(score, int) and score < settings.KEFU_SATISFIED_SCORE:
        return Reason.LOW_SCORE
    return None


def on_order_events(events) -> None:
    """The consumer "followup": a task for each order a batch of events calls for, in a few
    queries however large the batch (the customers who refused or were anonymised read at once;
    an order with an open task keeps it: the partial unique constraint, ON CONFLICT DO NOTHING)."""
    from kefu.surveys import services as surveys

    wanted = [e for e in events if e.action in ("resolve", "feedback", "confirm", "reopen")]
    if not wanted:
        return
    orders = WorkOrder.objects.select_related("customer").in_bulk({e.order_id for e in wanted})
    picked: dict[int, tuple[str, dt.datetime]] = {}
    for event in wanted:
        order = orders.get(event.order_id)
        if order is None:
            continue
        reason = reason_for(order, event)
        if reason is not None:
            picked[order.pk] = (reason, event.at)
    refusing = surveys.refusing({orders[pk].customer_id for pk in picked})
    due = dt.timedelta(hours=settings.KEFU_FOLLOWUP_DUE_HOURS)
    now = timezone.now()
    FollowUpTask.objects.bulk_create([
        FollowUpTask(order_id=pk, reason=reason, created_at=now, due_at=at + due, next_call_at=calling_time(max(at, now)))
        for pk, (reason, at) in sorted(picked.items()) if orders[pk].customer_id not in refusing],
        ignore_conflicts=True)


# --- the queue, calls and outcomes -----------------------------------------------------------

def queue(user, *, status: str = FollowUpTask.Status.OPEN, limit: int = 50) -> list[FollowUpTask]:
    """The follow-up tasks of the orders in USER's data scope with STATUS, the next call due
    first (then the earliest due), at most LIMIT (capped at KEFU_API_MAX_PAGE_SIZE)."""
    from django.db.models import F

    require(user, "followup.view_followuptask")
    if status not in FollowUpTask.Status.values:
        raise ValidationFailed(_("The input is invalid."), fields={
            "status": _("must be one of: %(values)s") % {"values": ", ".join(FollowUpTask.Status.values)}})
    orders = scopes.restrict(user, WorkOrder.objects.all()).values("pk")
    rows = (FollowUpTask.objects.filter(status=status, order_id__in=orders).select_related("order")
            .order_by(F("next_call_at").asc(nulls_last=True), "due_at", "pk"))
    return list(rows[:max(1, min(limit, settings.KEFU_API_MAX_PAGE_SIZE))])



def _task(user, task_id: int) -> tuple[FollowUpTask, WorkOrder]:
    """The task, locked, and its order (with its customer), if the order is in USER's data
    scope; else NotFound, as for none."""
    task = FollowUpTask.objects.select_for_update().filter(pk=task_id).first()
    order = scopes.find(user, WorkOrder.objects.select_related("customer"), task.order_id) if task else None
    if task is None or order is None:
        raise NotFound(_("Follow-up task %(id)s does not exist.") % {"id": task_id})
    return task, order


def _history(order: WorkOrder, user, action: str, label, note: str, data: dict) -> None:
    """A call or an outcome in the order's history (its timeline): the result in words, then
    the caller's note."""
    from kefu.orders import events

    text = _("%(result)s: %(note)s") % {"result": label, "note": note} if note else str(label)
    events.record(order, user, action, order.status, order.status, note=text, data=data)


def queue_row(task: FollowUpTask) -> FollowUpTask:
    """TASK with its order, as the queue lists it."""
    return FollowUpTask.objects.select_related("order").get(pk=task.pk)


@transaction.atomic
def record_call(user, task_id: int, result: str, *, note: str = "", now: dt.datetime | None = None) -> Attempt:
    """A call made for the task, within the calling hours. Unanswered: the next call is due
    after KEFU_FOLLOWUP_RETRY_MINUTES (in calling hours); after KEFU_FOLLOWUP_ATTEMPTS the task
    ends as unreachable, counted apart."""
    require(user, "followup.add_attempt")
    now = now or timezone.now()
    task, order = _task(user, task_id)
    if task.status != FollowUpTask.Status.OPEN:
        raise Conflict(_("This follow-up task is finished."))
    if result not in Attempt.Result.values:
        raise ValidationFailed(_("The call is invalid."), fields={
            "result": _("must be one of: %(values)s") % {"values": ", ".join(Attempt.Result.values)}})
    if not in_calling_hours(now):
        raise ValidationFailed(_("The call is invalid."), fields={
            "at": _("customers are called only between %(hours)s") % {"hours": settings.KEFU_FOLLOWUP_CALL_HOURS}})
    call = Attempt.objects.create(task=task, at=now, result=result, by=user, note=note.strip())
    task.attempts += 1
    _history(order, user, "followup_call", Attempt.Result(result).label, call.note,
             {"followup_task": task.pk, "result": result, "attempt": task.attempts})
    if result == Attempt.Result.REACHED:
        task.next_call_at = None
    elif task.attempts >= settings.KEFU_FOLLOWUP_ATTEMPTS:
        task.status, task.outcome, task.outcome_at, task.next_call_at = (
            FollowUpTask.Status.DONE, Outcome.UNREACHABLE, now, None)
    else:
        task.next_call_at = calling_time(now + dt.timedelta(minutes=settings.KEFU_FOLLOWUP_RETRY_MINUTES))
    task.assignee = task.assignee or user
    task.save()
    return call


@transaction.atomic
def record_outcome(user, task_id: int, outcome: str, *, note: str = "", now: dt.datetime | None = None) -> FollowUpTask:
    """What the customer said on a call that reached them. Problem recurred or dissatisfied:
    the order is reopened (再次投诉) with the follow-up's record; refused: the customer's refusal
    of surveys and follow-up is recorded (every channel)."""
    from kefu.orders import services as orders
    from kefu.surveys import services as surveys

    require(user, "followup.add_attempt")
    now = now or timezone.now()
    task, order = _task(user, task_id)
    if task.status != FollowUpTask.Status.OPEN:
        raise Conflict(_("This follow-up task is finished."))
    if outcome not in (Outcome.SATISFIED, Outcome.DISSATISFIED, Outcome.RECURRED, Outcome.REFUSED):
        raise ValidationFailed(_("The outcome is invalid."), fields={
            "outcome": _("must be one of: %(values)s") % {"values": "satisfied, dissatisfied, recurred, refused"}})
    if not task.calls.filter(result=Attempt.Result.REACHED).exists():
        raise ValidationFailed(_("The outcome is invalid."), fields={
            "outcome": _("record the call that reached the customer first")})
    task.status, task.outcome, task.outcome_at, task.note = FollowUpTask.Status.DONE, outcome, now, note.strip()
    task.save()
    _history(order, user, "followup", Outcome(outcome).label, task.note, {"followup_task": task.pk, "outcome": outcome})
    if outcome in (Outcome.RECURRED, Outcome.DISSATISFIED):
        reason = (_("Follow-up call: the problem recurred.") if outcome == Outcome.RECURRED
                  else _("Follow-up call: the customer is dissatisfied."))
        if order.status in ("resolved", "confirmed", "closed"):
            # A re-complaint back to the first-contact owner, carrying the follow-up's record.
            orders.reopen(user, order.pk, reason=reason, note=task.note, to_owner=True,
                          data={"followup_task": task.pk, "followup_outcome": outcome,
                                "followup_calls": task.attempts})
    elif outcome == Outcome.REFUSED and order.customer is not None:
        surveys.opt_out(order.customer, "phone", actor=user, now=now)
    return task
