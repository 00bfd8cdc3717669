"""Reading the rollups: sums of measures over a period, in a scope, in total or by one
dimension. A period is read from the month rows for its whole months and the day rows for the
rest, so a year is twelve months of rows, not 365 days of them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum

from . import facts
from .models import Grain, Rollup, SubscriberFlow
from .periods import Period
from .rollups import month_end, month_start


@dataclass(frozen=True)
class Scope:
    """Which rollup rows a reader may see: all, a department, a region (province), and/or one
    person's own rows (AGENT: the dimension "agent" with that key only). UNASSIGNED: also the
    rows of no department (the hotline's calls nobody answered, which every department's
    readers see, as they see those calls themselves: kefu.cti.services)."""

    department_id: int | None = None
    province: str | None = None
    agent_id: int | None = None
    everything: bool = False
    unassigned: bool = False

    def q(self) -> Q:
        if self.everything or self.agent_id is not None:
            return Q()  # one's own figures are the rows of dimension "agent" with one's key, wherever
        q = Q(pk__in=[])
        if self.department_id:
            q |= Q(department_id=self.department_id)
        if self.province:
            q |= Q(province=self.province)
        if self.unassigned:
            q |= Q(department_id=0)
        return q


def _spans(first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(grain, first, last) pieces covering FIRST … LAST: whole months at month grain."""
    pieces, day = [], first
    while day <= last:
        end = month_end(day)
        if day == month_start(day) and end <= last:
            # Consecutive whole months make one month-grain piece.
            if pieces and pieces[-1][0] == Grain.MONTH and month_end(pieces[-1][2]) + dt.timedelta(days=1) == day:
                pieces[-1] = (Grain.MONTH, pieces[-1][1], day)
            else:
                pieces.append((Grain.MONTH, day, day))
            day = end + dt.timedelta(days=1)
        else:
            stop = min(end, last)
            pieces.append((Grain.DAY, day, stop))
            day = stop + dt.timedelta(days=1)
    return pieces


def _measure_q(names: list[str], prefixes: list[str]) -> Q:
    """The measures by exact name (prefixes as their families' names, facts.family): an index
    lookup per name whatever the collation."""
    wanted = set(names)
    for prefix in prefixes:
        wanted.update(facts.family(prefix))
    return Q(measure__in=sorted(wanted))


def _rows(first, last, scope: Scope, dim: str, names, prefixes):
    """One queryset per piece of the period (a month-grain run, day-grain runs): each a plain
    index range per measure over (grain, dim, measure, period), or over (grain, dim,
    department, period) for a department (models.Rollup's indexes)."""
    measures = _measure_q(names, prefixes)
    if scope.agent_id is not None:
        dim, key = (facts.STOCK_DIM if dim.startswith(facts.STOCK_DIM) else "") + "agent", str(scope.agent_id)
    else:
        key = None
    for grain, a, b in _spans(first, last):
        rows = Rollup.objects.filter(measures, scope.q(), grain=grain, dim=dim, period__gte=a, period__lte=b)
        yield rows if key is None else rows.filter(key=key)


def sums(period: Period, scope: Scope, names: list[str], prefixes: list[str], *, by: str = "") -> dict[str, dict[str, int]]:
    """{key: {measure: sum}} over PERIOD. BY: "" (total, key ""), "department", "province",
    or a dimension of the rollups (channel, kind, category, severity, city, segment, agent, policy)."""
    return _sum(period.first, period.last, scope, names, prefixes, by)


def levels(at: dt.date, scope: Scope, names: list[str], *, by: str = "") -> dict[str, dict[str, int]]:
    """{key: {measure: level}} at the end of the day AT of stock measures (backlog: facts.STOCKS),
    the sum of every change up to that day, read from their own dimensions."""
    return _sum(dt.date(1970, 1, 1), at, scope, names, [], by, stock=True)


def _sum(first, last, scope, names, prefixes, by, *, stock=False) -> dict[str, dict[str, int]]:
    column = {"department": "department_id", "province": "province"}.get(by)
    dim = ("" if column else by)
    if stock:
        dim = facts.STOCK_DIM + dim
    if scope.agent_id is not None and by not in ("", "agent"):
        return {}  # one's own figures are not broken down further
    group = column or "key"
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for rows in _rows(first, last, scope, dim, names, prefixes):
        for row in rows.values(group, "measure").annotate(total=Sum("value")).order_by():
            key = "" if not by else str(scope.agent_id) if (by == "agent" and scope.agent_id) else str(row[group])
            out[key][row["measure"]] = out[key].get(row["measure"], 0) + row["total"]
    return dict(out)


def subscribers(at: dt.date, *, province: str | None = None, by_province: bool = False):
    """Subscriptions active at the end of the day AT (all, one province's, or {province: n})."""
    rows = SubscriberFlow.objects.filter(day__lte=at)
    if province:
        rows = rows.filter(province=province)
    if by_province:
        return {r["province"]: r["n"] for r in rows.values("province").annotate(n=Sum("delta")).order_by()}
    return rows.aggregate(n=Sum("delta"))["n"] or 0


def by_day(first: dt.date, last: dt.date, scope: Scope, names: list[str], prefixes: list[str]) -> dict[dt.date, dict[str, int]]:
    """{day: {measure: sum}} for each day FIRST … LAST, from the day rows, in one query."""
    measures = _measure_q(names, prefixes)
    dim, key = ("agent", str(scope.agent_id)) if scope.agent_id is not None else ("", None)
    rows = Rollup.objects.filter(measures, scope.q(), grain=Grain.DAY, dim=dim, period__gte=first, period__lte=last)
    if key is not None:
        rows = rows.filter(key=key)
    out: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in rows.values("period", "measure").annotate(total=Sum("value")).order_by():
        out[row["period"]][row["measure"]] = row["total"]
    return dict(out)
