"""Each work order's share of the rollups: a pure function of the order as it stands, its
events, its clocks and its customers' survey answers.

Incremental updates and rebuilds both call `shares` and apply the difference from the share
stored before (`OrderFact`), so the two cannot disagree, and a late change lands on the day it
belongs to: an order reopened today that was resolved last month keeps last month's
resolution and adds today's reopening.

A share is the order's dimensions (as the order stands: department, province, city, channel,
kind, category, severity, segment) and its atoms `[day, agent, extra, measure, value]`:
day as a proleptic ordinal in the installation's time zone, the person the figure counts
for (0: nobody), extra dimensions of this atom only ({"policy": id} on clocks, {"regday":
ordinal} on the backlog's flows), the measure's name and the value added.

Measures (a complaint's atoms count a second time under the prefix "c:", so complaint
indicators break down like the others):

- `registered` on the registration day, for the first-contact owner;
  `repeat` (a repeat complaint, linked), `escalated` (越级: through or threatening the regulator,
  media or court: the regulator-transfer channel or a coordinator's flag), `regulator` (申诉转办)
  on the same day;
- `resolved` on each resolution, for the resolver; `reopened` on each reopening, for the
  resolver of the resolution it reopens;
- survey answers (surveys app) about the order, on the day they were given, credited to everyone
  who handled or answered it (`credited`): `score:N` the overall satisfaction N (1–10: the score
  at resolution, or a questionnaire's overall question), `sdim:D:N` a dimension's score N (the
  agent's attitude, the result, timeliness), `rec:N` the recommendation 0–10 (NPS); and on the
  day an invitation was made (not the mirrors of scores at resolution), `survey_sent`, and
  `survey_answered` once it is answered (the response rate by the invitation's period);
- follow-up tasks (followup app, not cancelled) on the day they are due, once they are due or
  done, for their assignee: `followup_due`, and `followup_done` once they have an outcome other than unreachable,
  `followup_unreachable` when unreachable (counted apart);
- `clock_due:METRIC` and `clock_met:METRIC` for each time limit on the day it came due (when it
  stopped or when its due time passed, whichever came first; a running clock counts once its
  due time has passed, by `now`), with the policy as extra dimension;
- `frt:B` the first customer-visible word from staff, `res:B` each resolution, B the natural
  minutes since registration in a bucket (`bucket`);
- `open` and `overdue`: +1 when the order became open (registration, reopening) or its
  resolution limit passed while open, −1 when that ended, with the registration day as
  extra dimension (the backlog's ageing).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings

from kefu.followup.models import FollowUpTask
from kefu.orders.models import OrderEvent, WorkOrder
from kefu.sla.models import Metric, OrderClock
from kefu.sla.services import CUSTOMER_WORDS, FINAL_WORDS
from kefu.surveys.models import Answer, Invitation
from kefu.surveys.services import answer_measure

COMPLAINT_PREFIX = "c:"
# Events after which an order is no longer open (and reopen, after which it is again).
ENDS_OPEN = frozenset({"resolve", "reject", "cancel", "merge"})
# A share's dimensions (an order's; a hotline call's queue), in the order they are stored and expanded.
DIMENSIONS = ("channel", "kind", "category", "severity", "city", "segment", "queue")


def bucket(minutes: float) -> int:
    """A duration in minutes, floored to its bucket: to the minute under an hour, to 10 minutes
    under a day, to the hour under 10 days, to the day beyond (at most a year)."""
    m = max(0, int(minutes))
    if m < 60:
        return m
    if m < 1440:
        return m - m % 10
    if m < 14400:
        return m - m % 60
    return min(m - m % 1440, 525600)


def _bucket_values() -> tuple[int, ...]:
    return tuple(sorted({bucket(m) for m in (*range(0, 14400), *range(14400, 525601, 1440))}))


# Every value `bucket` can give: the names of a histogram's measures are known in advance, so
# reading one is an index lookup of exact names, not a scan of a prefix.
BUCKETS = _bucket_values()


def family(prefix: str) -> list[str]:
    """The names of the measures PREFIX:N ("score:", "c:clock_due:", "frt:" …)."""
    base = prefix.removeprefix(COMPLAINT_PREFIX)
    if base in ("score:", "rec:") or base.startswith("sdim:"):
        values = [str(n) for n in range(0, 11)]
    elif base in ("clock_due:", "clock_met:"):
        values = list(Metric.values)
    elif base in ("frt:", "res:", "frtw:", "resw:"):
        values = [str(b) for b in BUCKETS]
    elif base == WAIT_PREFIX:
        values = [str(b) for b in WAIT_BUCKETS]
    else:
        raise ValueError(f"unknown measure family {prefix!r}")
    return [prefix + v for v in values]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_of(moment: dt.datetime, zone: ZoneInfo | None = None) -> int:
    return moment.astimezone(zone or _zone()).date().toordinal()


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 60


def credited(order: WorkOrder, events: list) -> list[int]:
    """Who a customer's word about ORDER counts for: its first-contact owner, its handler, and
    everyone who resolved it or spoke to the customer on it (a transferred order credits both
    sides), sorted."""
    people = {order.owner_id, order.handler_id}
    people |= {e.actor_id for e in events if e.action == "resolve" or (e.visibility == "customer" and e.action not in CUSTOMER_WORDS)}
    return sorted(p for p in people if p)


def shares(order: WorkOrder, events: list, clocks: list, answers: list,
           now: dt.datetime, zone: ZoneInfo | None = None, calendar=None, invitations: list = (),
           tasks: list = ()) -> tuple[dict, list[list]]:
    """ORDER's dimensions and atoms as of NOW. EVENTS (with id, at, actor_id, action,
    visibility) in the order they happened, CLOCKS as rows with their fields, ANSWERS (scored
    answers: at, dimension, type, score) and INVITATIONS (created_at, status, feedback_id) of its
    customer's surveys about it;
    ORDER's customer loaded (segment, city). CALENDAR: the order's working calendar (the
    calculator of its resolution limit's calendar, sla.engine), for the durations in working
    minutes (`frtw:`, `resw:`); None when it has no time limit."""
    zone = zone or _zone()
    customer = order.customer
    dims = {
        "department_id": order.department_id or 0,
        "province": order.province or customer.province or "",
        "channel": order.channel, "kind": order.kind,
        "category": str(order.category_id or ""), "severity": order.severity,
        "city": customer.city or "", "segment": customer.segment or "",
    }
    atoms: list[list] = []

    def add(moment, agent, measure, value=1, extra=None):
        atoms.append([day_of(moment, zone), agent or 0, extra or {}, measure, value])

    created = order.created_at
    add(created, order.owner_id, "registered")
    if order.repeat_count:
        add(created, order.owner_id, "repeat")
    if order.channel == "regulator" or order.flagged:
        add(created, order.owner_id, "escalated")
    if order.channel == "regulator":
        add(created, order.owner_id, "regulator")

    keeper = order.handler_id or order.owner_id  # whom an open order's flows count for
    regday = {"regday": day_of(created, zone)}
    last_resolver = 0
    first_word = None
    open_since: dt.datetime | None = created
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    for event in events:
        action = event.action
        if first_word is None and action != "create" and (
                (event.visibility == "customer" and action not in CUSTOMER_WORDS) or action in FINAL_WORDS):
            first_word = event
        if action == "resolve":
            last_resolver = event.actor_id or 0
            add(event.at, event.actor_id, "resolved")
            add(event.at, event.actor_id, f"res:{bucket(_minutes(created, event.at))}")
            if calendar is not None:
                add(event.at, event.actor_id, f"resw:{bucket(calendar.working_seconds_between(created, event.at) / 60)}")
        elif action == "reopen":
            add(event.at, last_resolver, "reopened")
        if action in ENDS_OPEN and open_since is not None:
            intervals.append((open_since, event.at))
            open_since = None
        elif action == "reopen" and open_since is None:
            open_since = event.at
    if open_since is not None:
        intervals.append((open_since, None))
    if first_word is not None:
        add(first_word.at, first_word.actor_id, f"frt:{bucket(_minutes(created, first_word.at))}")
        if calendar is not None:
            add(first_word.at, first_word.actor_id,
                f"frtw:{bucket(calendar.working_seconds_between(created, first_word.at) / 60)}")

    people = credited(order, events) if answers or invitations else []
    for item in invitations:
        if item.feedback_id is None:
            add(item.created_at, people, "survey_sent")
            if item.status == "answered":
                add(item.created_at, people, "survey_answered")
    for item in answers:
        if measure := answer_measure(item.type, item.dimension, item.score):
            add(item.at, people, measure)
    for task in tasks:
        if not task.outcome and task.due_at > now:
            continue  # not due yet: counted when it comes due (the worker's turn) or is done
        add(task.due_at, task.assignee_id, "followup_due")
        if task.outcome == "unreachable":
            add(task.due_at, task.assignee_id, "followup_unreachable")
        elif task.outcome:
            add(task.due_at, task.assignee_id, "followup_done")

    resolution_due: dict[int, dt.datetime] = {}
    for clock in clocks:
        if clock.metric == "resolution":
            resolution_due[clock.round] = clock.due_at
        came_due = _came_due(clock, now)
        if came_due is None:
            continue
        moment, met = came_due
        extra = {"policy": clock.policy_id or 0}
        add(moment, keeper, f"clock_due:{clock.metric}", 1, extra)
        if met:
            add(moment, keeper, f"clock_met:{clock.metric}", 1, extra)

    for round_no, (start, end) in enumerate(intervals):
        add(start, keeper, "open", 1, regday)
        if end is not None:
            add(end, keeper, "open", -1, regday)
        due = resolution_due.get(round_no)
        if due is not None and due <= now and (end is None or due < end):
            add(max(due, start), keeper, "overdue", 1, regday)
            if end is not None:
                add(end, keeper, "overdue", -1, regday)
    return dims, _merge(atoms)


def _came_due(clock, now: dt.datetime) -> tuple[dt.datetime, bool] | None:
    """When CLOCK came due and whether it was met, or None if it has not come due by NOW."""
    if clock.stopped_at is not None and clock.state == OrderClock.State.MET:
        if clock.stopped_at <= clock.due_at and clock.breached_at is None:
            return clock.stopped_at, True
        return min(clock.stopped_at, clock.due_at), False
    if clock.breached_at is not None:
        return min(clock.breached_at, clock.due_at), False
    if clock.state == OrderClock.State.RUNNING and clock.due_at <= now:
        return clock.due_at, False
    return None


def _merge(atoms: list[list]) -> list[list]:
    """Atoms with the same day, agent(s), extra and measure summed; zeros dropped; sorted. An
    atom credited to several people has the list of them as its agent (see `expand`)."""
    sums: dict[tuple, int] = defaultdict(int)
    for day, agent, extra, measure, value in atoms:
        key = tuple(agent) if isinstance(agent, list) else (agent or 0,)
        sums[(day, key, tuple(sorted(extra.items())), measure)] += value
    return [[day, list(agent) if len(agent) != 1 else agent[0], dict(extra), measure, value]
            for (day, agent, extra, measure), value in sorted(sums.items()) if value]


# Measures broken down by fewer dimensions than the rest, to keep the rollups small: the
# duration histograms (a row per bucket) by kind and channel only, the calls' waits by queue and
# interval, not by agent; the backlog's flows not by category, city or segment. (Department and
# province are columns of every row.)
NARROW = {"frt:": ("kind", "channel"), "res:": ("kind", "channel"), "frtw:": ("kind", "channel"), "resw:": ("kind", "channel"),
          "open": ("channel", "kind", "severity"), "overdue": ("channel", "kind", "severity"),
          "call_wait:": ("channel", "queue")}  # and the call's intervals (its atoms' extra dimensions)


# Levels kept as flows (+1 when a state begins, −1 when it ends): a report sums them over all
# history up to a day, so their rows live under dimensions of their own ("~" + dimension) and
# that sum reads only them, not every measure of every earlier month.
STOCKS = frozenset({"open", "overdue"})
STOCK_DIM = "~"


def _narrow(measure: str) -> tuple[str, ...] | None:
    for prefix, dims in NARROW.items():
        if measure == prefix or (prefix.endswith(":") and measure.startswith(prefix)):
            return dims
    return None


def expand(dims: dict, atoms: Iterable[list]) -> dict[tuple, int]:
    """The rollup cells an order's share adds to, day grain:
    (day ordinal, department, province, dim, key, measure) → value."""
    cells: dict[tuple, int] = defaultdict(int)
    dept, province = dims["department_id"], dims["province"]
    fixed = [(name, str(dims[name])) for name in DIMENSIONS if dims.get(name) is not None]
    complaint = dims["kind"] == "complaint"
    for day, agent, extra, measure, value in atoms:
        narrow = _narrow(measure)
        keys = [("", ""), *(fixed if narrow is None else [(n, k) for n, k in fixed if n in narrow])]
        if agent and (narrow is None or measure in ("open", "overdue")):
            # Several people credited: each one's row counts it, the totals once.
            keys += [("agent", str(a)) for a in agent] if isinstance(agent, list) else [("agent", str(agent))]
        for name, key in extra.items():
            keys.append((name, dt.date.fromordinal(key).isoformat() if name == "regday" else str(key)))
        measures = (measure, COMPLAINT_PREFIX + measure) if complaint else (measure,)
        prefix = STOCK_DIM if measure in STOCKS else ""
        for m in measures:
            for name, key in keys:
                cells[(day, dept, province, prefix + name, key, m)] += value
    return cells


class SurveyAnswer(NamedTuple):
    at: dt.datetime
    dimension: str
    type: str
    score: int


def load(order_ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """The shares of the orders ORDER_IDS that exist, in seven queries."""
    orders = list(WorkOrder.objects.filter(pk__in=order_ids).select_related("customer").only(
        "id", "kind", "category_id", "severity", "channel", "status", "department_id", "province", "owner_id",
        "handler_id", "repeat_count", "flagged", "created_at", "customer__province", "customer__city",
        "customer__segment"))
    ids = [o.pk for o in orders]
    events: dict[int, list] = defaultdict(list)
    # Plain rows (named tuples), not model instances: a rebuild reads millions of them.
    for event in OrderEvent.objects.filter(order_id__in=ids).order_by("at", "id").values_list(
            "id", "order_id", "at", "actor_id", "action", "visibility", named=True):
        events[event.order_id].append(event)
    clocks: dict[int, list] = defaultdict(list)
    for clock in OrderClock.objects.filter(order_id__in=ids).values_list(
            "id", "order_id", "metric", "round", "policy_id", "state", "due_at", "stopped_at", "breached_at", "calendar_id",
            named=True):
        clocks[clock.order_id].append(clock)
    invitations: dict[int, list] = defaultdict(list)
    for item in Invitation.objects.filter(order_id__in=ids).values_list(
            "order_id", "created_at", "status", "feedback_id", named=True):
        invitations[item.order_id].append(item)
    tasks: dict[int, list] = defaultdict(list)
    for item in FollowUpTask.objects.filter(order_id__in=ids).exclude(status=FollowUpTask.Status.CANCELLED).values_list(
            "order_id", "due_at", "outcome", "assignee_id", named=True):
        tasks[item.order_id].append(item)
    answers: dict[int, list] = defaultdict(list)
    for item in Answer.objects.filter(invitation__order_id__in=ids, score__isnull=False).values_list(
            "invitation__order_id", "invitation__answered_at", "question__dimension", "question__type", "score", named=True):
        answers[item.invitation__order_id].append(
            SurveyAnswer(item.invitation__answered_at, item.question__dimension, item.question__type, item.score))
    zone = _zone()
    calendars = _calculators({c.calendar_id for rows in clocks.values() for c in rows})
    return {o.pk: shares(o, events[o.pk], clocks[o.pk], answers[o.pk], now, zone, calendars.get(_calendar_of(clocks[o.pk])),
                         invitations[o.pk], tasks[o.pk])
            for o in orders}


def _calendar_of(clocks: list) -> int | None:
    """The calendar an order's durations are counted in: its resolution limit's (first round),
    else its first limit's."""
    ordered = sorted(clocks, key=lambda c: (c.metric != "resolution", c.round, c.id))
    return ordered[0].calendar_id if ordered else None


def _calculators(calendar_ids: set) -> dict:
    from kefu.sla.calendars import calculator_for
    from kefu.sla.models import Calendar

    names = dict(Calendar.objects.filter(pk__in=calendar_ids).values_list("pk", "name"))
    return {pk: calculator_for(name) for pk, name in names.items()}


# --- contacts: first-contact resolution (一次性解决率) --------------------------------------------

FCR_DAYS = 7  # a further contact by the same customer within this many days: not settled at first contact
# Dimensions a contact has (the rest of DIMENSIONS do not apply to it and are not expanded).
CONTACT_DIMENSIONS = ("channel", "city", "segment")


def contact_share(contact, *, department_id: int, settled: bool, again: bool) -> tuple[dict, list[list]]:
    """A contact's dimensions and atoms: `contacts_ended` on the day it ended, for its agent, and
    `fcr` when its request was settled within it (SETTLED: answered, or every order it raised
    resolved by its end) and the same customer did not come back within FCR_DAYS (AGAIN)."""
    customer = contact.customer
    dims = {"department_id": department_id or 0, "province": (customer.province if customer else "") or "",
            "channel": contact.channel, "city": (customer.city if customer else "") or "",
            "segment": (customer.segment if customer else "") or "", "kind": None, "category": None, "severity": None}
    day = day_of(contact.ended_at)
    atoms = [[day, contact.agent_id or 0, {}, "contacts_ended", 1]]
    if settled and not again:
        atoms.append([day, contact.agent_id or 0, {}, "fcr", 1])
    return dims, atoms


def load_contacts(contact_ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """The shares of the contacts CONTACT_IDS that count (inbound, ended, not abandoned), in
    four queries; the others have none."""
    from django.db.models import Min

    from kefu.contacts.models import Contact, ContactOrder

    counted = list(Contact.objects.filter(pk__in=contact_ids, direction=Contact.Direction.INBOUND, ended_at__isnull=False)
                   .exclude(outcome__in=[Contact.Outcome.ABANDONED, Contact.Outcome.OPEN])
                   .select_related("customer", "agent").only(
                       "id", "channel", "started_at", "ended_at", "outcome", "agent_id", "agent__department_id", "customer_id",
                       "customer__province", "customer__city", "customer__segment"))
    ids = [c.pk for c in counted]
    raised: dict[int, list[int]] = defaultdict(list)
    for contact_id, order_id in ContactOrder.objects.filter(contact_id__in=ids, role=ContactOrder.Role.RAISED).values_list(
            "contact_id", "order_id"):
        raised[contact_id].append(order_id)
    order_ids = {o for orders in raised.values() for o in orders}
    first_resolved = dict(OrderEvent.objects.filter(order_id__in=order_ids, action="resolve").values("order_id")
                          .annotate(at=Min("at")).values_list("order_id", "at"))
    customers = {c.customer_id for c in counted if c.customer_id}
    if counted:
        earliest = min(c.ended_at for c in counted)
        later = list(Contact.objects.filter(customer_id__in=customers, direction=Contact.Direction.INBOUND,
                                            started_at__gt=earliest, started_at__lte=now)
                     .exclude(pk__in=ids).values_list("customer_id", "started_at"))
        later += [(c.customer_id, c.started_at) for c in counted]  # counted contacts are each other's later ones
    else:
        later = []
    by_customer: dict[int, list[dt.datetime]] = defaultdict(list)
    for customer_id, started in later:
        by_customer[customer_id].append(started)
    window = dt.timedelta(days=FCR_DAYS)
    out = {}
    for c in counted:
        orders = raised.get(c.pk, [])
        if c.outcome == Contact.Outcome.TRANSFERRED:
            settled = False
        else:
            settled = all(first_resolved.get(o) is not None and first_resolved[o] <= c.ended_at for o in orders)
        again = c.customer_id is not None and any(c.ended_at < t <= c.ended_at + window for t in by_customer[c.customer_id])
        out[c.pk] = contact_share(c, department_id=c.agent.department_id if c.agent else 0, settled=settled, again=again)
    return out


# --- quality: inspections (质检), corrective actions (整改), knowledge tests (培训考试) -----------------
# Records of a person rather than of a customer: their dimensions are the person's department
# (and for an inspection the inspected contact's channel and region); they count for the person.

def _person_dims(department_id: int | None, **more) -> dict:
    dims = {"department_id": department_id or 0, "province": "", "kind": None, "category": None, "severity": None}
    dims.update(more)
    return dims


def load_inspections(ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """Final inspections (not calibrations'): on the day they became final, for the inspected
    agent, `qa_done`, `qa_points` (the score × 10), `qa_fatal` and `qa_pass`."""
    from kefu.quality.models import Inspection

    rows = (Inspection.objects.filter(pk__in=ids, status=Inspection.Status.FINAL, calibration__isnull=True,
                                      final_at__isnull=False)
            .values_list("pk", "agent_id", "agent__department_id", "final_at", "score", "fatal", "passed", "contact__channel",
                         "contact__customer__province", "contact__customer__city", "contact__customer__segment", named=True))
    zone, out = _zone(), {}
    for r in rows:
        dims = _person_dims(r.agent__department_id, province=r.contact__customer__province or "", channel=r.contact__channel,
                            city=r.contact__customer__city or "", segment=r.contact__customer__segment or "")
        day = day_of(r.final_at, zone)
        atoms = [[day, r.agent_id, {}, "qa_done", 1], [day, r.agent_id, {}, "qa_points", int((r.score or 0) * 10)]]
        if r.fatal:
            atoms.append([day, r.agent_id, {}, "qa_fatal", 1])
        if r.passed:
            atoms.append([day, r.agent_id, {}, "qa_pass", 1])
        out[r.pk] = (dims, _merge(atoms))
    return out


def load_actions(ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """Corrective actions (not cancelled), on their deadline's day once it has passed or they
    were verified, for their owner: `action_due`, and `action_on_time` when verified effective
    and last done by the deadline."""
    from kefu.corrective.models import CorrectiveAction

    rows = (CorrectiveAction.objects.filter(pk__in=ids).exclude(status=CorrectiveAction.Status.CANCELLED)
            .values_list("pk", "owner_id", "department_id", "deadline", "done_at", "status", named=True))
    zone, out = _zone(), {}
    for r in rows:
        verified = r.status == CorrectiveAction.Status.VERIFIED
        if r.deadline is None or (r.deadline > now and not verified):
            out[r.pk] = (_person_dims(r.department_id), [])
            continue
        day = day_of(r.deadline, zone)
        atoms = [[day, r.owner_id or 0, {}, "action_due", 1]]
        if verified and r.done_at is not None and r.done_at <= r.deadline:
            atoms.append([day, r.owner_id or 0, {}, "action_on_time", 1])
        out[r.pk] = (_person_dims(r.department_id), atoms)
    return out


def load_exams(ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """Knowledge tests handed in (or expired unanswered, scored 0), on that day, for the person
    tested: `exam_taken`, `exam_points` (the score × 10), `exam_passed`."""
    from kefu.training.models import ExamAssignment

    rows = (ExamAssignment.objects.filter(pk__in=ids, status__in=[ExamAssignment.Status.SUBMITTED, ExamAssignment.Status.EXPIRED])
            .values_list("pk", "person_id", "person__department_id", "submitted_at", "due_at", "score", "passed", named=True))
    zone, out = _zone(), {}
    for r in rows:
        at = r.submitted_at or r.due_at
        if at is None:
            continue
        day = day_of(at, zone)
        atoms = [[day, r.person_id, {}, "exam_taken", 1], [day, r.person_id, {}, "exam_points", int((r.score or 0) * 10)]]
        if r.passed:
            atoms.append([day, r.person_id, {}, "exam_passed", 1])
        out[r.pk] = (_person_dims(r.person__department_id), _merge(atoms))
    return out


# --- the hotline: calls (呼入) and agents' time (占用率) -------------------------------------------
# A call counts on the day and in the 15-, 30- and 60-minute interval (local time) it was offered,
# for the agent who answered it and the department of that agent (0: nobody answered it).

WAIT_PREFIX = "call_wait:"
# An agent's state from which time counts: signed in and not on a break (available), and of that
# on a call or in after-call work (busy). Values of kefu.cti.models.AgentState.
AVAILABLE_STATES = frozenset({"ready", "on_call", "after_call_work"})
BUSY_STATES = frozenset({"on_call", "after_call_work"})


def wait_bucket(seconds: float) -> int:
    """A queue wait in seconds, floored to its bucket: to the second under a minute, to 5 s under
    5 minutes, to 30 s under half an hour, to 5 minutes beyond (at most 2 hours)."""
    s = max(0, int(seconds))
    if s < 60:
        return s
    if s < 300:
        return s - s % 5
    if s < 1800:
        return s - s % 30
    return min(s - s % 300, 7200)


# Every value `wait_bucket` can give (the names of the wait histogram's measures).
WAIT_BUCKETS = tuple(sorted({wait_bucket(s) for s in range(0, 7201)}))


def intervals(moment: dt.datetime, zone: ZoneInfo | None = None) -> dict[str, str]:
    """The 15-, 30- and 60-minute intervals of MOMENT in local time, each by its start: 09:15."""
    local = moment.astimezone(zone or _zone())
    h, m = local.hour, local.minute
    return {"interval15": f"{h:02d}:{m - m % 15:02d}", "interval30": f"{h:02d}:{m - m % 30:02d}", "hour": f"{h:02d}:00"}


class Thresholds(NamedTuple):
    short_abandon: int  # a caller who gives up within this many seconds of queueing: a short abandon
    answer: int  # answered within this many seconds of queueing: within the service level


def thresholds() -> Thresholds:
    return Thresholds(settings.KEFU_HOTLINE_SHORT_ABANDON_SECONDS, settings.KEFU_HOTLINE_ANSWER_SECONDS)


def call_share(call, limits: Thresholds, zone: ZoneInfo | None = None) -> tuple[dict, list[list]] | None:
    """A call's dimensions and atoms, or None when it has none (it never reached a queue nor an
    agent). CALL has the fields of kefu.cti.models.Call (offered_at, queued_at, answered_at,
    ended_at, wait/talk/hold/acw seconds, abandoned, queue, transfers), `agent_id`,
    `department_id` (its agent's) and `province` (its customer's).

    Measures, for a call that entered a queue (queued_at set; IVR-only calls apart):
    `call_offered`; `call_answered`, with `call_answered_sl` if its wait was at most LIMITS.answer
    seconds and its wait in `call_wait_answered`; abandoned (in the queue or while ringing),
    `call_short_abandoned` if the caller gave up within LIMITS.short_abandon seconds, else
    `call_abandoned`; its wait in the histogram `call_wait:B` once known (facts.wait_bucket).
    For any call an agent answered, once it has ended: `call_handled` and `call_handle_seconds`
    (talk + hold + after-call work, the latter once it has ended). `call_transfers`: its transfers."""
    moment = call.offered_at or call.queued_at
    if moment is None or (call.queued_at is None and call.answered_at is None):
        return None
    zone = zone or _zone()
    dims = {"department_id": call.department_id or 0, "province": call.province or "", "channel": "hotline",
            "queue": (call.queue or "")[:40] or None, "kind": None, "category": None, "severity": None,
            "short_abandon_seconds": limits.short_abandon, "answer_seconds": limits.answer}
    day, extra, agent = day_of(moment, zone), intervals(moment, zone), call.agent_id or 0
    atoms: list[list] = []

    def add(measure: str, value: int = 1) -> None:
        atoms.append([day, agent, extra, measure, value])

    wait = call.wait_seconds
    if call.queued_at is not None:
        add("call_offered")
        if call.answered_at is not None:
            add("call_answered")
            add("call_wait_answered", wait or 0)
            if (wait or 0) <= limits.answer:
                add("call_answered_sl")
        elif call.abandoned:
            add("call_short_abandoned" if (wait or 0) <= limits.short_abandon else "call_abandoned")
        if wait is not None:
            add(f"{WAIT_PREFIX}{wait_bucket(wait)}")
    if call.answered_at is not None and call.ended_at is not None:
        add("call_handled")
        add("call_handle_seconds", (call.talk_seconds or 0) + (call.hold_seconds or 0) + (call.acw_seconds or 0))
    if call.transfers:
        add("call_transfers", call.transfers)
    return (dims, _merge(atoms)) if atoms else None


def load_calls(ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """The shares of the calls IDS that have one, in one query, with the thresholds in force."""
    from django.db.models import F

    from kefu.cti.models import Call

    rows = Call.objects.filter(pk__in=ids).annotate(department_id=F("agent__department_id"),
                                                    province=F("customer__province")).values_list(
        "pk", "offered_at", "queued_at", "answered_at", "ended_at", "wait_seconds", "talk_seconds", "hold_seconds",
        "acw_seconds", "abandoned", "queue", "transfers", "agent_id", "department_id", "province", named=True)
    zone, limits, out = _zone(), thresholds(), {}
    for r in rows:
        if (share := call_share(r, limits, zone)) is not None:
            out[r.pk] = share
    return out


def time_share(user_id: int, department_id: int | None, state: str, start: dt.datetime, end: dt.datetime,
               zone: ZoneInfo | None = None) -> tuple[dict, list[list]] | None:
    """The share of an agent's STATE from START until END (the next change, or now): its seconds
    on each local day it covers, as `agent_available_seconds` when it is available (signed in,
    not on a break) and also `agent_busy_seconds` when busy; None for other states."""
    if state not in AVAILABLE_STATES or end <= start:
        return None
    zone = zone or _zone()
    atoms: list[list] = []
    cursor = start.astimezone(zone)
    stop = end.astimezone(zone)
    while cursor < stop:
        midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(), zone)
        piece_end = min(midnight, stop)
        seconds = round((piece_end - cursor).total_seconds())
        day = cursor.date().toordinal()
        if seconds:
            atoms.append([day, user_id, {}, "agent_available_seconds", seconds])
            if state in BUSY_STATES:
                atoms.append([day, user_id, {}, "agent_busy_seconds", seconds])
        cursor = piece_end
    return (_person_dims(department_id), _merge(atoms)) if atoms else None


def load_agent_time(ids: list[int], now: dt.datetime) -> dict[int, tuple[dict, list[list]]]:
    """The shares of the agent state changes IDS: each state until the same agent's next change
    (or NOW while it lasts), in one query."""
    from django.db.models import OuterRef, Q, Subquery

    from kefu.cti.models import AgentStateChange

    later = (AgentStateChange.objects.filter(user_id=OuterRef("user_id"))
             .filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))).order_by("at", "pk"))
    rows = (AgentStateChange.objects.filter(pk__in=ids).annotate(until=Subquery(later.values("at")[:1]))
            .values_list("pk", "user_id", "user__department_id", "state", "at", "until", named=True))
    zone, out = _zone(), {}
    for r in rows:
        if (share := time_share(r.user_id, r.user__department_id, r.state, r.at, min(r.until or now, now), zone)):
            out[r.pk] = share
    return out
