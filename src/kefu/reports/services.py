"""Reports: who may read which figures, and the report of a period — every indicator against
its target with the previous period and the same period last year, breakdowns, complaint
analysis, time-limit compliance, the backlog at the period's end and the agents' league table.

Figures come from the rollups (queries.py) through the registry (indicators.py) and nowhere
else. The same report dict feeds the page, the API and the exports (`document`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu import scopes
from kefu.contacts.models import Channel
from kefu.core.errors import Forbidden, ValidationFailed
from kefu.customers.models import Segment
from kefu.orders.models import Category, Kind, Severity
from kefu.sla.models import Metric, SlaPolicy
from kefu.staff.models import DataScope, Department, User

from . import document as doc
from . import indicators as reg
from . import periods, queries
from .models import IndicatorTarget

VIEW_REPORT = "reports.view_report"
VIEW_OWN = "reports.view_own_figures"


# --- who reads what -------------------------------------------------------------------------

def scope_for(user) -> queries.Scope:
    """The rollup rows USER may read: management everything, supervisors and quality managers
    their data scope (department, region), agents only their own figures."""
    if user is None:
        return queries.Scope(everything=True)
    if user.has_perm(VIEW_REPORT):
        scope = scopes.scope_of(user)
        if scope == DataScope.ALL:
            return queries.Scope(everything=True)
        if scope == DataScope.REGION:
            region = scopes.region_of(user)
            if not region:  # an installation serving one region: the region is everything
                return queries.Scope(everything=True)
            return queries.Scope(department_id=user.department_id, province=region)
        if scope == DataScope.DEPARTMENT and user.department_id:
            return queries.Scope(department_id=user.department_id)
    if user.has_perm(VIEW_OWN) or user.has_perm(VIEW_REPORT):
        return queries.Scope(agent_id=user.pk, department_id=user.department_id)
    raise Forbidden()


def scope_label(user, scope: queries.Scope) -> str:
    if scope.everything:
        return _("All departments and regions")
    if scope.agent_id is not None:
        return _("My own figures: %(name)s") % {"name": str(user)}
    parts = []
    if scope.department_id:
        dept = Department.objects.filter(pk=scope.department_id).first()
        parts.append(dept.name if dept else str(scope.department_id))
    if scope.province:
        parts.append(scope.province)
    return "、".join(parts)


# --- targets ---------------------------------------------------------------------------------

def targets_for(first: dt.date) -> dict[str, Decimal | None]:
    """The target of each indicator in force on FIRST: the latest set by an administrator from
    that day or before, else the registry's default."""
    out: dict[str, Decimal | None] = {code: ind.target for code, ind in reg.REGISTRY.items()}
    for row in IndicatorTarget.objects.filter(valid_from__lte=first).order_by("indicator", "valid_from", "id"):
        if row.indicator in out:
            out[row.indicator] = row.value
    return out


def set_target(user, code: str, value, valid_from: dt.date, note: str = "") -> IndicatorTarget:
    """A new version of an indicator's target (administrators)."""
    if not user.has_perm("reports.add_indicatortarget"):
        raise Forbidden()
    if code not in reg.REGISTRY:
        raise ValidationFailed(_("Unknown indicator."), fields={"indicator": _("Unknown indicator.")})
    try:
        number = Decimal(str(value))
    except Exception:
        raise ValidationFailed(_("The target must be a number."), fields={"value": _("The target must be a number.")}) from None
    from kefu.audit import services as audit

    target = IndicatorTarget.objects.create(indicator=code, value=number, valid_from=valid_from, note=note, created_by=user)
    audit.record(user, "create", target, fields=["indicator", "value", "valid_from"],
                 reason=f"{code} = {number} ({valid_from.isoformat()})")
    return target


# --- computing -------------------------------------------------------------------------------

def _figures(sums: dict[str, int], subscribers: int | None) -> reg.Figures:
    return reg.Figures(sums, subscribers=subscribers)


def compute(codes, period: periods.Period, scope: queries.Scope, *, by: str = "") -> dict[str, dict[str, float | None]]:
    """{key: {code: value}} of the indicators CODES over PERIOD in SCOPE (key "" in total, else
    the keys of the breakdown BY). A department's or region's readers read the hotline's
    indicators with the calls nobody answered (queries.Scope.unassigned)."""
    codes = [c for c in codes if not by or by in reg.REGISTRY[c].dims]
    hotline = [c for c in codes if reg.REGISTRY[c].group == reg.HOTLINE_GROUP]
    if not hotline or scope.everything or scope.agent_id is not None or scope.unassigned:
        return _compute(codes, period, scope, by)
    rest = [c for c in codes if c not in hotline]
    out = _compute(rest, period, scope, by) if rest else {}
    empty = {c: reg.REGISTRY[c].compute(_figures({}, None)) for c in rest}
    for key, values in _compute(hotline, period, dataclasses.replace(scope, unassigned=True), by).items():
        out.setdefault(key, dict(empty)).update(values)
    return out


def _compute(codes, period: periods.Period, scope: queries.Scope, by: str) -> dict[str, dict[str, float | None]]:
    flow = [c for c in codes if not reg.REGISTRY[c].stock]
    stock = [c for c in codes if reg.REGISTRY[c].stock]
    names, prefixes = reg.measures_of(flow)
    data = queries.sums(period, scope, names, prefixes, by=by) if flow else {}
    if stock:
        level_names, _p = reg.measures_of(stock)
        for key, values in queries.levels(period.last, scope, level_names, by=by).items():
            data.setdefault(key, {}).update(values)
    needs_subscribers = any(reg.REGISTRY[c].unit in (reg.PER_10K, reg.PER_MILLION) for c in codes)
    subs: dict[str, int] | int | None = None
    if needs_subscribers and scope.agent_id is None:
        if by == "province":
            subs = queries.subscribers(period.midpoint, by_province=True)
        elif by == "":
            subs = queries.subscribers(period.midpoint, province=None if scope.everything or scope.department_id else scope.province)
    keys = set(data) | ({""} if by == "" else set())
    out = {}
    for key in keys:
        n = subs.get(key) if isinstance(subs, dict) else subs
        figures = _figures(data.get(key, {}), n)
        out[key] = {c: reg.REGISTRY[c].compute(figures) for c in codes}
    return out


def _change(value, before) -> float | None:
    if value is None or before is None:
        return None
    return value - before


def indicator_rows(period: periods.Period, scope: queries.Scope, codes=reg.HEADLINE) -> list[dict]:
    """Each indicator against its target, the previous period and the same period last year."""
    previous, last_year = period.previous(), period.last_year()
    now = compute(codes, period, scope)[""]
    before = compute(codes, previous, scope)[""]
    year_ago = compute(codes, last_year, scope)[""]
    targets = targets_for(period.first)
    rows = []
    for code in codes:
        ind = reg.REGISTRY[code]
        if scope.agent_id is not None and ind.unit in (reg.PER_10K, reg.PER_MILLION):
            continue  # rates per subscriber are the operator's, not one person's
        value, target = now.get(code), targets.get(code)
        rows.append({
            "code": code, "name": ind.name, "unit": ind.unit, "direction": ind.direction,
            # "target" as administrators set it (percent targets in percent: 85); "target_value"
            # the figure VALUE is compared with (0.85).
            "definition": ind.definition, "group": ind.group, "group_label": GROUP_LABELS[ind.group]() if ind.group else "",
            "value": value, "target": float(target) if target is not None else None,
            "target_value": target_value(code, target), "met": ind.met(value, target),
            "previous": before.get(code), "last_year": year_ago.get(code),
            "change_previous": _change(value, before.get(code)), "change_last_year": _change(value, year_ago.get(code)),
        })
    return rows


# --- labels of breakdown keys --------------------------------------------------------------

DIMENSION_LABELS = {
    "department": lambda: _("Department"), "province": lambda: _("Province"), "city": lambda: _("City"),
    "channel": lambda: _("Channel"), "kind": lambda: _("Kind"), "category": lambda: _("Category"),
    "severity": lambda: _("Severity"), "segment": lambda: _("Customer segment"), "agent": lambda: _("Staff member"),
    "policy": lambda: _("Time limit policy"), "queue": lambda: _("Queue"),
    "interval15": lambda: _("15-minute interval"), "interval30": lambda: _("Half-hour interval"),
    "hour": lambda: _("Hour of day"),
}
GROUP_LABELS = {reg.HOTLINE_GROUP: lambda: _("Hotline")}
INTERVAL_MINUTES = {"interval15": 15, "interval30": 30, "hour": 60}


def interval_label(dim: str, key: str) -> str:
    """An interval by its start ("09:15") as its span: 09:15–09:30."""
    try:
        hours, minutes = (int(part) for part in key.split(":"))
    except ValueError:
        return key
    end = hours * 60 + minutes + INTERVAL_MINUTES[dim]
    return f"{key}–{end // 60:02d}:{end % 60:02d}"


def key_labels(dim: str, keys) -> dict[str, str]:
    keys = [k for k in keys if k != ""]
    ints = [int(k) for k in keys if k.lstrip("-").isdigit()]
    if dim == "department":
        names = dict(Department.objects.filter(pk__in=ints).values_list("pk", "name"))
        return {k: names.get(int(k), _("No department")) if k.isdigit() else k for k in keys} | {"0": _("No department")}
    if dim == "agent":
        people = {u.pk: str(u) for u in User.objects.filter(pk__in=ints)}
        return {k: people.get(int(k), k) for k in keys}
    if dim == "category":
        names = dict(Category.objects.filter(pk__in=ints).values_list("pk", "name"))
        return {k: names.get(int(k), k) for k in keys}
    if dim == "policy":
        names = dict(SlaPolicy.objects.filter(pk__in=ints).values_list("pk", "name"))
        return {k: names.get(int(k), _("No policy")) for k in keys}
    if dim in INTERVAL_MINUTES:
        return {k: interval_label(dim, k) for k in keys}
    choices = {"channel": Channel, "kind": Kind, "severity": Severity, "segment": Segment}.get(dim)
    if choices is not None:
        labels = dict(choices.choices)
        return {k: str(labels.get(k, k)) for k in keys}
    return {k: k for k in keys}


BREAKDOWN_CODES = ("orders_registered", "complaints", "satisfaction_rate", "fcr_rate", "on_time_rate", "reopen_rate",
                   "backlog")
# The hotline's own breakdowns (queue, time of day) and its columns there; beside the orders'
# columns by department, and in the league table, a few of them when the period had calls.
HOTLINE_BREAKDOWNS = ("queue", "hour", "interval30", "interval15")
HOTLINE_BY_CODES = ("calls_offered", "answer_rate", "service_level", "abandon_rate", "asa", "longest_wait", "aht",
                    "transfers")
HOTLINE_BESIDE = ("calls_offered", "service_level", "asa", "aht", "occupancy")
HOTLINE_LEAGUE = ("calls_answered", "aht", "occupancy")
BREAKDOWNS = ("department", "channel", "kind", "category", "severity", "province", "city", "segment", *HOTLINE_BREAKDOWNS)


def breakdown_codes(dim: str, hotline: bool) -> tuple[str, ...]:
    """The columns of the breakdown by DIM of a report; HOTLINE: the period had calls."""
    if dim in HOTLINE_BREAKDOWNS:
        return HOTLINE_BY_CODES
    if hotline and dim == "department":
        return BREAKDOWN_CODES + HOTLINE_BESIDE
    return BREAKDOWN_CODES


def breakdown(period: periods.Period, scope: queries.Scope, dim: str, codes=BREAKDOWN_CODES) -> dict:
    values = compute(codes, period, scope, by=dim)
    labels = key_labels(dim, values)
    rows: list[dict[str, Any]] = [{"key": k, "label": labels.get(k, k), "values": v} for k, v in values.items() if k != ""]
    if dim in INTERVAL_MINUTES:
        rows.sort(key=lambda r: r["key"])  # the day in order
    else:
        rows.sort(key=lambda r: -(r["values"].get(codes[0]) or 0))
    return {"dim": dim, "label": DIMENSION_LABELS[dim](), "codes": list(codes), "rows": rows}


def hotline_active(rows: list[dict]) -> bool:
    """Whether indicator ROWS (indicator_rows) show calls offered or agents' time."""
    return any(r["value"] for r in rows if r["code"] in ("calls_offered", "occupancy"))


# --- complaint analysis ------------------------------------------------------------------------

def complaint_analysis(period: periods.Period, scope: queries.Scope) -> dict:
    """投诉分析: complaints by cause as a Pareto (each cause with its categories), repeat and
    escalated complaints, regulator transfers, top categories and regions."""
    data = queries.sums(period, scope, ["c:registered", "c:repeat", "c:escalated", "c:regulator"], [], by="category")
    tree = {c.pk: c for c in Category.objects.only("id", "code", "name", "parent_id")}
    complaint_root = next((c for c in tree.values() if c.code == "complaint"), None)

    def cause_of(cat_id: int | None):
        node = tree.get(cat_id) if cat_id else None
        while node is not None and node.parent_id and (complaint_root is None or node.parent_id != complaint_root.pk):
            node = tree.get(node.parent_id)
        return node if node is not None and complaint_root is not None and node.parent_id == complaint_root.pk else None

    causes: dict[str, dict[str, Any]] = {}
    categories: list[dict[str, Any]] = []
    for key, values in data.items():
        count = values.get("c:registered", 0)
        if not count:
            continue
        cat_id = int(key) if key.isdigit() else None
        cause = cause_of(cat_id)
        code = cause.code if cause else ""
        entry = causes.setdefault(code, {"code": code, "name": cause.name if cause else _("Not classified"),
                                         "count": 0, "categories": []})
        entry["count"] += count
        name = tree[cat_id].name if cat_id in tree else _("Not classified")
        entry["categories"].append({"id": cat_id, "name": name, "count": count})
        categories.append({"id": cat_id, "name": name, "count": count})
    total = sum(c["count"] for c in causes.values())
    pareto, running = [], 0
    for entry in sorted(causes.values(), key=lambda c: (-c["count"], c["code"])):
        running += entry["count"]
        entry["share"] = entry["count"] / total if total else None
        entry["cumulative"] = running / total if total else None
        entry["categories"].sort(key=lambda c: -c["count"])
        pareto.append(entry)
    totals = queries.sums(period, scope, ["c:registered", "c:repeat", "c:escalated", "regulator"], [])
    t = totals.get("", {})
    regions = queries.sums(period, scope, ["c:registered"], [], by="province") if scope.agent_id is None else {}
    counted = sorted(((v.get("c:registered", 0), k) for k, v in regions.items()), key=lambda p: -p[0])[:10]
    top_regions = [{"name": k or _("Unknown"), "count": n} for n, k in counted]
    return {"total": t.get("c:registered", 0), "repeat": t.get("c:repeat", 0), "escalated": t.get("c:escalated", 0),
            "regulator": t.get("regulator", 0), "pareto": pareto,
            "top_categories": sorted(categories, key=lambda c: -c["count"])[:10], "top_regions": top_regions}


# --- time limits and backlog ---------------------------------------------------------------

AGE_BUCKETS = ((0, 1), (1, 3), (3, 7), (7, 15), (15, None))


def age_label(low: int, high: int | None) -> str:
    if low == 0:
        return _("Under 1 day")
    if high is None:
        return _("Over %(n)d days") % {"n": low}
    return _("%(low)d–%(high)d days") % {"low": low, "high": high}


def time_limits(period: periods.Period, scope: queries.Scope) -> dict:
    data = queries.sums(period, scope, [], ["clock_due:", "clock_met:"]).get("", {})
    metric_labels = dict(Metric.choices)
    by_metric = []
    for metric in Metric.values:
        due, met = data.get(f"clock_due:{metric}", 0), data.get(f"clock_met:{metric}", 0)
        if due:
            by_metric.append({"metric": metric, "label": str(metric_labels[metric]), "due": due, "met": met,
                              "rate": met / due})
    by_policy: list[dict[str, Any]] = []
    if scope.agent_id is None:
        rows = queries.sums(period, scope, [], ["clock_due:", "clock_met:"], by="policy")
        labels = key_labels("policy", rows)
        for key, values in rows.items():
            due = sum(v for m, v in values.items() if m.startswith("clock_due:"))
            met = sum(v for m, v in values.items() if m.startswith("clock_met:"))
            if due:
                by_policy.append({"key": key, "label": labels.get(key, key), "due": due, "met": met, "rate": met / due})
        by_policy.sort(key=lambda r: -r["due"])
    return {"by_metric": by_metric, "by_policy": by_policy}


def backlog(period: periods.Period, scope: queries.Scope) -> dict:
    """Open orders at the end of the period's last day, by age since registration."""
    rows = queries.levels(period.last, scope, ["open", "overdue"], by="regday") if scope.agent_id is None else {}
    buckets: list[dict[str, Any]] = [{"label": age_label(lo, hi), "count": 0} for lo, hi in AGE_BUCKETS]
    end = period.last + dt.timedelta(days=1)
    for key, values in rows.items():
        n = values.get("open", 0)
        if not n:
            continue
        age = (end - dt.date.fromisoformat(key)).days  # whole days since the registration day began
        for i, (lo, hi) in enumerate(AGE_BUCKETS):
            if age - 1 < (hi if hi is not None else 10**9) and age - 1 >= lo:
                buckets[i]["count"] += n
                break
    totals = queries.levels(period.last, scope, ["open", "overdue"]).get("", {})
    return {"open": totals.get("open", 0), "overdue": totals.get("overdue", 0), "ageing": buckets}


# --- league table ----------------------------------------------------------------------------

LEAGUE_CODES = ("orders_registered", "orders_resolved", "fcr_rate", "satisfaction_rate", "avg_score", "on_time_rate",
                "reopen_rate")


def league(period: periods.Period, scope: queries.Scope, user, codes=LEAGUE_CODES) -> dict:
    """The agents' league table of a department (supervisors); an agent gets their own row and
    the team's averages, never a colleague's row. CODES: its columns."""
    codes = tuple(codes)
    if scope.agent_id is not None:
        mine = compute(codes, period, scope)[""]
        # The team: the people of one's own department, whichever department their orders were in.
        colleagues = {str(pk) for pk in User.objects.filter(department_id=user.department_id).values_list("pk", flat=True)} \
            if user.department_id else {str(user.pk)}
        everyone = compute(codes, period, queries.Scope(everything=True), by="agent")
        team = {k: v for k, v in everyone.items() if k in colleagues}
        return {"rows": [{"key": str(user.pk), "label": str(user), "values": mine}],
                "average": _average(team, codes), "codes": list(codes), "people": len(team), "by": "agent"}
    # A department's people for its supervisor; across departments (a region, everything), the
    # departments themselves — a league of thousands of people is nobody's table.
    by = "agent" if scope.department_id and not scope.province and not scope.everything else "department"
    values = compute(codes, period, scope, by=by)
    labels = key_labels(by, values)
    rows: list[dict[str, Any]] = [{"key": k, "label": labels.get(k, k), "values": v} for k, v in values.items() if k]
    rows.sort(key=lambda r: (-(r["values"].get("orders_resolved") or 0), r["label"]))
    return {"rows": rows, "average": _average(values, codes), "codes": list(codes), "people": len(rows), "by": by}


def _average(values: dict[str, dict], codes=LEAGUE_CODES) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for code in codes:
        numbers = [v[code] for k, v in values.items() if k and v.get(code) is not None]
        out[code] = sum(numbers) / len(numbers) if numbers else None
    return out


# --- series for the charts ---------------------------------------------------------------------

SERIES_CODES = ("orders_registered", "complaints", "satisfaction_rate", "on_time_rate")


def series(period: periods.Period, scope: queries.Scope, codes=SERIES_CODES) -> dict:
    """Day by day (a period of up to 92 days, one query) or month by month, for the ECharts lines."""
    if period.days <= 92:
        days, points = _day_by_day(codes, period.first, period.last, scope)
        return {"labels": [d.isoformat() for d in days],
                "series": [{"code": c, "name": reg.REGISTRY[c].name, "unit": reg.REGISTRY[c].unit, "data": points[c]}
                           for c in codes]}
    steps: list[periods.Period] = []
    cursor = period.first
    while cursor <= period.last:
        m = periods.month(cursor)
        steps.append(periods.Period(periods.RANGE, max(m.first, period.first), min(m.last, period.last)))
        cursor = m.last + dt.timedelta(days=1)
    points = {code: [] for code in codes}
    for step in steps:
        values = compute(codes, step, scope)[""]
        for code in codes:
            points[code].append(values.get(code))
    return {"labels": [s.first.strftime("%Y-%m") for s in steps],
            "series": [{"code": c, "name": reg.REGISTRY[c].name, "unit": reg.REGISTRY[c].unit, "data": points[c]}
                       for c in codes]}


# --- the satisfaction page -------------------------------------------------------------------

SATISFACTION_CODES = ("satisfaction_rate", "complaint_satisfaction_rate", "avg_score", "score_attitude", "score_result",
                      "score_timeliness", "nps", "response_rate", "followup_done_rate", "complaint_followup_done_rate")
SATISFACTION_BREAKDOWNS = ("agent", "department", "channel", "kind", "category", "segment")
SATISFACTION_BY_CODES = ("satisfaction_rate", "avg_score", "score_attitude", "score_result", "score_timeliness", "nps",
                         "response_rate")
SATISFACTION_SERIES = ("satisfaction_rate", "response_rate", "score_attitude", "score_result", "score_timeliness")
AGENT_ROWS = 200  # the people listed at most


def satisfaction(user, period: periods.Period, *, by: str = "agent") -> dict:
    """满意度: the customers' word for PERIOD as USER may read it — the satisfaction indicators
    against targets and earlier periods, one breakdown BY (agent: everyone who handled or
    answered the orders, department, channel, kind, category, segment; none for a person
    reading their own figures), the trend, and the latest low-score comments."""
    from kefu.surveys import services as surveys

    scope = scope_for(user)
    own = scope.agent_id is not None
    if by not in SATISFACTION_BREAKDOWNS:
        raise ValidationFailed(no_breakdown(), fields={"by": _("must be one of: %(values)s")
                                                       % {"values": ", ".join(SATISFACTION_BREAKDOWNS)}})
    table = None
    if not own:
        table = breakdown(period, scope, by, codes=SATISFACTION_BY_CODES)
        if by == "agent":
            table["rows"] = table["rows"][:AGENT_ROWS]
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(period.first, dt.time(), zone)
    last = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), zone)
    return {
        "period": _period_dict(period), "previous": _period_dict(period.previous()),
        "last_year": _period_dict(period.last_year()), "scope": scope_label(user, scope), "own": own,
        "generated_at": timezone.now(),
        "indicators": indicator_rows(period, scope, SATISFACTION_CODES),
        "breakdown": table,
        "series": series(period, scope, SATISFACTION_SERIES),
        "comments": [] if own else surveys.comments(user, first, last),
        "relationship": relationship(period.last),
    }


RELATIONSHIP_CODES = ("satisfaction_rate", "avg_score", "nps", "response_rate")


def _quarter(day: dt.date, back: int = 0) -> str:
    n = day.year * 4 + (day.month - 1) // 3 - back
    return f"{n // 4}Q{n % 4 + 1}"


def relationship(day: dt.date) -> dict:
    """季度满意度调查: the results of the quarterly relationship survey of DAY's quarter, against
    the quarter before and the same quarter a year earlier (the waves' results, through the
    registry's formulas; None where a quarter had no wave)."""
    from kefu.surveys import services as surveys

    quarters = [_quarter(day), _quarter(day, 1), _quarter(day, 4)]
    found = [surveys.quarter_figures(quarter) for quarter in quarters]
    values = [None if sums is None else {c: reg.REGISTRY[c].compute(_figures(sums, None)) for c in RELATIONSHIP_CODES}
              for sums in found]
    rows = []
    for code in RELATIONSHIP_CODES:
        now, before, year_ago = (v.get(code) if v else None for v in values)
        ind = reg.REGISTRY[code]
        rows.append({"code": code, "name": ind.name, "unit": ind.unit, "value": now, "previous": before, "last_year": year_ago,
                     "change_previous": _change(now, before), "change_last_year": _change(now, year_ago)})
    return {"quarter": quarters[0], "previous": quarters[1], "last_year": quarters[2], "held": values[0] is not None,
            "sent": (found[0] or {}).get("survey_sent", 0), "answered": (found[0] or {}).get("survey_answered", 0),
            "rows": rows}


# --- the report ------------------------------------------------------------------------------

def report(user, period: periods.Period, *, breakdowns=None) -> dict:
    """The whole report of PERIOD as USER may read it. BREAKDOWNS: the dimensions to break down
    by (default: all, the hotline's only when the period had calls)."""
    scope = scope_for(user)
    own = scope.agent_id is not None
    rows = indicator_rows(period, scope)
    hotline = hotline_active(rows)
    if breakdowns is None:
        breakdowns = [dim for dim in BREAKDOWNS if hotline or dim not in HOTLINE_BREAKDOWNS]
    result = {
        "period": _period_dict(period), "previous": _period_dict(period.previous()),
        "last_year": _period_dict(period.last_year()),
        "scope": scope_label(user, scope), "own": own,
        "generated_at": timezone.now(), "definitions_version": reg.definitions_version(),
        "indicators": rows,
        "breakdowns": [] if own else [breakdown(period, scope, dim, breakdown_codes(dim, hotline)) for dim in breakdowns],
        "complaints": complaint_analysis(period, scope),
        "time_limits": time_limits(period, scope),
        "backlog": backlog(period, scope),
        "league": league(period, scope, user, LEAGUE_CODES + (HOTLINE_LEAGUE if hotline else ())),
        "series": series(period, scope),
    }
    return result


def _period_dict(period: periods.Period) -> dict:
    return {"kind": period.kind, "code": period.code, "label": period.label,
            "first": period.first, "last": period.last}


# --- the report as a document (exports) ------------------------------------------------------

# Seconds are written like minutes: one decimal place.
_UNIT_KIND = {reg.PERCENT: doc.PERCENT, reg.COUNT: doc.COUNT, reg.MINUTES: doc.MINUTES, reg.HOURS: doc.HOURS,
              reg.SCORE: doc.NUMBER, reg.PER_10K: doc.NUMBER, reg.PER_MILLION: doc.NUMBER, reg.SECONDS: doc.MINUTES}


def target_value(code: str, target: Decimal | None) -> float | None:
    """A target as the figure it is compared with (percent targets as fractions)."""
    if target is None:
        return None
    return float(target) / 100 if reg.REGISTRY[code].unit == reg.PERCENT else float(target)


def document(data: dict) -> doc.Document:
    """The report dict as a Document: the same figures for Excel, PDF and CSV."""
    period = data["period"]
    d = doc.Document(
        title=_("Service quality report"), period_label=period["label"], start=period["first"], end=period["last"],
        generated_at=data["generated_at"], scope_label=data["scope"],
        meta=[(_("Indicator definitions version"), data["definitions_version"]),
              (_("Previous period"), data["previous"]["label"]), (_("Same period last year"), data["last_year"]["label"])]
             + list(data.get("meta", [])))
    rows = []
    for r in data["indicators"]:
        kind = _UNIT_KIND[r["unit"]]
        rows.append([r["name"], doc.Cell(r["value"], kind), doc.Cell(target_value(r["code"], r["target"]), kind),
                     _met_text(r["met"]), doc.Cell(r["previous"], kind), doc.Cell(r["last_year"], kind)])
    d.sections.append(doc.Table(_("Indicators"), [
        doc.Column("name", _("Indicator")), doc.Column("value", _("Value"), doc.MIXED),
        doc.Column("target", _("Target"), doc.MIXED), doc.Column("met", _("Target met")),
        doc.Column("previous", _("Previous period"), doc.MIXED), doc.Column("last_year", _("Same period last year"), doc.MIXED)],
        rows))
    c = data["complaints"]
    d.sections.append(doc.Table(_("Complaints by cause"), [
        doc.Column("cause", _("Cause")), doc.Column("count", _("Complaints"), doc.COUNT),
        doc.Column("share", _("Share"), doc.PERCENT), doc.Column("cumulative", _("Cumulative share"), doc.PERCENT)],
        [[e["name"], e["count"], e["share"], e["cumulative"]] for e in c["pareto"]]))
    t = data["time_limits"]
    d.sections.append(doc.Table(_("Time limits"), [
        doc.Column("metric", _("Time limit")), doc.Column("due", _("Came due"), doc.COUNT),
        doc.Column("met", _("Met"), doc.COUNT), doc.Column("rate", _("On-time rate"), doc.PERCENT)],
        [[m["label"], m["due"], m["met"], m["rate"]] for m in t["by_metric"]]
        + [[p["label"], p["due"], p["met"], p["rate"]] for p in t["by_policy"]]))
    b = data["backlog"]
    d.sections.append(doc.Table(_("Backlog at the period's end"), [
        doc.Column("age", _("Age")), doc.Column("count", _("Open orders"), doc.COUNT)],
        [[a["label"], a["count"]] for a in b["ageing"]] + [[_("Open past the limit"), b["overdue"]]]))
    for bd in data["breakdowns"]:
        cols = [doc.Column("key", bd["label"])] + [
            doc.Column(code, reg.REGISTRY[code].name, _UNIT_KIND[reg.REGISTRY[code].unit]) for code in bd["codes"]]
        d.sections.append(doc.Table(_("By %(dimension)s") % {"dimension": bd["label"]}, cols,
                                    [[r["label"]] + [r["values"].get(code) for code in bd["codes"]] for r in bd["rows"]]))
    lg = data["league"]
    by_department = lg.get("by") == "department"
    cols = [doc.Column("agent", _("Department") if by_department else _("Staff member"))] + [
        doc.Column(code, reg.REGISTRY[code].name, _UNIT_KIND[reg.REGISTRY[code].unit]) for code in lg["codes"]]
    d.sections.append(doc.Table(_("Departments compared") if by_department else _("League table"), cols,
                                [[r["label"]] + [r["values"].get(code) for code in lg["codes"]] for r in lg["rows"]]
                                + [[_("Average") if by_department else _("Team average")]
                                   + [lg["average"].get(code) for code in lg["codes"]]]))
    return d


def _met_text(met: bool | None) -> str:
    if met is None:
        return "—"
    return _("Met") if met else _("Not met")


def default_period(kind: str = periods.MONTH) -> periods.Period:
    today = timezone.localdate(timezone=__import__("zoneinfo").ZoneInfo(settings.TIME_ZONE))
    return periods.last_complete(kind, today)


# --- plumbing for the HTTP layers ------------------------------------------------------------

def jsonable(data: Any) -> Any:
    """DATA as JSON values only: dates and datetimes in ISO 8601, Decimals as strings, lazy
    translations as text, tuples as lists, keys as strings; a float that is a whole number as
    an int and one that is not finite as None (JSON has no NaN). Idempotent, and the figures
    read back from the database (PostgreSQL's jsonb writes 1e16 as 10000000000000000) give the
    same value again, so a closed report's hash can be checked (snapshots.py)."""
    if data is None or isinstance(data, bool | int):
        return data
    if isinstance(data, str):
        return str(data)  # a TextChoices member as its plain value
    if isinstance(data, float):
        if not math.isfinite(data):
            return None
        return int(data) if data.is_integer() else data
    if isinstance(data, Decimal):
        return str(data)
    if isinstance(data, dt.datetime | dt.date | dt.time):
        return data.isoformat()
    if isinstance(data, Promise):
        return str(data)
    if isinstance(data, dict):
        return {str(k): jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [jsonable(v) for v in data]
    raise TypeError(f"cannot write a {type(data).__name__} in a report")


def unknown_indicator() -> str:
    return _("Unknown indicator.")


def no_breakdown() -> str:
    return _("This indicator cannot be broken down by that dimension.")


def no_section() -> str:
    return _("The report has no such section.")


def filename(period: periods.Period, extension: str, section: str = "") -> str:
    """服务质量报告-2026-11.xlsx (in the reader's language)."""
    name = pgettext("file name", "Service quality report")
    code = period.code.replace("..", "_")
    return f"{name}-{code}{'-' + section if section else ''}.{extension}".replace("/", "_")


def format_figure(value, unit: str, *, signed: bool = False) -> str:
    """A figure of an indicator of UNIT as every page shows it (document.format_value); SIGNED:
    a change, with its sign (percentages as percentage points)."""
    kind = _UNIT_KIND.get(unit, doc.NUMBER)
    text = doc.format_value(value, kind)
    if value is not None and unit in (reg.MINUTES, reg.HOURS, reg.SECONDS):
        text = {reg.MINUTES: _("%(n)s min"), reg.HOURS: _("%(n)s h"), reg.SECONDS: _("%(n)s s")}[unit] % {"n": text}
    if signed and value is not None:
        if kind == doc.PERCENT:
            text = _("%(points)s pts") % {"points": doc.format_value(value * 100, doc.MINUTES)}  # one decimal
        if value > 0:
            text = "+" + text
    return text


def target_text(row: dict) -> str:
    """An indicator's target as people read it: ≥ 85.0%, ≤ 0."""
    target = row.get("target")
    if target is None:
        return "—"
    sign = "≥ " if row.get("direction") == reg.HIGHER else "≤ " if row.get("direction") == reg.LOWER else ""
    return sign + format_figure(target_value(row["code"], target), row["unit"])


FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf",
           "csv": "text/csv; charset=utf-8"}


def export(data: dict, fmt: str, section: int = 0) -> tuple[bytes, str, str]:
    """The report DATA as a file: (content, content type, file name). FMT xlsx, pdf or csv
    (one SECTION, 0 being the indicators)."""
    from . import exports

    d = document(data)
    period = periods.Period(data["period"]["kind"], data["period"]["first"], data["period"]["last"])
    if fmt == "xlsx":
        return exports.to_xlsx(d), FORMATS[fmt], filename(period, fmt)
    if fmt == "pdf":
        return exports.to_pdf(d), FORMATS[fmt], filename(period, fmt)
    if fmt == "csv":
        if not 0 <= section < len(d.sections):
            raise ValidationFailed(no_section(), fields={"section": no_section()})
        return exports.to_csv(d.sections[section]), FORMATS[fmt], filename(period, fmt, d.sections[section].title)
    raise ValidationFailed(_("Unknown format."), fields={"format": _("Unknown format.")})


def parse_period(text: str | None, *, field: str = "period") -> periods.Period:
    """A period as written (periods.parse), or last month when none is given."""
    return periods.parse(text, field=field) if text else default_period()


def quick_periods(today: dt.date) -> list[tuple[periods.Period, str]]:
    """The periods a report page offers in one click."""
    picks = [periods.last_complete(k, today) for k in (periods.DAY, periods.WEEK, periods.MONTH, periods.QUARTER, periods.YEAR)]
    names = [pgettext("report period", "Yesterday"), _("Last week"), _("Last month"), _("Last quarter"), _("Last year"), _("This month so far")]
    picks.append(periods.Period(periods.RANGE, today.replace(day=1), today))
    return list(zip(picks, names, strict=True))


def rebuild(date_from: dt.date | None = None, date_to: dt.date | None = None) -> int:
    """Recompute the rollups (rollups.rebuild) and the subscriber counts; the orders done."""
    from . import rollups, subscribers

    run = rollups.rebuild(date_from, date_to)
    subscribers.refresh()
    return run.orders_done


def daily(user, codes, first: dt.date, last: dt.date) -> dict:
    """The indicators CODES (flows, not stocks) day by day from FIRST to LAST, as USER may read
    them, in one query: {"days": [...], code: [value per day]} (the supervisor board's lines)."""
    days, values = _day_by_day(codes, first, last, scope_for(user))
    return {"days": [d.isoformat() for d in days]} | values


def _day_by_day(codes, first: dt.date, last: dt.date, scope: queries.Scope) -> tuple[list[dt.date], dict[str, list]]:
    """The days FIRST … LAST and each flow indicator's value on each, from one query of day rows."""
    names, prefixes = reg.measures_of(codes)
    data = queries.by_day(first, last, scope, names, prefixes)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return days, {code: [reg.REGISTRY[code].compute(reg.Figures(data.get(d, {}))) for d in days] for code in codes}


# --- the hotline wallboard ------------------------------------------------------------------

WALLBOARD_CODES = ("calls_offered", "calls_answered", "calls_abandoned", "service_level", "abandon_rate", "asa",
                   "longest_wait")


def _as_float(value) -> float | None:
    return float(value) if value is not None else None


def hotline_today(user, now: dt.datetime | None = None) -> dict:
    """Today's hotline figures (the day of NOW in the installation's time zone) as USER may read
    them, from the rollups, which the call hook keeps fresh within a second or two (rollups.on_calls):
    {"day": date, "values": {code: value}, "targets": {code: the figure a value is compared
    with, or None}, "met": {code: True, False or None}} for WALLBOARD_CODES. Rates are fractions
    (0.8), waits in seconds; None where there is nothing to divide by."""
    now = now or timezone.now()
    day = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    values = compute(WALLBOARD_CODES, periods.Period(periods.DAY, day, day), scope_for(user))[""]
    targets = targets_for(day)
    met = {c: reg.REGISTRY[c].met(values.get(c), targets.get(c)) for c in WALLBOARD_CODES}
    rows = [{"code": c, "name": reg.REGISTRY[c].name, "definition": reg.REGISTRY[c].definition,
             "unit": reg.REGISTRY[c].unit, "direction": reg.REGISTRY[c].direction, "value": values.get(c),
             "target": _as_float(targets.get(c)), "met": met[c]} for c in WALLBOARD_CODES]
    return {"day": day, "values": {c: values.get(c) for c in WALLBOARD_CODES},
            "targets": {c: target_value(c, targets.get(c)) for c in WALLBOARD_CODES}, "met": met, "rows": rows}


def figures(user, code: str, period: periods.Period, by: str = "") -> dict:
    """One indicator over PERIOD as USER may read it, in total or by the breakdown BY."""
    if code not in reg.REGISTRY:
        raise ValidationFailed(unknown_indicator(), fields={"indicator": unknown_indicator()})
    ind = reg.REGISTRY[code]
    if by and by not in ind.dims:
        raise ValidationFailed(no_breakdown(), fields={"by": no_breakdown()})
    values = compute([code], period, scope_for(user), by=by)
    labels = key_labels(by, values) if by else {}
    return {"indicator": code, "unit": ind.unit, "period": period.code,
            "values": [{"key": k, "label": labels.get(k, k), "value": v[code]} for k, v in sorted(values.items())]}


def complaint_orders(user, period: periods.Period, *, cause: str | None = None, category: int | None = None):
    """The complaints registered in PERIOD behind one bar of the Pareto, as USER may see them:
    one CATEGORY, or one CAUSE (its category and those under it), or with CAUSE "" those not
    classified. Returns (title, orders)."""
    from django.utils import timezone as tz

    from kefu.orders import services as orders

    scope_for(user)
    ids: list[int] = []
    title = _("Complaints not classified")
    node = Category.objects.filter(pk=category).first() if category is not None else \
        Category.objects.filter(code=cause).first() if cause else None
    if node is not None:
        ids = [node.pk] if category is not None else [node.pk, *Category.objects.filter(parent=node).values_list("pk", flat=True)]
        title = node.name
    zone = tz.get_current_timezone()
    qs = orders.search_orders(user, kind="complaint", category=ids or None,
                              created_from=dt.datetime.combine(period.first, dt.time(), zone),
                              created_to=dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), zone))
    if not ids and cause == "":
        qs = qs.filter(category__isnull=True)
    return title, qs
