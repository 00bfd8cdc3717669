"""Closed periods: a month's, a quarter's or a year's report frozen as it was computed.

`close_period` builds the report as management sees it (the whole organisation, in the
installation's language) and keeps its figures as canonical JSON with their SHA-256, which
goes into the audit chain, so a frozen report cannot be altered unnoticed even by someone who
can write the database (decision 0020). Data that changes after the close makes a new version
(`reclose`); a version is never rewritten. `verify` checks a snapshot against its hash and the
audit chain; `frozen_report` reads one back (the whole organisation's, so management only).

The worker calls `close_due` (the last complete month, quarter and year, when not closed yet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import periods, services
from .models import Grain, RebuildRun, Rollup, Snapshot

KINDS = (periods.MONTH, periods.QUARTER, periods.YEAR)
VIEW_SNAPSHOT = "reports.view_snapshot"
CLOSE_PERIOD = "reports.close_period"
# Audit problems that concern the chain as a whole (its sealed, unkeyed beginning, its head):
# whatever entry a snapshot's hash is in, it is not proven while one of these stands.
_CHAIN_WIDE = frozenset({"seal", "unsealed", "seal_key", "head_missing"})


# --- canonical figures ---------------------------------------------------------------------

jsonable = services.jsonable  # the one conversion of a report to JSON values


def canonical(figures: Any) -> bytes:
    """The one byte string FIGURES hash as: sorted keys, no spaces, UTF-8."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def digest(figures: Any) -> str:
    return hashlib.sha256(canonical(jsonable(figures))).hexdigest()


# --- reading ----------------------------------------------------------------------------------

def _period(kind: str, first: dt.date) -> periods.Period:
    if kind not in KINDS:
        message = _("A closed report covers a month, a quarter or a year.")
        raise ValidationFailed(message, fields={"period": message})
    return periods.of_kind(kind, first)


def versions(kind: str, first: dt.date) -> list[Snapshot]:
    """Every version of the period of KIND that starts FIRST (or holds that day), oldest first."""
    period = _period(kind, first)
    return list(Snapshot.objects.filter(period=kind, start=period.first).order_by("version"))


def latest(kind: str, first: dt.date) -> Snapshot | None:
    period = _period(kind, first)
    return Snapshot.objects.filter(period=kind, start=period.first).order_by("-version").first()


def _today() -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


# --- closing ----------------------------------------------------------------------------------

def close_period(kind: str, first: dt.date, *, user=None, today: dt.date | None = None) -> Snapshot | None:
    """Freeze the report of the period of KIND starting FIRST as a new version, or None if its
    figures are those of the latest version already. USER None is the system (the worker);
    a person needs `reports.close_period`. The period must have ended before TODAY (the
    installation's today by default), and no rollup rebuild may be unfinished (the figures would
    be half-built)."""
    if user is not None and not user.has_perm(CLOSE_PERIOD):
        raise Forbidden()
    period = _period(kind, first)
    if period.last >= (today or _today()):
        message = _("A period can be closed once it has ended.")
        raise ValidationFailed(message, fields={"period": message})
    if RebuildRun.objects.filter(finished_at__isnull=True).exists():
        raise Conflict(_("The report figures are being rebuilt; close the period when the rebuild has finished."))
    # The whole organisation's figures, labelled in the installation's language whoever closes.
    with translation.override(settings.LANGUAGE_CODE):
        data = services.report(None, period)
    data.pop("generated_at", None)  # the snapshot's created_at: not a figure, or no two closes would agree
    figures = jsonable(data)
    sha = hashlib.sha256(canonical(figures)).hexdigest()
    previous = latest(kind, period.first)
    if previous is not None and previous.sha256 == sha:
        return None
    version = (previous.version if previous is not None else 0) + 1
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                period=kind, start=period.first, end=period.last, version=version, figures=figures,
                definitions_version=str(data.get("definitions_version", "")), sha256=sha,
                created_at=timezone.now(), created_by=user if getattr(user, "pk", None) else None)
            from kefu.audit import services as audit

            entry = audit.record(user, "create", snapshot, fields=["sha256"], reason=f"sha256={sha}")
            snapshot.audit_entry_id = entry.pk
            snapshot.save(update_fields=["audit_entry_id"])
    except IntegrityError:
        # Another close of the same period won the race for this version: its snapshot stands.
        winner = Snapshot.objects.filter(period=kind, start=period.first, version=version).first()
        if winner is None:
            raise
        return winner
    return snapshot


def reclose(kind: str, first: dt.date, *, user=None, today: dt.date | None = None) -> Snapshot | None:
    """A new version of a closed period when its figures have changed since the latest one
    (late work on its orders, a rebuild); None when nothing changed. Idempotent."""
    return close_period(kind, first, user=user, today=today)


def close_due(today: dt.date | None = None) -> list[Snapshot]:
    """The worker's close: the last complete month, quarter and year that have no snapshot yet,
    closed as the system. Idempotent; waits (closes nothing) while a rollup rebuild is
    unfinished. Clocks that came due without an event are brought into the rollups first."""
    today = today or _today()
    due = [periods.last_complete(kind, today) for kind in KINDS]
    due = [p for p in due if not Snapshot.objects.filter(period=p.kind, start=p.first).exists()]
    # A period that ended before the installation had any figure is not closed (a new
    # installation in November closes no empty report of last year).
    first_figure = Rollup.objects.filter(grain=Grain.DAY).order_by("period").values_list("period", flat=True).first()
    due = [p for p in due if first_figure is not None and p.last >= first_figure]
    if not due or RebuildRun.objects.filter(finished_at__isnull=True).exists():
        return []
    from . import rollups

    rollups.refresh_due()
    closed = []
    for period in due:
        snapshot = close_period(period.kind, period.first, today=today)
        if snapshot is not None:
            closed.append(snapshot)
    return closed


# --- checking ---------------------------------------------------------------------------------

def verify(snapshot: Snapshot) -> list[str]:
    """What is wrong with SNAPSHOT, in words (empty: nothing): figures that no longer hash to
    its sha256, an audit entry that is missing or does not carry that hash, or an audit chain
    that does not verify up to that entry. Walks the whole audit chain (`kefu audit verify`)."""
    from kefu.audit import services as audit
    from kefu.audit.models import AuditEntry

    problems = []
    if digest(snapshot.figures) != snapshot.sha256:
        problems.append(_("The figures do not match the snapshot's hash."))
    entry = AuditEntry.objects.filter(pk=snapshot.audit_entry_id).first() if snapshot.audit_entry_id else None
    if entry is None:
        problems.append(_("The snapshot's audit entry is missing."))
        return problems
    if (entry.object_type != Snapshot._meta.label_lower or entry.object_id != str(snapshot.pk)
            or entry.reason != f"sha256={snapshot.sha256}"):
        problems.append(_("The snapshot's audit entry does not record this snapshot and its hash."))
    try:
        breaks = list(audit.verify_chain().breaks())
    except Exception as exc:  # no audit keys, an unreadable key file…
        problems.append(_("The audit chain could not be verified: %(error)s") % {"error": exc})
        return problems
    for b in breaks:
        concerns = (b.problem in _CHAIN_WIDE or b.entry_id == entry.pk
                    or (b.seq is not None and entry.seq is not None and b.seq <= entry.seq))
        if concerns:
            problems.append(_("The audit chain does not verify at the snapshot's entry (%(problem)s at %(seq)s).")
                            % {"problem": b.problem, "seq": b.seq if b.seq is not None else "—"})
    if entry.seq is None:
        problems.append(_("The snapshot's audit entry is outside the audit chain."))
    return problems


# --- the frozen report as people read it ------------------------------------------------------

def frozen_report(user, kind: str, first: dt.date, version: int | None = None) -> dict:
    """The figures of a closed period (the latest version, or VERSION) as frozen, with the
    snapshot's version, hash and time. A frozen report is the whole organisation's: only those
    who may read closed reports (`reports.view_snapshot`) and every figure (data scope all) read
    it; USER None is the system."""
    if user is not None:
        if not user.has_perm(VIEW_SNAPSHOT) or not services.scope_for(user).everything:
            raise Forbidden()
    period = _period(kind, first)
    rows = Snapshot.objects.filter(period=kind, start=period.first)
    snapshot = (rows.filter(version=version) if version is not None else rows.order_by("-version")).first()
    if snapshot is None:
        raise NotFound(_("This period has not been closed."))
    data = dict(snapshot.figures)
    data["generated_at"] = snapshot.created_at.isoformat()
    data["snapshot"] = {"id": snapshot.pk, "version": snapshot.version, "sha256": snapshot.sha256,
                        "created_at": snapshot.created_at.isoformat(), "audit_entry_id": snapshot.audit_entry_id}
    data["meta"] = [[_("Closed report version"), str(snapshot.version)], [_("Frozen at"), _local_text(snapshot.created_at)],
                    [_("SHA-256 of the figures"), snapshot.sha256]]
    return data


def _local_text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def thaw(data: dict) -> dict:
    """A frozen report's dates and time back as Python values, so that `services.document`
    renders it to Excel or PDF exactly as a live one: services.document(thaw(frozen))."""
    out = dict(data)
    for key in ("period", "previous", "last_year"):
        if isinstance(out.get(key), dict):
            p = dict(out[key])
            for side in ("first", "last"):
                if isinstance(p.get(side), str):
                    p[side] = dt.date.fromisoformat(p[side])
            out[key] = p
    if isinstance(out.get("generated_at"), str):
        out["generated_at"] = dt.datetime.fromisoformat(out["generated_at"])
    return out


CLOSED_KINDS = (periods.MONTH, periods.QUARTER, periods.YEAR)


def versions_for(user, kind: str, first: dt.date) -> list[Snapshot]:
    """The versions of a closed period that USER may read (those who read closed reports), newest first."""
    if user is not None and (not user.has_perm(VIEW_SNAPSHOT) or not services.scope_for(user).everything):
        raise Forbidden()
    return sorted(versions(kind, first), key=lambda s: -s.version)
