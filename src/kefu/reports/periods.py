"""Report periods: a day, an ISO week, a month, a quarter, a year or any range of days, with the
previous period and the same period a year earlier. A period is the days FIRST … LAST (the
half-open interval [FIRST 00:00, LAST + 1 day 00:00) in the installation's time zone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

DAY, WEEK, MONTH, QUARTER, YEAR, RANGE = "day", "week", "month", "quarter", "year", "range"
KINDS = (DAY, WEEK, MONTH, QUARTER, YEAR, RANGE)


@dataclass(frozen=True)
class Period:
    kind: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def midpoint(self) -> dt.date:
        return self.first + dt.timedelta(days=(self.days - 1) // 2)

    @property
    def label(self) -> str:
        f = self.first
        if self.kind == DAY:
            return _("%(y)d-%(m)02d-%(d)02d") % {"y": f.year, "m": f.month, "d": f.day}
        if self.kind == WEEK:
            y, w, _d = f.isocalendar()
            return _("Week %(w)d of %(y)d") % {"y": y, "w": w}
        if self.kind == MONTH:
            return _("%(m)d/%(y)d") % {"y": f.year, "m": f.month}
        if self.kind == QUARTER:
            return _("Q%(q)d %(y)d") % {"y": f.year, "q": (f.month - 1) // 3 + 1}
        if self.kind == YEAR:
            return _("Year %(y)d") % {"y": f.year}
        return _("%(first)s to %(last)s") % {"first": f.isoformat(), "last": self.last.isoformat()}

    @property
    def code(self) -> str:
        """The period as it is written in addresses: 2026-11-05, 2026-W45, 2026-11, 2026-Q4,
        2026, 2026-11-01..2026-11-20."""
        f = self.first
        if self.kind == DAY:
            return f.isoformat()
        if self.kind == WEEK:
            y, w, _d = f.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == MONTH:
            return f"{f.year}-{f.month:02d}"
        if self.kind == QUARTER:
            return f"{f.year}-Q{(f.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return str(f.year)
        return f"{f.isoformat()}..{self.last.isoformat()}"

    def previous(self) -> Period:
        if self.kind == MONTH:
            return month(_shift_month(self.first, -1))
        if self.kind == QUARTER:
            return quarter(_shift_month(self.first, -3))
        if self.kind == YEAR:
            return year(self.first.year - 1)
        length = dt.timedelta(days=self.days)
        return Period(self.kind, self.first - length, self.last - length)

    def last_year(self) -> Period:
        if self.kind == WEEK:
            y, w, _d = self.first.isocalendar()
            try:
                return week(dt.date.fromisocalendar(y - 1, w, 1))
            except ValueError:  # week 53 of a year whose previous year had 52
                return week(dt.date.fromisocalendar(y - 1, 52, 1))
        if self.kind in (MONTH, QUARTER, YEAR):
            return Period(self.kind, _minus_year(self.first), month(_minus_year(self.last)).last)
        return Period(self.kind, _minus_year(self.first), _minus_year(self.last))


def _minus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def day(d: dt.date) -> Period:
    return Period(DAY, d, d)


def week(d: dt.date) -> Period:
    first = d - dt.timedelta(days=d.weekday())
    return Period(WEEK, first, first + dt.timedelta(days=6))


def month(d: dt.date) -> Period:
    first = d.replace(day=1)
    return Period(MONTH, first, _shift_month(first, 1) - dt.timedelta(days=1))


def quarter(d: dt.date) -> Period:
    first = dt.date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return Period(QUARTER, first, _shift_month(first, 3) - dt.timedelta(days=1))


def year(y: int) -> Period:
    return Period(YEAR, dt.date(y, 1, 1), dt.date(y, 12, 31))


def of_kind(kind: str, d: dt.date) -> Period:
    return {DAY: day, WEEK: week, MONTH: month, QUARTER: quarter, YEAR: lambda x: year(x.year)}[kind](d)


def last_complete(kind: str, today: dt.date) -> Period:
    """The latest period of KIND that has ended before TODAY (yesterday, last week, last month…)."""
    current = of_kind(kind, today)
    return current.previous() if kind != DAY else day(today - dt.timedelta(days=1))


MAX_DAYS = 3 * 366 + 1


def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def parse(text: str, *, field: str = "period") -> Period:
    """A period as written in `Period.code` (full-width digits and spaces are tolerated)."""
    import unicodedata

    value = unicodedata.normalize("NFKC", text or "").strip().upper().replace(" ", "")
    try:
        if ".." in value:
            a, b = value.split("..", 1)
            first, last = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
            if last < first:
                raise _invalid(field, _("The period ends before it starts."))
            if (last - first).days + 1 > MAX_DAYS:
                raise _invalid(field, _("A period may cover at most three years."))
            return Period(RANGE, first, last)
        if "-W" in value:
            y, w = value.split("-W")
            return week(dt.date.fromisocalendar(int(y), int(w), 1))
        if "-Q" in value:
            y, q = value.split("-Q")
            if not 1 <= int(q) <= 4:
                raise ValueError
            return quarter(dt.date(int(y), int(q) * 3 - 2, 1))
        if len(value) == 4 and value.isdigit():
            return year(int(value))
        if len(value) == 7:
            return month(dt.date.fromisoformat(value + "-01"))
        return day(dt.date.fromisoformat(value))
    except ValidationFailed:
        raise
    except (ValueError, TypeError):
        raise _invalid(field, _(
            "Write a period as 2026-11-05 (day), 2026-W45 (week), 2026-11 (month), 2026-Q4 (quarter), "
            "2026 (year) or 2026-11-01..2026-11-20 (range).")) from None
