"""Follow-up calls' rules (回访): which resolved orders get a task (every complaint, every order
resolved after a reopening or scored low, VIP and enterprise customers, a sample of the rest;
never a customer who refused or was anonymised; at most one open task per order), when a call
may be made (calling hours), retries, and what an outcome does to the order.

Tasks are made by the order-event consumer "followup" (orders.events, "after" phase), due
KEFU_FOLLOWUP_DUE_HOURS working hours of KEFU_FOLLOWUP_CALENDAR after the event, and given to
the people of KEFU_FOLLOWUP_DEPARTMENT by its assignment strategy (routing.assignment) or left
for agents to claim. The close guard (`close_refusal`, registered with orders.extensions) keeps
the kinds of KEFU_FOLLOWUP_BEFORE_CLOSE from being archived before their follow-up's outcome.
Orders never call this app."""

import dataclasses
import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu import scopes
from kefu.core.errors import Conflict, NotFound, ValidationFailed
from kefu.core.services import require
from kefu.orders.models import EventConsumer, EventReceipt, Kind, OrderEvent, WorkOrder

from .models import Attempt, FollowUpTask, Outcome, Reason

log = logging.getLogger("kefu.followup")

CONSUMER = "followup"
KEY_SEGMENTS = frozenset({"vip", "enterprise"})
# The events that may call for a follow-up call (reason_for).
TRIGGERS = ("resolve", "feedback", "confirm", "reopen")


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


def _calling_time(at: dt.datetime, rest: set[dt.date]) -> dt.datetime:
    """calling_time with the rest days REST (those from AT's day on, 60 days at least) at hand."""
    start, end = _hours()
    local = timezone.localtime(at)
    if start <= local.time() < end and local.date() not in rest:
        return at
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    while day in rest:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=local.tzinfo)


def calling_time(at: dt.datetime) -> dt.datetime:
    """AT if it falls in the calling hours (KEFU_FOLLOWUP_CALL_HOURS, local time, not on a rest
    day of KEFU_FOLLOWUP_NO_CALL_CALENDAR), else the next moment they begin: nobody is called at
    night or on a holiday."""
    return _calling_time(at, _rest_days(timezone.localtime(at).date(), 61))  # no run of holidays is longer


def calling_times(moments: list[dt.datetime]):
    """calling_time as a function of AT for a batch whose moments are MOMENTS: the rest days read
    once for all of them."""
    if not moments:
        return calling_time
    first = timezone.localtime(min(moments)).date()
    rest = _rest_days(first, (timezone.localtime(max(moments)).date() - first).days + 61)
    return lambda at: _calling_time(at, rest)


def calling_hours_text() -> str:
    """The calling hours as people read them: 09:00–20:00."""
    start, end = _hours()
    return f"{start:%H:%M}–{end:%H:%M}"


def calling_window(now: dt.datetime | None = None) -> tuple[bool, dt.datetime]:
    """(whether customers may be called NOW, the next moment they may: NOW itself if so)."""
    now = now or timezone.now()
    allowed = calling_time(now)
    return allowed == now, allowed


def next_call(task: FollowUpTask, now: dt.datetime | None = None) -> tuple[bool, dt.datetime]:
    """(whether TASK's customer may be called now, when its next call is due): the calling hours
    decide the first, and the task's retry time, if later, the second."""
    allowed, at = calling_window(now)
    return allowed, max(at, task.next_call_at) if task.next_call_at else at


# --- the time limit: working hours of a calendar ---------------------------------------------

def due_after(at: dt.datetime) -> dt.datetime:
    """The follow-up's time limit for an order resolved (or scored) at AT: KEFU_FOLLOWUP_DUE_HOURS
    working hours of the SLA calendar KEFU_FOLLOWUP_CALENDAR (24x7: natural hours)."""
    return deadlines()(at)


def deadlines():
    """due_after as a function of AT, its calendar read once (for a batch of tasks). A calendar
    that is missing, or does not cover the year, counts natural hours and says so in the log:
    the tasks are made anyway."""
    from kefu.sla.calendars import UnknownCalendar, calculator_for
    from kefu.sla.engine import CalendarError, Duration

    hours, name = settings.KEFU_FOLLOWUP_DUE_HOURS, settings.KEFU_FOLLOWUP_CALENDAR

    def natural(at: dt.datetime) -> dt.datetime:
        return at + dt.timedelta(hours=hours)

    try:
        calculator = calculator_for(name)
    except UnknownCalendar:
        log.warning("follow-up time limits in natural hours: there is no calendar %s", name)
        return natural
    duration = Duration(hours, "wh")

    def working(at: dt.datetime) -> dt.datetime:
        try:
            return calculator.deadline(at, duration)
        except CalendarError as exc:
            log.warning("follow-up time limit in natural hours: calendar %s: %s", name, exc)
            return natural(at)

    return working


# --- who calls: the follow-up desk and its strategy -------------------------------------------

def _desk():
    """The active department KEFU_FOLLOWUP_DEPARTMENT names (its code, else its name), or None."""
    from kefu.staff.models import Department

    name = settings.KEFU_FOLLOWUP_DEPARTMENT
    if not name:
        return None
    desks = Department.objects.filter(is_active=True)
    return desks.filter(code=name).first() or desks.filter(name=name).first()


def _callers():
    """Active people allowed to make follow-up calls (by group, own permission, or superuser)."""
    from kefu.staff import services as staff

    return staff.holders("followup.add_attempt", superusers=True)


def candidates(department) -> list:
    """The people of DEPARTMENT who may be given follow-up tasks now (available or busy, with
    the follow-up permission) as routing's Candidates: their open follow-up tasks are their load
    against their capacity, their latest task their turn. Two queries."""
    from kefu.routing.assignment import Candidate
    from kefu.staff.models import User

    people = list(_callers().filter(department=department, presence__in=(User.Presence.AVAILABLE, User.Presence.BUSY))
                  .values_list("pk", "presence", "capacity"))
    if not people:
        return []
    stats: dict[int, tuple[int, dt.datetime | None]] = {
        assignee: (open_tasks, last) for assignee, open_tasks, last in
        FollowUpTask.objects.filter(assignee_id__in=[p[0] for p in people]).values("assignee_id").order_by()
        .annotate(open=Count("pk", filter=Q(status=FollowUpTask.Status.OPEN)), last=Max("assigned_at"))
        .values_list("assignee_id", "open", "last")}
    return [Candidate(id=pk, presence=presence, capacity=capacity, open=stats.get(pk, (0, None))[0],
                      load=stats.get(pk, (0, None))[0], last_assigned_at=stats.get(pk, (0, None))[1])
            for pk, presence, capacity in people]


def plan_assignees(count: int, now: dt.datetime) -> list[int | None]:
    """Who gets each of COUNT new tasks, in order: the follow-up desk's strategy over one read of
    its people, each pick counted before the next (as routing plans a batch); None where nobody
    has room, the desk's strategy is manual, or no desk is set (the task waits to be claimed)."""
    from kefu.routing.assignment import choose

    desk = _desk()
    pool = candidates(desk) if desk is not None and count else []
    picks: list[int | None] = []
    for _n in range(count):
        chosen = choose(desk.assignment, pool) if pool else None
        picks.append(chosen.id if chosen else None)
        if chosen is not None:
            turned = dataclasses.replace(chosen, open=chosen.open + 1, load=chosen.load + 1, last_assigned_at=now)
            pool = [turned if c.id == chosen.id else c for c in pool]
    return picks


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

    wanted = [e for e in events if e.action in TRIGGERS]
    if not wanted:
        return
    # Only what the rules read: a customer's encrypted fields cost a decryption each to load.
    orders = (WorkOrder.objects.select_related("customer").only("kind", "reopen_count", "customer__segment")
              .in_bulk({e.order_id for e in wanted}))
    picked: dict[int, tuple[str, dt.datetime]] = {}
    for event in wanted:
        order = orders.get(event.order_id)
        if order is None:
            continue
        reason = reason_for(order, event)
        if reason is not None:
            picked[order.pk] = (reason, event.at)
    refusing = surveys.refusing({orders[pk].customer_id for pk in picked})
    now = timezone.now()
    # Orders that keep an open task get no other (and no pick of the desk's people).
    busy = set(FollowUpTask.objects.filter(order_id__in=picked, status=FollowUpTask.Status.OPEN)
               .values_list("order_id", flat=True))
    new = [(pk, reason, at) for pk, (reason, at) in sorted(picked.items())
           if orders[pk].customer_id not in refusing and pk not in busy]
    assignees = plan_assignees(len(new), now)
    due = deadlines()
    when = calling_times([max(at, now) for _pk, _reason, at in new])
    FollowUpTask.objects.bulk_create([
        FollowUpTask(order_id=pk, reason=reason, created_at=now, due_at=due(at), next_call_at=when(max(at, now)),
                     assignee_id=assignee, assigned_at=now if assignee else None)
        for (pk, reason, at), assignee in zip(new, assignees, strict=True)],
        ignore_conflicts=True)


def on_low_score(sender, *, invitation, at=None, **kwargs) -> None:
    """The receiver of surveys' signal `low_score` (connected in apps.py): a survey about an
    order answered with a low score, with KEFU_SURVEY_LOW_SCORE_ACTIONS naming "followup", makes
    a follow-up task (reason low_score) due (due_after) from the answer and routed as the
    consumer's, unless the order has an open task already or its customer refused or was
    anonymised."""
    from kefu.surveys import services as surveys

    if invitation.order_id is None or surveys.refusing({invitation.customer_id}):
        return
    now = timezone.now()
    at = at or now
    if FollowUpTask.objects.filter(order_id=invitation.order_id, status=FollowUpTask.Status.OPEN).exists():
        return
    assignee = plan_assignees(1, now)[0]
    FollowUpTask.objects.bulk_create([FollowUpTask(
        order_id=invitation.order_id, reason=Reason.LOW_SCORE, created_at=now,
        due_at=due_after(at), next_call_at=calling_time(max(at, now)),
        assignee_id=assignee, assigned_at=now if assignee else None)],
        ignore_conflicts=True)  # one open task per order


# --- the queue, calls and outcomes -----------------------------------------------------------

MINE, ALL = "mine", "all"


def tasks(user, *, status: str = FollowUpTask.Status.OPEN, reason: str = "", which: str = ALL) -> QuerySet:
    """The follow-up tasks of the orders in USER's data scope with STATUS (and REASON), WHICH
    "all" of them or "mine" (USER's and the unassigned ones, which USER may claim): USER's own
    first, then the unassigned, then the others'; within each the next call due first, then
    the earliest due. With their orders and customers."""
    require(user, "followup.view_followuptask")
    errors = {}
    if status not in FollowUpTask.Status.values:
        errors["status"] = _("must be one of: %(values)s") % {"values": ", ".join(FollowUpTask.Status.values)}
    if reason and reason not in Reason.values:
        errors["reason"] = _("must be one of: %(values)s") % {"values": ", ".join(Reason.values)}
    if which not in (MINE, ALL):
        errors["which"] = _("must be one of: %(values)s") % {"values": ", ".join((MINE, ALL))}
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    orders = scopes.restrict(user, WorkOrder.objects.all()).values("pk")
    rows = FollowUpTask.objects.filter(status=status, order_id__in=orders)
    if reason:
        rows = rows.filter(reason=reason)
    if which == MINE:
        rows = rows.filter(Q(assignee=user) | Q(assignee__isnull=True))
    whose = Case(When(assignee=user, then=Value(0)), When(assignee__isnull=True, then=Value(1)), default=Value(2),
                 output_field=IntegerField())
    return (rows.select_related("order__customer", "assignee").annotate(whose=whose)
            .order_by("whose", F("next_call_at").asc(nulls_last=True), "due_at", "pk"))


def queue(user, *, status: str = FollowUpTask.Status.OPEN, reason: str = "", which: str = ALL,
          limit: int = 50) -> list[FollowUpTask]:
    """tasks(), at most LIMIT (capped at KEFU_API_MAX_PAGE_SIZE)."""
    rows = tasks(user, status=status, reason=reason, which=which)
    return list(rows[:max(1, min(limit, settings.KEFU_API_MAX_PAGE_SIZE))])


def get_task(user, task_id: int) -> FollowUpTask:
    """One task for its page, with its order (and customer) and calls, if the order is in USER's
    data scope; else NotFound, as for none."""
    require(user, "followup.view_followuptask")
    task = FollowUpTask.objects.select_related("assignee").filter(pk=task_id).first()
    order = scopes.find(user, WorkOrder.objects.select_related("customer", "owner", "handler"), task.order_id) if task else None
    if task is None or order is None:
        raise NotFound(_("Follow-up task %(id)s does not exist.") % {"id": task_id})
    task.order = order
    return task


def calls_of(task: FollowUpTask) -> list[Attempt]:
    """The calls made for TASK (read through get_task), oldest first, with who made them."""
    return list(task.calls.select_related("by"))


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
    return FollowUpTask.objects.select_related("order__customer").get(pk=task.pk)


@transaction.atomic
def claim(user, task_id: int, *, now: dt.datetime | None = None) -> FollowUpTask:
    """USER takes an open, unassigned task (领取) to make its calls; their own again changes
    nothing; someone else's is a Conflict naming them."""
    from kefu.audit import services as audit

    require(user, "followup.add_attempt")
    task, _order = _task(user, task_id)
    if task.status != FollowUpTask.Status.OPEN:
        raise Conflict(_("This follow-up task is finished."))
    if task.assignee_id == user.pk:
        return task
    if task.assignee_id is not None:
        raise Conflict(_("This follow-up task is already assigned to %(name)s.") % {"name": task.assignee})
    task.assignee, task.assigned_at = user, now or timezone.now()
    task.save(update_fields=["assignee", "assigned_at"])
    audit.record(user, "update", task, fields=["assignee", "assigned_at"])
    return task


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
    if task.assignee_id is None:
        task.assignee, task.assigned_at = user, now
    task.save()
    return call


@transaction.atomic
def record_outcome(user, task_id: int, outcome: str, *, note: str = "", answers: dict | None = None,
                   reached: bool = False, now: dt.datetime | None = None) -> FollowUpTask:
    """What the customer said on a call that reached them (REACHED: that call is recorded with
    it, unless one already was: the page's one click). ANSWERS ({question id: value}) are the
    customer's answers to the active post-resolution questionnaire, asked on the call: stored as
    survey answers on the phone channel (surveys.invite then surveys.answer), all or none with the
    outcome; refused when the customer may not be asked (refused, anonymised, asked within the
    fatigue window) or with a refusal. Problem recurred or dissatisfied: the order is reopened
    (再次投诉) to its first-contact owner with the follow-up's record; refused: the customer's
    refusal of surveys and follow-up is recorded (every channel)."""
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
    answers = {k: v for k, v in (answers or {}).items() if v not in (None, "", [])}
    if answers and outcome == Outcome.REFUSED:
        raise ValidationFailed(_("The outcome is invalid."), fields={
            "answers": _("a customer who refuses the follow-up answers no questionnaire")})
    if not task.calls.filter(result=Attempt.Result.REACHED).exists():
        if not reached:
            raise ValidationFailed(_("The outcome is invalid."), fields={
                "outcome": _("record the call that reached the customer first")})
        record_call(user, task.pk, Attempt.Result.REACHED, now=now)
        task.refresh_from_db()
    invitation = None
    if answers:
        refusal = surveys.call_refusal(order.customer_id, order.pk, now)
        invitation = surveys.invite_for_call(order.customer, order, now=now) if refusal is None else None
        if invitation is None:
            raise ValidationFailed(_("The answers cannot be stored."), fields={"answers": _survey_refusal(refusal)})
        surveys.answer(invitation.pk, answers, now=now)
    task.status, task.outcome, task.outcome_at, task.note = FollowUpTask.Status.DONE, outcome, now, note.strip()
    task.save()
    data = {"followup_task": task.pk, "outcome": outcome} | ({"survey_invitation": invitation.pk} if invitation else {})
    _history(order, user, "followup", Outcome(outcome).label, task.note, data)
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


# --- the call script's questionnaire ---------------------------------------------------------

NO_QUESTIONNAIRE = gettext_lazy("No questionnaire is in use after resolution.")


def _survey_refusal(code: str | None) -> str:
    """Why a customer may not be asked a questionnaire, in words (surveys.REASONS)."""
    from kefu.surveys import services as surveys

    words = surveys.REASONS.get(code) if code else None
    return str(words()) if words else str(NO_QUESTIONNAIRE)


def questionnaire(task: FollowUpTask, now: dt.datetime | None = None) -> dict:
    """What the call script asks of TASK's customer (TASK read through get_task): the active
    post-resolution questionnaire ("instrument", "questions") when the customer may be asked it on
    this call, else "refusal": why not (refused, anonymised, asked within the fatigue window about
    another order, no questionnaire in use). The order's own SMS survey still waiting is answered
    by the call."""
    from kefu.surveys import services as surveys

    instrument = surveys.active("post_resolution")
    code = surveys.call_refusal(task.order.customer_id, task.order_id, now)
    if instrument is None or code is not None:
        return {"instrument": None, "questions": [], "refusal": _survey_refusal(code if instrument else None)}
    return {"instrument": instrument, "questions": list(instrument.questions.all()), "refusal": None}


# --- the close guard (orders.extensions) -----------------------------------------------------

def _handled(event_ids: list[int]) -> set[int]:
    """Those of EVENT_IDS the consumer has handled (its position and receipts). A consumer that
    never ran handles none of them ever (history=False starts at the latest event): all."""
    consumer = EventConsumer.objects.filter(name=CONSUMER).first()
    if consumer is None:
        return set(event_ids)
    done = {i for i in event_ids if i <= consumer.position}
    rest = [i for i in event_ids if i not in done]
    if rest:
        done |= set(EventReceipt.objects.filter(consumer=consumer, event_id__in=rest).values_list("event_id", flat=True))
    return done


def close_refusal(order: WorkOrder) -> str | None:
    """Why ORDER may not be closed (归档) yet, or None: an order of a kind in
    KEFU_FOLLOWUP_BEFORE_CLOSE is archived only once its follow-up call has an outcome (any,
    unreachable included) — refused while its task is open, or while none is made yet for the
    latest resolution but the rules are about to make one (its events not yet handled by the
    consumer). Orders the rules leave out (a customer who refused, history from before this app)
    are not held back."""
    from kefu.surveys import services as surveys

    if order.kind not in settings.KEFU_FOLLOWUP_BEFORE_CLOSE:
        return None
    kind = Kind(order.kind).label
    if FollowUpTask.objects.filter(order=order, status=FollowUpTask.Status.OPEN).exists():
        return _("Work orders of kind %(kind)s are closed only after their follow-up call: "
                 "the follow-up task has no outcome yet.") % {"kind": kind}
    resolved = order.events.filter(action="resolve").order_by("-at", "-id").first()
    if resolved is None:
        return None
    if FollowUpTask.objects.filter(order=order, status=FollowUpTask.Status.DONE, outcome_at__gte=resolved.at).exists():
        return None
    since = list(OrderEvent.objects.filter(order=order, pk__gte=resolved.pk, action__in=TRIGGERS).order_by("pk"))
    handled = _handled([e.pk for e in since])
    pending = [e for e in since if e.pk not in handled and reason_for(order, e) is not None]
    if pending and not (order.customer_id and surveys.refusing({order.customer_id})):
        return _("Work orders of kind %(kind)s are closed only after their follow-up call: "
                 "no follow-up call has been made yet.") % {"kind": kind}
    return None
