"""Closed periods: the report frozen with its hash in the audit chain, new versions only when the
figures change, tampering found by `verify`, concurrent closes, and who reads a frozen report."""

import datetime as dt
import hashlib
import io
import json
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kefu.orders import services as orders
from kefu.reports import exports, periods, rollups, services, snapshots
from kefu.reports.models import RebuildRun, Snapshot
from kefu.staff import roles

TODAY = timezone.localdate()
THIS_MONTH = periods.month(TODAY)
AFTER = THIS_MONTH.last + dt.timedelta(days=1)  # "today" once this month has ended


def registered(figures: dict) -> int:
    return next(r["value"] for r in figures["indicators"] if r["code"] == "orders_registered")


@pytest.fixture
def manager(make_user):
    return make_user(roles.MANAGER, None, "manager")


def add_order(agent, customer, subscription):
    orders.create_order(agent, kind="inquiry", title="查询套餐余量", customer_id=customer.pk,
                        subscription_id=subscription.pk, channel="hotline")
    rollups.rebuild()


def test_jsonable_is_json_and_idempotent():
    moment = dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC)
    data = {"d": dt.date(2026, 11, 1), "t": moment, "n": Decimal("85.0000"), "lazy": gettext_lazy("Month"),
            "f": 2.0, "g": 0.1 + 0.2, "nan": float("nan"), "tuple": (1, 2), 3: "int key", "none": None, "b": True}
    out = snapshots.jsonable(data)
    assert out == {"d": "2026-11-01", "t": "2026-11-30T23:59:00+00:00", "n": "85.0000", "lazy": "Month", "f": 2,
                   "g": 0.30000000000000004, "nan": None, "tuple": [1, 2], "3": "int key", "none": None, "b": True}
    assert type(out["f"]) is int and out["b"] is True
    assert snapshots.jsonable(json.loads(json.dumps(out))) == out
    with pytest.raises(TypeError):
        snapshots.jsonable({"x": object()})


def test_figures_read_back_from_the_database_hash_the_same(db):
    figures = snapshots.jsonable({"big": 1e16, "sum": 0.1 + 0.2, "small": 1.5e-05, "neg": -2.5e-9, "zh": "满意率",
                                  "nested": [{"b": 1, "a": 0.8533333333333334}]})
    sha = snapshots.digest(figures)
    snap = Snapshot.objects.create(period="month", start=dt.date(2020, 1, 1), end=dt.date(2020, 1, 31), version=1,
                                   figures=figures, definitions_version="x", sha256=sha, created_at=timezone.now())
    snap.refresh_from_db()
    assert snapshots.digest(snap.figures) == sha


def test_close_freezes_the_whole_organisations_report(data, agent):
    snap = snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    assert (snap.period, snap.start, snap.end, snap.version) == ("month", THIS_MONTH.first, THIS_MONTH.last, 1)
    figures = snap.figures
    assert figures["period"]["first"] == THIS_MONTH.first.isoformat() and "generated_at" not in figures
    assert registered(figures) == 2
    assert figures["definitions_version"] == snap.definitions_version != ""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert snap.sha256 == hashlib.sha256(canonical).hexdigest()
    entry = AuditEntry.objects.get(pk=snap.audit_entry_id)
    assert (entry.action, entry.object_type, entry.object_id, entry.reason, entry.actor_id) == (
        "create", "reports.snapshot", str(snap.pk), f"sha256={snap.sha256}", None)
    snap.refresh_from_db()
    assert snapshots.verify(snap) == []
    assert snapshots.latest("month", THIS_MONTH.first) == snap == snapshots.versions("month", THIS_MONTH.last)[0]


def test_a_close_without_changes_makes_no_version_and_changes_make_one(data, customer, subscription):
    first = snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    assert snapshots.close_period("month", THIS_MONTH.first, today=AFTER) is None
    assert snapshots.reclose("month", THIS_MONTH.first, today=AFTER) is None
    add_order(data, customer, subscription)
    second = snapshots.reclose("month", THIS_MONTH.first, today=AFTER)
    assert second.version == 2 and second.sha256 != first.sha256
    assert snapshots.reclose("month", THIS_MONTH.first, today=AFTER) is None
    # The first version is never rewritten.
    first.refresh_from_db()
    assert [registered(s.figures) for s in snapshots.versions("month", THIS_MONTH.first)] == [2, 3]
    assert snapshots.verify(first) == [] and snapshots.verify(second) == []


def test_close_due_closes_what_is_missing_once(data, customer, subscription):
    closed = snapshots.close_due(AFTER)
    expected = {(p.kind, p.first) for p in (periods.last_complete(k, AFTER) for k in ("month", "quarter", "year"))}
    assert {(s.period, s.start) for s in closed} == expected
    assert ("month", THIS_MONTH.first) in expected
    assert snapshots.close_due(AFTER) == []
    add_order(data, customer, subscription)
    assert snapshots.close_due(AFTER) == []  # closes only missing periods; reclose makes versions
    assert snapshots.reclose("month", THIS_MONTH.first, today=AFTER).version == 2
    assert Snapshot.objects.count() == 4


def test_close_due_waits_for_an_unfinished_rebuild(data):
    RebuildRun.objects.create(started_at=timezone.now())
    assert snapshots.close_due(AFTER) == []
    with pytest.raises(Conflict):
        snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    assert not Snapshot.objects.exists()


def test_only_ended_periods_of_a_month_quarter_or_year_close(data):
    with pytest.raises(ValidationFailed) as err:
        snapshots.close_period("month", THIS_MONTH.first)  # this month has not ended
    assert "period" in err.value.fields
    with pytest.raises(ValidationFailed):
        snapshots.close_period("week", THIS_MONTH.first, today=AFTER)
    assert not Snapshot.objects.exists()


def test_a_person_closes_with_the_permission(data, agent, manager):
    with pytest.raises(Forbidden):
        snapshots.close_period("month", THIS_MONTH.first, user=agent, today=AFTER)
    snap = snapshots.close_period("month", THIS_MONTH.first, user=manager, today=AFTER)
    assert snap.created_by == manager
    assert AuditEntry.objects.get(pk=snap.audit_entry_id).actor == manager


def test_verify_finds_altered_figures_hash_and_audit(data):
    snap = snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    figures = dict(snap.figures, scope="改过的")
    # The figures changed alone: they no longer match the hash.
    Snapshot.objects.filter(pk=snap.pk).update(figures=figures)
    snap.refresh_from_db()
    assert any("hash" in p for p in snapshots.verify(snap))
    # Figures and hash changed together: the audit entry still holds the old hash.
    Snapshot.objects.filter(pk=snap.pk).update(sha256=snapshots.digest(figures))
    snap.refresh_from_db()
    problems = snapshots.verify(snap)
    assert len(problems) == 1 and "audit entry" in problems[0]
    # And the audit entry rewritten to match: the chain breaks there.
    AuditEntry.objects.filter(pk=snap.audit_entry_id).update(reason=f"sha256={snap.sha256}")
    problems = snapshots.verify(snap)
    assert len(problems) == 1 and "changed" in problems[0]
    # Without its audit entry.
    Snapshot.objects.filter(pk=snap.pk).update(audit_entry_id=None)
    snap.refresh_from_db()
    assert any("missing" in p for p in snapshots.verify(snap))


def test_a_later_break_in_the_chain_does_not_concern_an_earlier_snapshot(data, agent):
    snap = snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    from kefu.audit import services as audit

    later = audit.record(agent, "read", agent, reason="later")
    AuditEntry.objects.filter(pk=later.pk).update(reason="altered")
    assert snapshots.verify(snap) == []


def test_a_lost_race_returns_the_winner(data, monkeypatch):
    winner = snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    # A close that read "no version yet" before the winner committed.
    monkeypatch.setattr(snapshots, "latest", lambda kind, first: None)
    assert snapshots.close_period("month", THIS_MONTH.first, today=AFTER) == winner
    assert Snapshot.objects.count() == 1 and AuditEntry.objects.filter(object_type="reports.snapshot").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_closes_make_one_version(agent, customer, subscription, monkeypatch):
    orders.create_order(agent, kind="complaint", title="话费多扣了20元", customer_id=customer.pk,
                        subscription_id=subscription.pk, channel="hotline")
    rollups.rebuild()
    real_latest = snapshots.latest
    gate = threading.Barrier(2, timeout=30)

    def latest(kind, first):  # both have found no version before either writes one
        found = real_latest(kind, first)
        gate.wait()
        return found

    monkeypatch.setattr(snapshots, "latest", latest)
    results, errors = [], []

    def close():
        try:
            results.append(snapshots.close_period("month", THIS_MONTH.first, today=AFTER))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Snapshot.objects.count() == 1
    only = Snapshot.objects.get()
    assert [r.pk for r in results] == [only.pk, only.pk]
    assert AuditEntry.objects.filter(object_type="reports.snapshot").count() == 1


def test_frozen_report_is_managements(data, agent, supervisor, manager, settings):
    snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    frozen = snapshots.frozen_report(manager, "month", THIS_MONTH.first)
    assert registered(frozen) == 2 and frozen["snapshot"]["version"] == 1
    assert snapshots.frozen_report(None, "month", THIS_MONTH.first, version=1)["snapshot"]["version"] == 1
    with pytest.raises(NotFound):
        snapshots.frozen_report(manager, "month", THIS_MONTH.first, version=2)
    with pytest.raises(NotFound):
        snapshots.frozen_report(manager, "month", THIS_MONTH.previous().first)
    with pytest.raises(Forbidden):
        snapshots.frozen_report(agent, "month", THIS_MONTH.first)  # own figures only
    settings.KEFU_REGION = "广东"  # a supervisor of one region of several
    with pytest.raises(Forbidden):
        snapshots.frozen_report(supervisor, "month", THIS_MONTH.first)


def test_a_frozen_report_exports_like_a_live_one(data, manager):
    snapshots.close_period("month", THIS_MONTH.first, today=AFTER)
    frozen = snapshots.frozen_report(manager, "month", THIS_MONTH.first)
    book = load_workbook(io.BytesIO(exports.to_xlsx(services.document(snapshots.thaw(frozen)))))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert "Orders registered" in cells
    assert frozen["snapshot"]["sha256"] in cells  # the snapshot's hash on the overview
    assert settings.LANGUAGE_CODE == "en"
