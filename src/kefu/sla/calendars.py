"""Calendars from the database as engine Calculators, cached per process until they change."""

import threading
import time

from django.utils.translation import gettext as _

from .engine import Calculator, CalendarSpec
from .models import Calendar, CalendarDay

_cache: dict[str, tuple[str, Calculator]] = {}
_lock = threading.Lock()


class UnknownCalendar(LookupError):
    pass


def parse_windows(value) -> list[tuple[int, int]]:
    """[["09:00", "12:00"], …] → [(540, 720), …]; raises ValueError naming the problem."""
    if not isinstance(value, list):
        raise ValueError(_("Windows must be a list of [start, end] pairs."))
    out = []
    for pair in value:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValueError(_("Each window is a [start, end] pair like [\"09:00\", \"12:00\"]."))
        start, end = (_minutes(p) for p in pair)
        if not start < end:
            raise ValueError(_("A window must end after it starts: %(w)s") % {"w": f"{pair[0]}–{pair[1]}"})
        out.append((start, end))
    out.sort()
    for (_s1, e1), (s2, _e2) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise ValueError(_("Windows overlap."))
    return out


def _minutes(text) -> int:
    try:
        hours, minutes = str(text).split(":")
        h, m = int(hours), int(minutes)
    except ValueError:
        raise ValueError(_("%(t)s is not a time like 09:00.") % {"t": text}) from None
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ValueError(_("%(t)s is not a time of day.") % {"t": text})
    return h * 60 + m


def format_windows(windows) -> list[list[str]]:
    return [[f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"] for s, e in windows]


def spec_of(calendar: Calendar) -> CalendarSpec:
    weekly = {int(day): parse_windows(w) for day, w in calendar.weekly.items()}
    standard = weekly.get(0) or next((w for w in weekly.values() if w), [])
    exceptions = {}
    for date, kind, windows in calendar.days.values_list("date", "kind", "windows"):
        if kind == CalendarDay.Kind.HOLIDAY:
            exceptions[date] = []
        else:
            exceptions[date] = parse_windows(windows) if windows else list(standard)
    covered = (calendar.official_from, calendar.official_to) if calendar.follows_official else None
    return CalendarSpec(tz=calendar.time_zone, weekly=weekly, exceptions=exceptions, covered_years=covered)


CHECK_SECONDS = 1.0
_checked: dict[str, float] = {}


def calculator_for(name: str) -> Calculator:
    """The calculator of calendar NAME, cached per process. Its revision is checked (one small
    query) at most once a second, so an edit reaches every process within a second."""
    cached = _cache.get(name)
    now = time.monotonic()
    if cached is not None and now - _checked.get(name, 0.0) < CHECK_SECONDS:
        return cached[1]
    row = Calendar.objects.filter(name=name).values_list("pk", "revision").first()
    if row is None:
        raise UnknownCalendar(name)
    pk, revision = row
    _checked[name] = now
    if cached is not None and cached[0] == revision:
        return cached[1]
    with _lock:
        calc = Calculator(spec_of(Calendar.objects.get(pk=pk)))
        _cache[name] = (revision, calc)
    return calc


def forget() -> None:
    """Make this process look at the calendars again at once (after bulk changes)."""
    _checked.clear()


def new_revision_for(sender, instance, **kwargs):
    forget()
    from .models import new_revision

    calendar_id = instance.pk if sender is Calendar else instance.calendar_id
    Calendar.objects.filter(pk=calendar_id).update(revision=new_revision())
