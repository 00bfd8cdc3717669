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
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from kefu.orders import events as events_hook
from kefu.orders.models import WorkOrder

from . import facts
from .models import (
    ActionFact,
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


ORDERS = Source(OrderFact, "order_id", facts.load, lambda: WorkOrder, "last_order_id")
CONTACTS = Source(ContactFact, "contact_id", facts.load_contacts, _contact_model, "last_contact_id")
# People's records (quality): few beside orders, so a rebuild reads all of them. Their position
# in a rebuild is kept in RebuildRun.positions under the name after "positions:".
INSPECTIONS = Source(InspectionFact, "inspection_id", facts.load_inspections, _inspection_model, "positions:inspections")
ACTIONS = Source(ActionFact, "action_id", facts.load_actions, _action_model, "positions:actions")
EXAMS = Source(ExamFact, "assignment_id", facts.load_exams, _exam_model, "positions:exams")
SOURCES = (ORDERS, CONTACTS, INSPECTIONS, ACTIONS, EXAMS)


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
    (_surveyed), and the contacts that ended, refreshed. The first call starts from now."""
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
        for source, changed in _people_records(since, now):
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
    share there, those with none yet, and those begun (registered, started) in the range. A
    share never starts before the row does; a contact's ends with it."""
    rows = source.model().objects.all()
    if (first is None and last is None) or source not in (ORDERS, CONTACTS):
        return rows  # people's records are few: all of them
    begun = "created_at" if source is ORDERS else "started_at"
    q = Q()
    if last is not None:
        q &= Q(**{f"{begun}__date__lte": last + dt.timedelta(days=1)})
    if first is not None:
        reaching = source.fact.objects.filter(last_day__gte=first).values(source.key)
        q &= (Q(**{f"{begun}__date__gte": first - dt.timedelta(days=FIRST_MARGIN_DAYS[source.key])}) | Q(pk__in=reaching)
              | ~Q(pk__in=source.fact.objects.values(source.key)))
    return rows.filter(q)


# How long before the range a row may begin and still first count in it: a day of time zones for
# orders (registered on the day it counts), a contact may end some days after it started.
FIRST_MARGIN_DAYS = {"order_id": 1, "contact_id": 2}


def resume_unfinished(max_batches: int = 4) -> RebuildRun | None:
    """The worker's share of an interrupted rebuild: a few more batches, if one is unfinished."""
    run = RebuildRun.objects.filter(finished_at__isnull=True).order_by("-id").first()
    if run is None:
        return None
    return rebuild(run.date_from, run.date_to, max_batches=max_batches)
