"""Service-time calculator: deadlines in natural time, working time and (working) days.

Pure Python (stdlib only) so that it can be tested and benchmarked without Django. The Django
side turns a stored calendar into a :class:`CalendarSpec` and keeps one :class:`Calculator`
per calendar.

Units of a :class:`Duration`:

``m`` / ``h``
    Natural time: start + N minutes / hours of absolute (UTC) time.
``wm`` / ``wh``
    Working time: only seconds inside the calendar's windows count. Counting starts at the
    start if it is inside a window, else at the next window's start. A deadline that falls
    exactly on the end of a window is that window's end (18:00), not the next window's start.
    A zero duration returns the start itself (the same instant, in the calendar's zone,
    microseconds dropped), wherever it is.
``d``
    Calendar days as the Civil Code counts them (arts. 201–203): the starting day is not
    counted, the last day is the start's local date + N; if that day is a rest day (no
    windows) the period ends on the first working day after it. The deadline is the close of
    that day: the end of its last window (18:00 at the office; 24:00, i.e. the next local
    midnight, around the clock).
``wd``
    Working days, counted the same way: the N-th working day strictly after the start's local
    date; the deadline is the close of that day.
``0d`` / ``0wd``
    The close of the start's day if it is a working day, else the close of the next working
    day (whatever time of that day the start is, even after its close).

Conventions:

* All datetimes must be timezone-aware (``ValueError`` otherwise); results are aware
  datetimes in the calendar's time zone.
* Whole seconds: microseconds of the inputs are dropped (floored) before computing.
* Working time is measured on the local wall clock: a window 09:00–12:00 is always 3 hours,
  and result times are local wall times (fold=0). This is exact for zones without daylight
  saving time (Asia/Shanghai); on a DST transition day a window's nominal length is used.
* Fail closed: when ``covered_years`` is set, any computation that needs a day of another
  year (the start's day included, for every unit but ``m``/``h``) raises
  :class:`YearNotCovered` naming that year, instead of guessing its holidays.
* A day is a working day when it has at least one window.
* ``working_seconds_between(a, b)`` counts the half-open [a, b): a ``b`` at midnight needs
  only the calendar of the day before; ``a == b`` is 0 without consulting the calendar.

Performance: per calendar, the days of a contiguous range of years are precomputed once: each
day's windows (in seconds), the cumulative working seconds at the start of each day (a prefix
sum), the ordinals of the working days and their closing times. A working-time deadline is
then two small loops over a day's 1–3 windows and one ``bisect`` on the prefix sums; a
working-day deadline is one ``bisect`` on the working-day ordinals. Where the zone's UTC offset
is constant over the range (Asia/Shanghai since 1992), a start given in UTC is moved to local
wall time by adding that offset instead of calling ``astimezone``. Calendars without official
data (``covered_years=None``) build their range lazily as years are asked for: it grows to
take in new years (by half its size when a deadline runs past its end) and is replaced by a
new one when a year is far away; a single computation may span at most MAX_LAZY_YEARS years.
"""

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

__all__ = ["CalendarError", "YearNotCovered", "DurationError", "Duration", "Window", "CalendarSpec", "Calculator"]

UNITS = ("m", "h", "wm", "wh", "d", "wd")
_DURATION_RE = re.compile(r"\s*([0-9]+)\s*([A-Za-z]+)\s*")
# A lazily built calendar (covered_years=None) never spans more years than this.
MAX_LAZY_YEARS = 200


class CalendarError(ValueError):
    pass


class YearNotCovered(CalendarError):
    """The official calendar (holidays, make-up working days) of ``year`` is not loaded."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"the official calendar for {year} is not loaded")

    def __reduce__(self):
        return (type(self), (self.year,))


class DurationError(ValueError):
    pass


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str

    def __post_init__(self):
        if self.unit not in UNITS:
            raise DurationError(f"unknown unit {self.unit!r}: use one of {', '.join(UNITS)}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise DurationError(f"the amount must be a whole number >= 0, not {self.amount!r}")

    @classmethod
    def parse(cls, text: str) -> "Duration":
        """"90m", "2h", "30wm", "2wh", "3d", "15wd" (spaces and the unit's case don't matter)."""
        match = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise DurationError(
                f"{text!r} is not a duration: write a whole number and a unit, e.g. 90m, 2h, 30wm, 2wh, "
                f"3d, 15wd (units: m = minutes, h = hours, wm = working minutes, wh = working hours, "
                f"d = days, wd = working days)")
        unit = match.group(2).lower()
        if unit not in UNITS:
            raise DurationError(f"{text!r}: unknown unit {match.group(2)!r}; use one of {', '.join(UNITS)}")
        return cls(int(match.group(1)), unit)

    def __str__(self):
        return f"{self.amount}{self.unit}"

    @property
    def is_working(self) -> bool:
        return self.unit in ("wm", "wh", "wd")


Window = tuple[int, int]  # minutes from local midnight, start < end, 0 <= start, end <= 1440


@dataclass
class CalendarSpec:
    tz: str = "Asia/Shanghai"
    # weekday (0 = Monday … 6 = Sunday) → sorted, non-overlapping windows; missing/empty = rest day
    weekly: dict[int, list[Window]] = field(default_factory=dict)
    # a dated override: [] = rest day (public holiday); windows = working day (make-up day, special hours)
    exceptions: dict[date, list[Window]] = field(default_factory=dict)
    # inclusive years whose official exceptions are loaded; None = no official data needed
    covered_years: tuple[int, int] | None = None


def _windows_in_seconds(windows, what) -> tuple[tuple[int, int], ...]:
    out = []
    previous_end = 0
    for window in windows:
        try:
            start, end = window
        except (TypeError, ValueError):
            raise CalendarError(f"{what}: a window is a (start, end) pair of minutes, not {window!r}") from None
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= 1440):
            raise CalendarError(f"{what}: bad window {window!r} (minutes from midnight, 0 <= start < end <= 1440)")
        if start < previous_end:
            raise CalendarError(f"{what}: windows must be sorted and must not overlap")
        previous_end = end
        out.append((start * 60, end * 60))
    return tuple(out)


_NATURAL = {"m": 60, "h": 3600}
_WORKING = {"wm": 60, "wh": 3600}
# Building a timedelta is slow next to adding one: a time of day is midnight + these two.
_MINUTES = tuple(timedelta(minutes=m) for m in range(1441))
_SECONDS = tuple(timedelta(seconds=s) for s in range(60))
_DAY = timedelta(days=1)
# tzinfo classes whose utcoffset() is never None (for the "aware datetime" check)
_ALWAYS_AWARE = (ZoneInfo, timezone)


class Calculator:
    """Deadlines and working time on one calendar. Thread-safe for reading once built; a lazily
    built calendar may rebuild its arrays (an atomic swap of one tuple) when a new year is needed."""

    def __init__(self, spec: CalendarSpec):
        try:
            self.tz = ZoneInfo(spec.tz)
        except Exception as exc:
            raise CalendarError(f"unknown time zone {spec.tz!r}") from exc
        weekly = {}
        for day, windows in (spec.weekly or {}).items():
            try:
                weekday = int(day)
            except (TypeError, ValueError):
                weekday = -1
            if not 0 <= weekday <= 6:
                raise CalendarError(f"weekday must be 0 (Monday) … 6 (Sunday), not {day!r}")
            weekly[weekday] = _windows_in_seconds(windows or (), f"weekday {weekday}")
        self._weekly = tuple(weekly.get(d, ()) for d in range(7))
        self._exceptions = {}
        for day, windows in (spec.exceptions or {}).items():
            if not isinstance(day, date) or isinstance(day, datetime):
                raise CalendarError(f"an exception is keyed by a date, not {day!r}")
            self._exceptions[day] = _windows_in_seconds(windows or (), day.isoformat())
        covered = spec.covered_years
        if covered is not None:
            first, last = covered
            if not 1 <= first <= last <= 9998:
                raise CalendarError(f"bad covered_years {covered!r}")
            covered = (first, last)
        self.covered_years = covered
        # With no weekly working time, a lazily built calendar has none after its last exception.
        self._last_working_year = None
        if not any(self._weekly):
            years = [d.year for d, w in self._exceptions.items() if w]
            self._last_working_year = max(years) if years else 0
        # (first year, last year, first ordinal, number of days, windows per day, cumulative
        #  seconds at the start of each day [n + 1], working-day ordinals, their closes,
        #  local midnight per day, fixed UTC offset or None); one tuple so that a rebuild is a
        #  single atomic swap.
        self._t = None
        if covered is not None:
            self._t = self._build(*covered)

    # -- precomputation -------------------------------------------------------------------

    def _build(self, first_year: int, last_year: int):
        tz, weekly, exceptions = self.tz, self._weekly, self._exceptions
        lo = date(first_year, 1, 1).toordinal()
        hi = date(last_year + 1, 1, 1).toordinal()
        wins, cum, wdays, wclose, mids = [], [0], [], [], []
        total = 0
        one_day = timedelta(days=1)
        midnight = datetime(first_year, 1, 1, tzinfo=tz)
        for o in range(lo, hi):
            day = date.fromordinal(o)
            w = exceptions.get(day)
            if w is None:
                w = weekly[day.weekday()]
            wins.append(w)
            for a, b in w:
                total += b - a
            cum.append(total)
            mids.append(midnight)
            if w:
                wdays.append(o)
                wclose.append(_at(midnight, w[-1][1]))
            midnight = midnight + one_day  # wall-clock arithmetic: the next local midnight
        # The zone's offset if it is the same at every local midnight of the range and after it
        # (no DST change inside): then a UTC moment's local wall time is just moment + offset.
        offsets = {m.utcoffset() for m in mids}
        offsets.add(midnight.utcoffset())
        fixed = offsets.pop() if len(offsets) == 1 else None
        return (first_year, last_year, lo, hi - lo, tuple(wins), tuple(cum), tuple(wdays), tuple(wclose),
                tuple(mids), fixed)

    def _need(self, year: int, since: int | None = None):
        """Arrays that include YEAR (and every year from SINCE on), or YearNotCovered.

        A calendar with official data has one fixed range: any other year is not covered. A
        lazily built one grows its range to the years asked for (a little ahead, so that a
        deadline running into the next year does not rebuild every time); a year far from
        the current range replaces it (at most MAX_LAZY_YEARS years are kept).
        """
        if self.covered_years is not None:
            raise YearNotCovered(year)
        if not 1 <= year <= 9998:
            raise CalendarError(f"year {year} is outside the supported range")
        first = year if since is None else min(since, year)
        t = self._t
        if t is not None and t[0] <= first and year <= t[1]:
            return t
        if self._last_working_year is not None and year > max(first, self._last_working_year):
            raise CalendarError(f"the calendar has no working time after {self._last_working_year}")
        if year - first + 1 > MAX_LAZY_YEARS:
            raise CalendarError(f"a period spanning more than {MAX_LAZY_YEARS} years is not supported")
        last = year
        if t is not None and max(t[1], year) - min(t[0], first) + 1 <= MAX_LAZY_YEARS:
            first, last = min(t[0], first), max(t[1], year)  # grow the current range
            if year > t[1]:
                last = min(max(last, t[1] + 1 + (t[1] - t[0]) // 2), first + MAX_LAZY_YEARS - 1, 9998)
        t = self._t = self._build(first, last)
        return t

    # -- conversions ----------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        """MOMENT in the calendar's time zone; ValueError for a naive one."""
        tzinfo = getattr(moment, "tzinfo", None)
        if tzinfo is self.tz:
            return moment
        if (tzinfo is None or not isinstance(moment, datetime)
                or (type(tzinfo) not in _ALWAYS_AWARE and moment.utcoffset() is None)):
            raise ValueError(f"a timezone-aware datetime is required, not {moment!r}")
        return moment.astimezone(self.tz)

    def _position(self, local: datetime):
        """(arrays, day index) of a local datetime, building a lazy range if needed."""
        t = self._t
        i = -1 if t is None else local.toordinal() - t[2]
        if t is None or not 0 <= i < t[3]:
            t = self._need(local.year)
            i = local.toordinal() - t[2]
        return t, i

    def _day_index(self, day: date):
        if isinstance(day, datetime):
            day = day.date()
        t = self._t
        i = -1 if t is None else day.toordinal() - t[2]
        if t is None or not 0 <= i < t[3]:
            t = self._need(day.year)
            i = day.toordinal() - t[2]
        return t, i

    # -- public interface -----------------------------------------------------------------

    def deadline(self, start: datetime, duration: Duration) -> datetime:
        """START + DURATION (see the module docstring for each unit's rules)."""
        # The common cases (start and answer inside the precomputed days) are written out here:
        # a Python call costs about as much as the arithmetic. Everything else: _deadline().
        t = self._t
        if t is not None:
            tzinfo = getattr(start, "tzinfo", None)
            if tzinfo is self.tz:
                wall = start
            elif tzinfo is UTC and t[9] is not None:
                wall = start + t[9]  # fields = local wall time (the tzinfo is left as UTC)
            else:
                wall = self._local(start)
            ordinal = wall.toordinal()
            i = ordinal - t[2]
            if 0 <= i < t[3]:
                unit = duration.unit
                n = duration.amount
                if unit == "wm" or unit == "wh":
                    if n:
                        s = wall.hour * 3600 + wall.minute * 60 + wall.second
                        cum = t[5]
                        done = cum[i]
                        for a, b in t[4][i]:
                            if s <= a:
                                break
                            done += (b if s > b else s) - a
                        target = done + (n * 60 if unit == "wm" else n * 3600)
                        k = bisect_left(cum, target, i + 1)
                        if k <= t[3]:
                            rest = target - cum[k - 1]
                            for a, b in t[4][k - 1]:
                                if rest <= b - a:
                                    return _at(t[8][k - 1], a + rest)
                                rest -= b - a
                elif unit == "wd":
                    wdays = t[6]
                    k = (bisect_right(wdays, ordinal) + n - 1) if n else bisect_left(wdays, ordinal)
                    if k < len(wdays):
                        return t[7][k]
                elif unit == "d":
                    if i + n < t[3]:
                        wdays = t[6]
                        k = bisect_left(wdays, ordinal + n)
                        if k < len(wdays):
                            return t[7][k]
        return self._deadline(start, duration)

    def _deadline(self, start: datetime, duration: Duration) -> datetime:
        unit, n = duration.unit, duration.amount
        factor = _NATURAL.get(unit)
        if factor is not None:
            self._local(start)  # only to refuse a naive datetime
            moment = start.replace(microsecond=0).astimezone(UTC)
            return (moment + timedelta(seconds=n * factor)).astimezone(self.tz)
        local = self._local(start)
        factor = _WORKING.get(unit)
        if factor is not None:
            return self._add(local, n * factor)
        if unit == "wd":
            return self._working_days(local, n)
        if unit == "d":
            return self._days(local, n)
        raise DurationError(f"unknown unit {unit!r}")

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """START + SECONDS of working time (see the module docstring for the rules)."""
        return self._add(self._local(start), seconds)

    def _add(self, local: datetime, seconds: int) -> datetime:
        if seconds < 0:
            raise ValueError("working time to add must be >= 0")
        t = self._t
        i = -1 if t is None else local.toordinal() - t[2]
        if t is None or not 0 <= i < t[3]:
            t, i = self._position(local)
        if not seconds:
            return local.replace(microsecond=0) if local.microsecond else local
        s = local.hour * 3600 + local.minute * 60 + local.second
        while True:
            wins, cum = t[4], t[5]
            done = cum[i]
            for a, b in wins[i]:
                if s <= a:
                    break
                done += (b if s > b else s) - a
            target = done + seconds
            k = bisect_left(cum, target, i + 1)
            if k <= t[3]:
                break
            ordinal = t[2] + i  # past the end of the arrays: more years, or YearNotCovered
            t = self._need(t[1] + 1, local.year)
            i = ordinal - t[2]
        j = k - 1
        rest = target - cum[j]
        for a, b in wins[j]:
            if rest <= b - a:
                return _at(t[8][j], a + rest)
            rest -= b - a
        raise AssertionError("unreachable: the prefix sums disagree with the windows")  # pragma: no cover

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Seconds of working time in [A, B) (whole seconds; microseconds dropped).

        Needs the calendar of the days from A's to the one before B when B is a midnight (the
        interval is half-open); 0 when A == B.
        """
        local_a, local_b = self._local(a), self._local(b)
        if b < a:
            raise ValueError("the end is before the start")
        if local_a.replace(microsecond=0) == local_b.replace(microsecond=0):
            return 0
        sb = local_b.hour * 3600 + local_b.minute * 60 + local_b.second
        if sb == 0:  # B at midnight: 24:00 of the day before, whose calendar is all we need
            local_b = local_b - _DAY
            sb = 86400
        t, i = self._position(local_a)
        j = local_b.toordinal() - t[2]
        if j >= t[3]:
            t = self._need(local_b.year, local_a.year)  # arrays covering both ends
            i, j = local_a.toordinal() - t[2], local_b.toordinal() - t[2]
        sa = local_a.hour * 3600 + local_a.minute * 60 + local_a.second
        return self._worked(t, j, sb) - self._worked(t, i, sa)

    @staticmethod
    def _worked(t, i: int, s: int) -> int:
        """Working seconds from the start of the arrays to second S of day I."""
        done = t[5][i]
        for a, b in t[4][i]:
            if s <= a:
                break
            done += (b if s > b else s) - a
        return done

    def is_working_day(self, day: date) -> bool:
        t, i = self._day_index(day)
        return bool(t[4][i])

    def close_of_day(self, day: date) -> datetime:
        """End of the day's last window; 24:00 (the next local midnight) for a window ending at 1440."""
        t, i = self._day_index(day)
        w = t[4][i]
        if not w:
            raise CalendarError(f"{date.fromordinal(t[2] + i).isoformat()} is not a working day")
        return _at(t[8][i], w[-1][1])

    # The slow paths of deadline(): the start or the answer outside the arrays.

    def _working_days(self, local: datetime, n: int) -> datetime:
        t, i = self._position(local)
        ordinal = t[2] + i
        while True:
            wdays = t[6]
            k = (bisect_right(wdays, ordinal) + n - 1) if n else bisect_left(wdays, ordinal)
            if k < len(wdays):
                return t[7][k]
            t = self._need(t[1] + 1, local.year)

    def _days(self, local: datetime, n: int) -> datetime:
        t, i = self._position(local)
        last = t[2] + i + n
        if last - t[2] >= t[3]:
            year = date.fromordinal(last).year if last <= date.max.toordinal() else 10000
            t = self._need(year, local.year)
        while True:
            wdays = t[6]
            k = bisect_left(wdays, last)
            if k < len(wdays):
                return t[7][k]
            t = self._need(t[1] + 1, local.year)


def _at(midnight: datetime, second: int) -> datetime:
    """The local time SECOND seconds (0–86400) after MIDNIGHT, on the wall clock."""
    minutes, seconds = divmod(second, 60)
    result = midnight + _MINUTES[minutes]
    return result + _SECONDS[seconds] if seconds else result
