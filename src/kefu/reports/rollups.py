"""Keeping the rollups: the orders' shares (facts.py) applied as differences, incrementally from
the order-event hook and the worker, or rebuilt for a range of months (`kefu reports rebuild`).

Both paths go through `refresh`: lock the orders' stored shares, compute their shares now,
add the difference to the day and month rows. A rebuild clears its months first, then refreshes
every order with a share there, adding its whole share inside the cleared months and the
difference outside them; while it runs, incremental refreshes leave alone the orders it has not
reached (it will read them as they are then), so the two never count an order twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone

from kefu.orders import events as events_hook
from kefu.orders.models import WorkOrder

from . import facts
from .models import (
    ActionFact,
    AgentTimeFact,
    CallFact,
    ContactFact,
    ExamFact,
    Grain,
    InspectionFact,
    OrderFact,
    RebuildRun,
    ReportState,
    Rollup,
)

log = logging.getLogger("kefu.reports")

BATCH = 1000
REBUILD_BATCH = 5000  # orders per committed step of a rebuild: more cells shared per write
_UPSERT_ROWS = 400  # rows per INSERT … ON CONFLICT (8 parameters each)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _add(cells: dict[tuple, int]) -> int:
    """Add CELLS ((grain, period, department, province, dim, key, measure) → value) to the
    rollups, in a fixed order (so that concurrent writers lock rows in the same order)."""
    rows = sorted((k, v) for k, v in cells.items() if v)
    if not rows:
        return 0
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        _add_copy(rows)
    else:
        _add_values(rows)
    return len(rows)


_COLUMNS = "grain, period, department_id, province, dim, key, measure, value"
_CONFLICT = " ON CONFLICT (grain, period, dim, measure, key, department_id, province) DO UPDATE SET value = {t}.value + excluded.value"


def _add_copy(rows: list) -> None:
    """PostgreSQL: COPY the cells into a temporary table, then one INSERT … SELECT … ON CONFLICT.
    A large statement's parameters cost more to send than the upsert itself (bench/reports.py)."""
    table = Rollup._meta.db_table
    with transaction.atomic(savepoint=False), connection.connection.cursor() as cursor:  # rows live until the commit
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS reports_rollup_add (grain varchar(1), period date,"
                       " department_id integer, province varchar(20), dim varchar(12), key varchar(40),"
                       " measure varchar(40), value bigint) ON COMMIT DELETE ROWS")
        with cursor.copy(f"COPY reports_rollup_add ({_COLUMNS}) FROM STDIN") as copy:
            for (grain, period, dept, province, dim, key, measure), value in rows:
                copy.write_row((grain, period, dept, province, dim, key, measure, value))
        cursor.execute(f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM reports_rollup_add"
                       " ORDER BY grain, period, dim, measure, key, department_id, province"
                       + _CONFLICT.format(t=table))
        cursor.execute("TRUNCATE reports_rollup_add")


def _add_values(rows: list) -> None:
    """SQLite: multi-row INSERT … ON CONFLICT through the driver's own cursor (Django's wrapper
    rewrites every large statement with a regular expression, which costs more than the insert)."""
    table = Rollup._meta.db_table
    row_sql = "(" + ", ".join(["?"] * 8) + ")"
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(rows), _UPSERT_ROWS):
            chunk = rows[start:start + _UPSERT_ROWS]
            params: list = []
            for (grain, period, dept, province, dim, key, measure), value in chunk:
                params += [grain, period.isoformat(), dept, province, dim, key, measure, value]
            cursor.execute(f"INSERT INTO {table} ({_COLUMNS}) VALUES " + ", ".join([row_sql] * len(chunk))
                           + _CONFLICT.format(t=table), params)
    finally:
        cursor.close()


def _grains(day_cells: dict[tuple, int], sign: int, into: dict[tuple, int], *, only=None, outside=None) -> None:
    """Add SIGN × DAY_CELLS to INTO at day and month grain. ONLY/OUTSIDE: (first, last) days
    whose cells alone are kept / left out."""
    months: dict[int, dt.date] = {}
    for (ordinal, dept, province, dim, key, measure), value in day_cells.items():
        if only is not None and not (only[0] <= ordinal <= only[1]):
            continue
        if outside is not None and outside[0] <= ordinal <= outside[1]:
            continue
        day = dt.date.fromordinal(ordinal)
        month = months.get(ordinal) or months.setdefault(ordinal, month_start(day))
        into[(Grain.DAY, day, dept, province, dim, key, measure)] += sign * value
        into[(Grain.MONTH, month, dept, province, dim, key, measure)] += sign * value


def _span(atoms: list[list]) -> tuple[dt.date | None, dt.date | None]:
    if not atoms:
        return None, None
    days = [a[0] for a in atoms]
    return dt.date.fromordinal(min(days)), dt.date.fromordinal(max(days))


@dataclass(frozen=True)
class Source:
    """What shares come from: the model keeping each one's share, its key, the loader of current
    shares (facts.py), the table it reads and the rebuild's position field."""

    fact: type
    key: str
    load: Callable
    model: Callable
    position: str


def _contact_model():
    from kefu.contacts.models import Contact

    return Contact


def _inspection_model():
    from kefu.quality.models import Inspection

    return Inspection


def _action_model():
    from kefu.corrective.models import CorrectiveAction

    return CorrectiveAction


def _exam_model():
    from kefu.training.models import ExamAssignment

    return ExamAssignment


def _call_model():
    from kefu.cti.models import Call

    return Call


def _state_change_model():
    from kefu.cti.models import AgentStateChange

    return AgentStateChange


ORDERS = Source(OrderFact, "order_id", facts.load, lambda: WorkOrder, "last_order_id")
CONTACTS = Source(ContactFact, "contact_id", facts.load_contacts, _contact_model, "last_contact_id")
# People's records (quality): few beside orders, so a rebuild reads all of them. Their position
# in a rebuild is kept in RebuildRun.positions under the name after "positions:".
INSPECTIONS = Source(InspectionFact, "inspection_id", facts.load_inspections, _inspection_model, "positions:inspections")
ACTIONS = Source(ActionFact, "action_id", facts.load_actions, _action_model, "positions:actions")
EXAMS = Source(ExamFact, "assignment_id", facts.load_exams, _exam_model, "positions:exams")
# The hotline: each call's share, and each agent state change's (the time until the next change).
CALLS = Source(CallFact, "call_id", facts.load_calls, _call_model, "positions:calls")
AGENT_TIME = Source(AgentTimeFact, "change_id", facts.load_agent_time, _state_change_model, "positions:agent_time")
SOURCES = (ORDERS, CONTACTS, INSPECTIONS, ACTIONS, EXAMS, CALLS, AGENT_TIME)


def _position(run: RebuildRun, source: Source) -> int:
    if source.position.startswith("positions:"):
        return int(run.positions.get(source.position[10:], 0))
    return getattr(run, source.position)


def _set_position(run: RebuildRun, source: Source, value: int) -> str:
    """Move RUN's position for SOURCE to VALUE; the field to save."""
    if source.position.startswith("positions:"):
        run.positions = {**run.positions, source.position[10:]: value}
        return "positions"
    setattr(run, source.position, value)
    return source.position


def refresh(ids_in, *, now: dt.datetime | None = None, cleared: tuple[int, int] | None = None,
            source: Source = ORDERS) -> int:
    """Bring the rollups up to date with the orders (or SOURCE's rows) IDS_IN, in the caller's
    transaction. CLEARED: (first, last) day ordinals of a rebuild's cleared months, where their
    whole share is added instead of the difference. Returns the number refreshed."""
    ids = sorted(set(ids_in))
    if not ids:
        return 0
    now = now or timezone.now()
    Fact, key = source.fact, source.key
    # Lock the stored shares (creating empty ones first), so two refreshes of one row queue.
    _shares_write(Fact, [(i, {}, [], None, None, now) for i in ids], ignore_conflicts=True)
    stored = {i: (dims, atoms) for i, dims, atoms in Fact.objects.select_for_update().filter(**{f"{key}__in": ids})
              .order_by(key).values_list(key, "dims", "atoms")}
    current = source.load(ids, now)
    cells: dict[tuple, int] = defaultdict(int)
    changed, gone = [], []
    for i in ids:
        old_dims, old_atoms = stored[i]
        new = current.get(i)
        if old_atoms:
            _grains(facts.expand(old_dims, old_atoms), -1, cells, outside=cleared)
        if new is None:
            gone.append(i)
            continue
        dims, atoms = new
        _grains(facts.expand(dims, atoms), +1, cells)
        if dims != old_dims or atoms != old_atoms or cleared is not None:
            changed.append((i, dims, atoms, *_span(atoms), now))
    _add(cells)
    if changed or gone:
        # Rewritten as new rows (they are locked): much cheaper than an UPDATE … CASE per row.
        Fact.objects.filter(**{f"{key}__in": [row[0] for row in changed] + gone})._raw_delete(connection.alias)
        _shares_write(Fact, changed)
    return len(ids)


def _shares_write(Fact, rows: list, *, ignore_conflicts: bool = False) -> None:
    """Insert shares ROWS ((key, dims, atoms, first day, last day, computed at) tuples) through
    the driver: COPY on PostgreSQL (or one INSERT … SELECT unnest(…) for empty placeholders),
    executemany on SQLite. The ORM's per-value compilation cost more than the rest of a batch."""
    if not rows:
        return
    meta = Fact._meta
    table, key = meta.db_table, meta.pk.column
    columns = f"{key}, dims, atoms, first_day, last_day, computed_at"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        if connection.vendor == "postgresql":
            if ignore_conflicts:
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT unnest(%s::bigint[]), '{{}}', '[]', NULL, NULL, %s"
                               " ON CONFLICT DO NOTHING", [[r[0] for r in rows], rows[0][5]])
            else:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for i, dims, atoms, first, last, at in rows:
                        copy.write_row((i, json.dumps(dims), json.dumps(atoms), first, last, at))
        else:
            verb = "INSERT OR IGNORE" if ignore_conflicts else "INSERT"
            day, moment = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
            cursor.executemany(f"{verb} INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?)",
                               [(i, json.dumps(dims), json.dumps(atoms), day(first), day(last), moment(at))
                                for i, dims, atoms, first, last, at in rows])
    finally:
        cursor.close()


class RebuildInProgress(Exception):
    """A rebuild is unfinished: incremental refreshes wait for it (the events stay unhandled)."""


LOCK = "rollups"


def _lock() -> None:
    """The row lock that orders incremental refreshes and the start of a rebuild."""
    ReportState.objects.get_or_create(name=LOCK, defaults={"at": timezone.now()})
    ReportState.objects.select_for_update().get(name=LOCK)


def refresh_incremental(order_ids, *, now=None, source: Source = ORDERS) -> int:
    """`refresh` for the order-event consumer and the worker, in a transaction of its own. While
    a rebuild is unfinished it raises RebuildInProgress: the rebuild reads the orders as they
    are when it reaches them, and the events wait until it has finished."""
    with transaction.atomic():
        _lock()
        if RebuildRun.objects.filter(finished_at__isnull=True).exists():
            raise RebuildInProgress
        return refresh(order_ids, now=now, source=source)


# --- the order-event hook's "after" phase --------------------------------------------------

CONSUMER = "reports"  # the name the app subscribes on_order_events under (apps.py)


def on_order_events(events) -> None:
    """The consumer "reports": the orders behind a batch of committed events, refreshed."""
    try:
        refresh_incremental({e.order_id for e in events})
    except RebuildInProgress:
        raise events_hook.Defer("a rollup rebuild is unfinished") from None


# --- clocks that came due without an event --------------------------------------------------

DUE_WATERMARK = "clocks_due"


def refresh_due(now: dt.datetime | None = None) -> int:
    """The orders whose running clocks came due since the last call (nothing is recorded on the
    order when a due time passes), or whose customers were surveyed or given a follow-up task
    (_surveyed), the contacts that ended, people's records (_people_records) and the hotline's
    calls and agent states (_hotline_records), refreshed. The first call starts from now."""
    from kefu.sla.models import OrderClock

    now = now or timezone.now()
    with transaction.atomic():
        _lock()
        if RebuildRun.objects.filter(finished_at__isnull=True).exists():
            return 0  # the rebuild reads every clock as it is; the watermark waits for it
        state, created = ReportState.objects.select_for_update().get_or_create(name=DUE_WATERMARK, defaults={"at": now})
        if created:
            return 0
        since = state.at
        ids = sorted(set(OrderClock.objects.filter(state=OrderClock.State.RUNNING, due_at__gt=since, due_at__lte=now)
                         .values_list("order_id", flat=True).distinct()) | _surveyed(since, now))
        state.at = now
        state.save(update_fields=["at"])
        for start in range(0, len(ids), BATCH):
            refresh(ids[start:start + BATCH], now=now)
        contacts = _contacts_ended(since, now)
        for start in range(0, len(contacts), BATCH):
            refresh(contacts[start:start + BATCH], now=now, source=CONTACTS)
        records = 0
        for source, changed in _people_records(since, now) + _hotline_records(since, now):
            for start in range(0, len(changed), BATCH):
                records += refresh(changed[start:start + BATCH], now=now, source=source)
    return len(ids) + len(contacts) + records


def _people_records(since: dt.datetime, now: dt.datetime) -> list[tuple[Source, list[int]]]:
    """The inspections that became final, the corrective actions changed or come due and the
    tests handed in or expired in (SINCE, NOW]."""
    Inspection, Action, Exam = _inspection_model(), _action_model(), _exam_model()
    inspections = Inspection.objects.filter(final_at__gt=since, final_at__lte=now).values_list("pk", flat=True)
    actions = Action.objects.filter(Q(updated_at__gt=since, updated_at__lte=now) | Q(deadline__gt=since, deadline__lte=now))
    exams = Exam.objects.filter(updated_at__gt=since, updated_at__lte=now).values_list("pk", flat=True)
    return [(INSPECTIONS, sorted(inspections)), (ACTIONS, sorted(actions.values_list("pk", flat=True))), (EXAMS, sorted(exams))]


# A call's or an agent state's row is written a moment before its transaction commits: the
# watermark reads this far back, so one committed just after a pass is not missed (a refresh
# of a row counted already changes nothing).
SETTLE = dt.timedelta(seconds=60)


def _hotline_records(since: dt.datetime, now: dt.datetime) -> list[tuple[Source, list[int]]]:
    """The calls changed in (SINCE, NOW]; the agent state changes made then, those before them
    that they ended, and the states still lasting (their time counts up to NOW)."""
    from django.db.models import OuterRef, Subquery

    from kefu.cti.models import AgentStatus

    Call, Change = _call_model(), _state_change_model()
    calls = Call.objects.filter(updated_at__gt=since - SETTLE, updated_at__lte=now).values_list("pk", flat=True)
    made = Change.objects.filter(at__gt=since - SETTLE, at__lte=now)
    before = (Change.objects.filter(user_id=OuterRef("user_id"))
              .filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))).order_by("-at", "-pk"))
    latest = Change.objects.filter(user_id=OuterRef("user_id")).order_by("-at", "-pk")
    lasting = (AgentStatus.objects.filter(state__in=facts.AVAILABLE_STATES)
               .annotate(change=Subquery(latest.values("pk")[:1])).values_list("change", flat=True))
    changes = {*made.values_list("pk", flat=True),
               *made.annotate(ended=Subquery(before.values("pk")[:1])).values_list("ended", flat=True), *lasting}
    return [(CALLS, sorted(calls)), (AGENT_TIME, sorted(c for c in changes if c is not None))]


# --- the call hook: today's hotline figures within a second or two ----------------------------
# Call events come by the thousand a second (issue 18); refreshing each one's call in its own
# transaction would queue them all on the rollups' lock and the day's hottest cells. So on
# PostgreSQL a process gathers the calls it hears of and refreshes them together, HOOK_SECONDS
# after the first (a timer thread); calls gathered by a process that ends before its timer fires
# are the watermark's (refresh_due). On SQLite (one writer at a time whatever we do, and a
# second thread's connection would only add "database is locked"), or with HOOK_SECONDS 0, at
# once in the caller's thread.

HOOK_SECONDS = 1.0
_gathered: set[int] = set()
_timer: threading.Timer | None = None
_gathering = threading.Lock()


def on_calls(call_ids: list[int]) -> None:
    """The subscriber of kefu.cti.events (apps.py): the calls a committed transaction changed,
    refreshed within HOOK_SECONDS, so that the wallboard's figures of today are fresh."""
    global _timer
    if HOOK_SECONDS <= 0 or connection.vendor != "postgresql":
        refresh_calls(call_ids)
        return
    with _gathering:
        _gathered.update(call_ids)
        if _timer is None:
            _timer = threading.Timer(HOOK_SECONDS, _flush_calls)
            _timer.daemon = True
            _timer.start()


def _flush_calls() -> None:
    """The timer thread: the calls gathered so far, refreshed in one transaction."""
    global _gathered, _timer
    with _gathering:
        ids, _gathered, _timer = _gathered, set(), None
    try:
        refresh_calls(ids)
    except Exception:  # the watermark catches up; a timer thread has nobody to tell
        log.exception("reports: refreshing %d calls failed; left to the watermark", len(ids))
    finally:
        connections.close_all()  # this thread's own connections


def refresh_calls(call_ids) -> int:
    """The calls CALL_IDS refreshed in a transaction of their own; while a rebuild is unfinished
    they are left to the worker's watermark (over Call.updated_at), which also catches up any
    call the hook missed."""
    try:
        return refresh_incremental(call_ids, source=CALLS)
    except RebuildInProgress:
        log.info("reports: a rollup rebuild is unfinished; %d calls left to the watermark", len(set(call_ids)))
        return 0


def _surveyed(since: dt.datetime, now: dt.datetime) -> set[int]:
    """Orders whose customers were invited to a survey, answered one, were given a follow-up task
    or whose open follow-up task came due in (SINCE, NOW]: none of it is an order event."""
    from kefu.followup.models import FollowUpTask
    from kefu.surveys.models import Invitation

    made = Invitation.objects.filter(order__isnull=False, created_at__gt=since, created_at__lte=now)
    answered = Invitation.objects.filter(order__isnull=False, answered_at__gt=since, answered_at__lte=now)
    tasks = FollowUpTask.objects.filter(created_at__gt=since, created_at__lte=now)
    came_due = FollowUpTask.objects.filter(status=FollowUpTask.Status.OPEN, due_at__gt=since, due_at__lte=now)
    return {*made.values_list("order_id", flat=True), *answered.values_list("order_id", flat=True),
            *tasks.values_list("order_id", flat=True), *came_due.values_list("order_id", flat=True)}


def _contacts_ended(since: dt.datetime, now: dt.datetime) -> list[int]:
    """Contacts that ended in (SINCE, NOW], and the earlier contacts of the same customers that
    the new ones may have made not settled at first contact (facts.FCR_DAYS)."""
    Contact = _contact_model()
    ended = list(Contact.objects.filter(started_at__gt=since - dt.timedelta(days=1), started_at__lte=now,
                                        ended_at__gt=since, ended_at__lte=now).values_list("pk", "customer_id"))
    customers = {c for _pk, c in ended if c}
    earlier = Contact.objects.filter(customer_id__in=customers, started_at__gte=since - dt.timedelta(days=facts.FCR_DAYS + 1),
                                     ended_at__isnull=False).values_list("pk", flat=True) if customers else []
    return sorted({pk for pk, _c in ended} | set(earlier))


# --- rebuild ---------------------------------------------------------------------------------

def rebuild(date_from: dt.date | None = None, date_to: dt.date | None = None, *, batch: int = REBUILD_BATCH,
            max_batches: int | None = None, progress=None) -> RebuildRun:
    """Recompute the rollups of the months from DATE_FROM to DATE_TO (both widened to whole
    months; None: all). Resumes an unfinished rebuild of the same range; idempotent. Each batch
    of orders commits by itself. MAX_BATCHES: stop after that many (the worker's slices)."""
    first = month_start(date_from) if date_from else None
    last = month_end(date_to) if date_to else None
    with transaction.atomic():
        _lock()
        run = (RebuildRun.objects.select_for_update().filter(finished_at__isnull=True, date_from=first, date_to=last)
               .order_by("-id").first())
        if run is None:
            if RebuildRun.objects.filter(finished_at__isnull=True).exists():
                other = RebuildRun.objects.filter(finished_at__isnull=True).first()
                raise RuntimeError(f"another rebuild is unfinished ({other.date_from} – {other.date_to}); resume it first")
            # A rebuild of everything covers the order events recorded before it (they have
            # committed; it reads every order after them): the consumer skips them when it ends.
            run = RebuildRun.objects.create(date_from=first, date_to=last, started_at=timezone.now(),
                                            events_upto=events_hook.settled_latest_id() if first is None and last is None else 0)
        if not run.cleared:
            _clear(first, last)
            run.cleared = True
            run.save(update_fields=["cleared"])
    cleared = (first.toordinal() if first else 1, last.toordinal() if last else dt.date.max.toordinal())
    batches = 0
    for source in SOURCES:
        candidates = _candidates(source, first, last)
        top = source.model().objects.aggregate(top=Max("pk"))["top"] or 0
        while True:
            with transaction.atomic():
                run = RebuildRun.objects.select_for_update().get(pk=run.pk)
                position = _position(run, source)
                if position >= top and top:
                    break
                ids = list(candidates.filter(pk__gt=position, pk__lte=top).order_by("pk").values_list("pk", flat=True)[:batch])
                if not ids:
                    if first is None:  # shares of rows that no longer exist
                        gone = source.fact.objects.exclude(**{f"{source.key}__in": source.model().objects.values("pk")})
                        refresh(list(gone.values_list(source.key, flat=True)), cleared=cleared, source=source)
                    run.save(update_fields=[_set_position(run, source, top)])
                    break
                refresh(ids, cleared=cleared, source=source)
                field = _set_position(run, source, ids[-1])
                if source is ORDERS:
                    run.orders_done += len(ids)
                run.save(update_fields=[field, "orders_done"])
            batches += 1
            if progress is not None:
                progress(run)
            if max_batches is not None and batches >= max_batches:
                return run
    with transaction.atomic():
        run = RebuildRun.objects.select_for_update().get(pk=run.pk)
        Rollup.objects.filter(value=0).delete()
        # Clocks that came due and contacts that ended after they were read are the worker's from here.
        state, _ = ReportState.objects.get_or_create(name=DUE_WATERMARK, defaults={"at": run.started_at})
        if state.at > run.started_at:
            ReportState.objects.filter(pk=state.pk).update(at=run.started_at)
        if run.events_upto:
            events_hook.covered(CONSUMER, run.events_upto)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    return run


def _clear(first: dt.date | None, last: dt.date | None) -> None:
    rows = Rollup.objects.all()
    if first is not None:
        rows = rows.filter(period__gte=first)
    if last is not None:
        rows = rows.filter(period__lte=last)
    rows._raw_delete(rows.db)  # no signals, no cascades: one DELETE


def _candidates(source: Source, first: dt.date | None, last: dt.date | None):
    """The rows of SOURCE that may have a share in the months FIRST … LAST: those with a stored
    share there, those begun (registered, started, offered, changed) in the range, and orders and
    contacts with no share yet (calls that never reached a queue and states that count no time
    have none: they would be read by every rebuild). A share never starts before the row does; a
    contact's ends with it; a call's is on the day it was offered."""
    rows = source.model().objects.all()
    if (first is None and last is None) or source.key not in BEGUN:
        return rows  # people's records are few: all of them
    begun = BEGUN[source.key]
    q = Q()
    if last is not None:
        q &= Q(**{f"{begun}__date__lte": last + dt.timedelta(days=1)})
    if first is not None:
        reaching = source.fact.objects.filter(last_day__gte=first).values(source.key)
        since = Q(**{f"{begun}__date__gte": first - dt.timedelta(days=FIRST_MARGIN_DAYS[source.key])}) | Q(pk__in=reaching)
        if source in (ORDERS, CONTACTS):
            since |= ~Q(pk__in=source.fact.objects.values(source.key))
        q &= since
    return rows.filter(q)


# The moment each row begins; how long before the range a row may begin and still first count in
# it: a day of time zones for orders (registered on the day it counts) and calls (offered on
# it), a contact may end some days after it started; an agent's state that lasts longer reaches
# the range through its stored share.
BEGUN = {"order_id": "created_at", "contact_id": "started_at", "call_id": "offered_at", "change_id": "at"}
FIRST_MARGIN_DAYS = {"order_id": 1, "contact_id": 2, "call_id": 1, "change_id": 1}


def resume_unfinished(max_batches: int = 4) -> RebuildRun | None:
    """The worker's share of an interrupted rebuild: a few more batches, if one is unfinished."""
    run = RebuildRun.objects.filter(finished_at__isnull=True).order_by("-id").first()
    if run is None:
        return None
    return rebuild(run.date_from, run.date_to, max_batches=max_batches)
