"""A deliberately simple reference for kefu.sla.engine: minute by minute, day by day.

Independent of the engine's code (only its Duration and exception classes are shared). Working
time is counted in whole minutes, so starts must be minute-aligned. Local wall-clock time, as
in the engine.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kefu.sla.engine import YearNotCovered

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def windows(spec, day):
    if spec.covered_years and not spec.covered_years[0] <= day.year <= spec.covered_years[1]:
        raise YearNotCovered(day.year)
    if day in spec.exceptions:
        return spec.exceptions[day]
    return spec.weekly.get(day.weekday(), [])


def working_minute(spec, t):
    """Is the minute [t, t + 1 min) (naive local time) inside a window of its day?"""
    m = t.hour * 60 + t.minute
    return any(s <= m < e for s, e in windows(spec, t.date()))


def local(spec, moment):
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(ZoneInfo(spec.tz)).replace(tzinfo=None, microsecond=0)


def close(spec, day):
    return (datetime.combine(day, time()) + timedelta(minutes=windows(spec, day)[-1][1])).replace(tzinfo=ZoneInfo(spec.tz))


def deadline(spec, start, duration):
    n, unit = duration.amount, duration.unit
    if unit in ("m", "h"):
        return (start.replace(microsecond=0).astimezone(UTC) + n * (MINUTE if unit == "m" else 60 * MINUTE)).astimezone(ZoneInfo(spec.tz))
    t = local(spec, start)
    windows(spec, t.date())  # fail closed on the start's own day
    if unit in ("wm", "wh"):
        left = n if unit == "wm" else 60 * n
        while left:
            if not windows(spec, t.date()):  # a rest day: no working minute until its end
                t = datetime.combine(t.date() + DAY, time())
                continue
            if working_minute(spec, t):
                left -= 1
            t += MINUTE
        return t.replace(tzinfo=ZoneInfo(spec.tz))
    day = t.date()
    if unit == "d":
        day += n * DAY
    else:  # wd: the n-th working day after the starting day
        while n:
            day += DAY
            n -= bool(windows(spec, day))
    while not windows(spec, day):  # a rest day: the first working day after it
        day += DAY
    return close(spec, day)


def working_minutes_between(spec, a, b):
    t, end, count = local(spec, a), local(spec, b), 0
    while t < end:
        count += working_minute(spec, t)
        t += MINUTE
    return count
