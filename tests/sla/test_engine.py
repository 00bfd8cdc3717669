"""kefu.sla.engine: hand-checked deadlines on China's official calendar, and property tests
comparing the engine with the deliberately simple reference (tests/sla/reference.py)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from kefu.sla.engine import (
    Calculator,
    CalendarError,
    CalendarSpec,
    Duration,
    DurationError,
    YearNotCovered,
)
from tests.sla import reference as ref

SH = ZoneInfo("Asia/Shanghai")
OFFICE = [(9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)]


def cn_office_spec() -> CalendarSpec:
    """cn-office: 09:00–12:00 and 13:30–18:00 on working days of China's official calendar."""
    from chinese_calendar import constants

    exceptions = {d: [] for d in constants.holidays}  # only the days of holiday periods
    exceptions.update({d: list(OFFICE) for d in constants.workdays})  # make-up working days (调休)
    return CalendarSpec(tz="Asia/Shanghai", weekly={d: list(OFFICE) for d in range(5)},
                        exceptions=exceptions, covered_years=(2004, 2026))


OFFICE_SPEC = cn_office_spec()
office = Calculator(OFFICE_SPEC)
always = Calculator(CalendarSpec(weekly={d: [(0, 1440)] for d in range(7)}))


def at(*args):
    return datetime(*args, tzinfo=SH)


def due(calc, start, text):
    return calc.deadline(start, Duration.parse(text))


# -- the official data ----------------------------------------------------------------------

def test_official_data_covers_weekends_both_ways():
    from chinese_calendar import constants

    assert date(2025, 10, 4) in constants.holidays  # a Saturday inside National Day
    assert date(2025, 11, 8) not in constants.holidays  # an ordinary Saturday is not listed
    assert all(d.weekday() >= 5 for d in constants.workdays)  # make-up days are weekend days
    assert not office.is_working_day(date(2025, 10, 4))
    assert not office.is_working_day(date(2025, 10, 1))  # a Wednesday, National Day
    assert not office.is_working_day(date(2025, 11, 8))  # ordinary weekend: weekly rule
    assert office.is_working_day(date(2025, 9, 28))  # Sunday, make-up working day
    assert office.is_working_day(date(2025, 10, 11))  # Saturday, make-up working day
    assert office.is_working_day(date(2025, 11, 10))
    assert [d for d in constants.holidays if d.year == 2026 and d.month == 2] == [
        date(2026, 2, d) for d in range(15, 24)]
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= set(constants.workdays)


# -- working time ---------------------------------------------------------------------------

def test_issue_example_national_day_2025():
    assert due(office, at(2025, 9, 30, 17, 0), "2wh") == at(2025, 10, 9, 10, 0)


@pytest.mark.parametrize(("start", "text", "expected"), [
    (at(2025, 9, 29, 10, 0), "2wh", at(2025, 9, 29, 12, 0)),  # ends at the end of the morning
    (at(2025, 9, 29, 11, 0), "2wh", at(2025, 9, 29, 14, 30)),  # across lunch
    (at(2025, 9, 29, 17, 0), "1wh", at(2025, 9, 29, 18, 0)),  # the close, not next morning
    (at(2025, 9, 29, 12, 30), "1wh", at(2025, 9, 29, 14, 30)),  # starting in the lunch break
    (at(2025, 9, 29, 12, 30), "90wm", at(2025, 9, 29, 15, 0)),
    (at(2025, 9, 29, 8, 59), "1wm", at(2025, 9, 29, 9, 1)),
    (at(2025, 11, 10, 7, 0), "1wh", at(2025, 11, 10, 10, 0)),  # early morning
    (at(2025, 11, 8, 22, 0), "1wh", at(2025, 11, 10, 10, 0)),  # Saturday night → Monday
    (at(2025, 11, 10, 19, 0), "30wm", at(2025, 11, 11, 9, 30)),  # evening → next morning
    (at(2025, 11, 10, 18, 0), "1wm", at(2025, 11, 11, 9, 1)),  # exactly at the close
    (at(2025, 11, 10, 9, 0), "450wm", at(2025, 11, 10, 18, 0)),  # a full day: 7.5 h
    (at(2025, 11, 10, 9, 0), "8wh", at(2025, 11, 11, 9, 30)),
    (at(2025, 11, 10, 10, 0), "0wh", at(2025, 11, 10, 10, 0)),
    (at(2025, 11, 8, 22, 0), "0wm", at(2025, 11, 8, 22, 0)),  # zero: the start itself
])
def test_working_time_office(start, text, expected):
    result = due(office, start, text)
    assert result == expected
    assert result.utcoffset() == timedelta(hours=8)


def test_spring_festival_2026():
    # 2026-02-13 Friday; 14 Saturday is a make-up working day; 15–23 off; 24 Tuesday back.
    assert due(office, at(2026, 2, 13, 17, 0), "2wh") == at(2026, 2, 14, 10, 0)
    # 1 h on Friday + 7.5 h on the make-up Saturday + 0.5 h after the festival
    assert due(office, at(2026, 2, 13, 17, 0), "9wh") == at(2026, 2, 24, 9, 30)
    # starting on the make-up Saturday: 6.5 h left that day, then 1.5 h on the 24th
    assert due(office, at(2026, 2, 14, 10, 0), "8wh") == at(2026, 2, 24, 10, 30)
    assert due(office, at(2026, 2, 14, 10, 0), "1wd") == at(2026, 2, 24, 18, 0)
    assert due(office, at(2026, 2, 13, 10, 0), "1wd") == at(2026, 2, 14, 18, 0)
    assert due(office, at(2026, 2, 13, 10, 0), "2wd") == at(2026, 2, 24, 18, 0)
    # the 28th (Saturday) is a make-up working day too: Mon 23 (off) … 24, 25, 26, 27, 28
    assert due(office, at(2026, 2, 20, 10, 0), "5wd") == at(2026, 2, 28, 18, 0)
    assert due(office, at(2026, 2, 20, 10, 0), "6wd") == at(2026, 3, 2, 18, 0)
    # a day-based period ending inside the festival moves to the first working day after it
    assert due(office, at(2026, 2, 10, 10, 0), "7d") == at(2026, 2, 24, 18, 0)


def test_working_days_national_day_2025():
    # 9/30 is not counted; Oct 1–8 off; 9 Thu, 10 Fri, 11 Sat (make-up day)
    assert due(office, at(2025, 9, 30, 17, 0), "3wd") == at(2025, 10, 11, 18, 0)
    assert due(office, at(2025, 9, 30, 17, 0), "1wd") == at(2025, 10, 9, 18, 0)
    # from the make-up Sunday 9/28: Mon 29, Tue 30, then Oct 9
    assert due(office, at(2025, 9, 28, 9, 0), "3wd") == at(2025, 10, 9, 18, 0)


def test_zero_days_is_the_close_of_the_start_day_or_the_next_working_day():
    assert due(office, at(2025, 11, 10, 20, 0), "0wd") == at(2025, 11, 10, 18, 0)  # even after it
    assert due(office, at(2025, 11, 8, 10, 0), "0wd") == at(2025, 11, 10, 18, 0)
    assert due(office, at(2025, 11, 8, 10, 0), "0d") == at(2025, 11, 10, 18, 0)
    assert due(always, at(2025, 10, 1, 15, 0), "0d") == at(2025, 10, 2, 0, 0)


# -- calendar days --------------------------------------------------------------------------

def test_days_ending_on_a_rest_day_move_to_the_next_working_day():
    assert due(office, at(2025, 11, 7, 10, 0), "1d") == at(2025, 11, 10, 18, 0)  # Sat → Mon
    assert due(office, at(2025, 11, 6, 10, 0), "1d") == at(2025, 11, 7, 18, 0)
    # Saturday 9/27 is a rest day, Sunday 9/28 a make-up working day
    assert due(office, at(2025, 9, 26, 10, 0), "1d") == at(2025, 9, 28, 18, 0)
    assert due(office, at(2025, 9, 30, 23, 59), "1d") == at(2025, 10, 9, 18, 0)


def test_days_around_the_clock_end_at_24_00():
    assert due(always, at(2025, 10, 1, 15, 0), "1d") == at(2025, 10, 3, 0, 0)  # 24:00 of Oct 2
    assert due(always, at(2025, 10, 1, 0, 0), "1d") == at(2025, 10, 3, 0, 0)
    assert due(always, at(2025, 12, 31, 15, 0), "1d") == at(2026, 1, 2, 0, 0)
    assert always.close_of_day(date(2025, 10, 2)) == at(2025, 10, 3, 0, 0)
    assert due(always, at(2025, 10, 1, 23, 30), "1wh") == at(2025, 10, 2, 0, 30)
    assert due(always, at(2025, 10, 1, 23, 0), "1wh") == at(2025, 10, 2, 0, 0)


def test_fifteen_day_complaint_ceiling():
    # 电信用户申诉处理办法: answer within 15 days of the complaint
    assert due(office, at(2025, 3, 3, 10, 0), "15d") == at(2025, 3, 18, 18, 0)
    # the 15th day (Oct 1) is National Day: the period runs to the first working day after it
    assert due(office, at(2025, 9, 16, 10, 0), "15d") == at(2025, 10, 9, 18, 0)
    assert due(always, at(2025, 9, 16, 10, 0), "15d") == at(2025, 10, 2, 0, 0)


def test_natural_time():
    start = at(2025, 9, 30, 17, 0)
    assert due(office, start, "48h") == at(2025, 10, 2, 17, 0)  # fault repair, cities
    assert due(office, start, "72h") == at(2025, 10, 3, 17, 0)  # rural areas
    assert due(office, start, "90m") == at(2025, 9, 30, 18, 30)
    result = due(office, start.astimezone(UTC), "24h")
    assert result == at(2025, 10, 1, 17, 0) and result.tzinfo == SH
    assert due(office, at(2003, 5, 1, 10, 0), "24h") == at(2003, 5, 2, 10, 0)  # needs no calendar


def test_inputs_in_other_time_zones_and_microseconds():
    start = datetime(2025, 9, 30, 9, 0, 0, 999_999, tzinfo=UTC)  # 17:00 Shanghai
    result = office.deadline(start, Duration.parse("2wh"))
    assert result == at(2025, 10, 9, 10, 0) and result.tzinfo == SH
    assert office.deadline(start, Duration(0, "wm")) == at(2025, 9, 30, 17, 0)  # floored
    assert office.add_working_seconds(at(2025, 9, 30, 17, 59, 59), 2) == at(2025, 10, 9, 9, 0, 1)


def test_working_seconds_between():
    assert office.working_seconds_between(at(2025, 9, 30, 17, 0), at(2025, 10, 9, 10, 0)) == 7200
    assert office.working_seconds_between(at(2025, 11, 10, 11, 0), at(2025, 11, 10, 14, 0)) == 5400
    assert office.working_seconds_between(at(2025, 11, 10, 11, 0), at(2025, 11, 10, 11, 0)) == 0
    assert office.working_seconds_between(at(2025, 11, 8, 0, 0), at(2025, 11, 9, 23, 0)) == 0
    with pytest.raises(ValueError):
        office.working_seconds_between(at(2025, 11, 10, 11, 0), at(2025, 11, 10, 10, 0))


def test_close_of_day():
    assert office.close_of_day(date(2025, 9, 28)) == at(2025, 9, 28, 18, 0)
    with pytest.raises(CalendarError):
        office.close_of_day(date(2025, 10, 1))


# -- failing closed -------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "text", "year"), [
    (at(2003, 12, 31, 10, 0), "1wh", 2003),
    (at(2003, 12, 31, 10, 0), "0wm", 2003),
    (at(2003, 12, 31, 10, 0), "1wd", 2003),
    (at(2003, 12, 31, 10, 0), "1d", 2003),
    (at(2026, 12, 31, 17, 0), "2wh", 2027),
    (at(2026, 12, 25, 10, 0), "15wd", 2027),
    (at(2026, 12, 25, 10, 0), "7d", 2027),
    (at(2026, 12, 31, 19, 0), "1wm", 2027),
    (at(2027, 1, 4, 10, 0), "1wh", 2027),
    (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), "1wm", 2027),  # 2027-01-01 01:00 in Shanghai
])
def test_year_not_covered(start, text, year):
    with pytest.raises(YearNotCovered, match=f"the official calendar for {year} is not loaded") as info:
        due(office, start, text)
    assert info.value.year == year
    with pytest.raises(YearNotCovered):
        ref.deadline(OFFICE_SPEC, start, Duration.parse(text))


def test_the_last_covered_day_is_enough_when_it_suffices():
    assert due(office, at(2026, 12, 31, 17, 0), "1wh") == at(2026, 12, 31, 18, 0)
    assert due(office, at(2026, 12, 30, 17, 0), "1wd") == at(2026, 12, 31, 18, 0)
    with pytest.raises(YearNotCovered):
        office.is_working_day(date(2027, 1, 1))
    assert always.is_working_day(date(1900, 1, 1)) and always.is_working_day(date(2300, 1, 1))


# -- interface ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("90m", Duration(90, "m")), ("2h", Duration(2, "h")), ("30wm", Duration(30, "wm")),
    ("2wh", Duration(2, "wh")), ("3d", Duration(3, "d")), (" 15 WD ", Duration(15, "wd")),
    ("0wd", Duration(0, "wd")),
])
def test_duration_parse(text, expected):
    assert Duration.parse(text) == expected
    assert str(expected) == text.strip().replace(" ", "").lower()


@pytest.mark.parametrize("text", ["", "5", "wd", "-1h", "1.5h", "5x", "5 w d", "5days", None])
def test_duration_parse_errors(text):
    with pytest.raises(DurationError, match="wm"):
        Duration.parse(text)


def test_duration_properties():
    assert Duration.parse("1wd").is_working and Duration.parse("2wh").is_working
    assert not Duration.parse("1d").is_working and not Duration.parse("48h").is_working
    with pytest.raises(DurationError):
        Duration(-1, "h")
    with pytest.raises(DurationError):
        Duration(1, "s")


@pytest.mark.parametrize("method", ["deadline", "add", "between", "natural"])
def test_naive_datetimes_are_refused(method):
    naive = datetime(2025, 11, 10, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        if method == "deadline":
            office.deadline(naive, Duration(1, "wd"))
        elif method == "add":
            office.add_working_seconds(naive, 60)
        elif method == "between":
            office.working_seconds_between(naive, naive)
        else:
            office.deadline(naive, Duration(1, "h"))


@pytest.mark.parametrize("spec", [
    CalendarSpec(weekly={0: [(600, 540)]}),
    CalendarSpec(weekly={0: [(0, 1441)]}),
    CalendarSpec(weekly={0: [(540, 720), (700, 800)]}),
    CalendarSpec(weekly={7: [(540, 720)]}),
    CalendarSpec(tz="Mars/Olympus"),
    CalendarSpec(covered_years=(2026, 2025)),
])
def test_bad_specs(spec):
    with pytest.raises(CalendarError):
        Calculator(spec)


def test_lazy_calendar_builds_any_year_in_any_order():
    spec = CalendarSpec(tz="Asia/Shanghai", weekly={d: list(OFFICE) for d in range(5)},
                        exceptions={date(2031, 1, 1): [], date(2019, 1, 5): [(600, 660)]})
    calc = Calculator(spec)
    for start in [at(2030, 12, 30, 17, 0), at(2019, 1, 4, 17, 30), at(2045, 12, 29, 17, 0),
                  at(2030, 12, 31, 17, 0), at(1999, 12, 31, 17, 0)]:
        for text in ["2wh", "600wm", "3wd", "2d", "0wd"]:
            assert due(calc, start, text) == ref.deadline(spec, start, Duration.parse(text)), (start, text)


def test_lazy_calendar_far_apart_years():
    calc = always
    assert calc.working_seconds_between(at(1999, 12, 31, 12, 0), at(2045, 1, 1, 12, 0)) == (
        at(2045, 1, 1, 12, 0) - at(1999, 12, 31, 12, 0)).total_seconds()
    assert due(calc, at(2100, 12, 31, 12, 0), "1000wd") == at(2103, 9, 28, 0, 0)
    assert due(calc, at(1950, 12, 31, 12, 0), "26wh") == at(1951, 1, 1, 14, 0)
    with pytest.raises(CalendarError, match="years"):
        calc.working_seconds_between(at(1900, 1, 1, 0, 0), at(2300, 1, 1, 0, 0))


def test_calendar_without_working_time():
    calc = Calculator(CalendarSpec(weekly={}))
    with pytest.raises(CalendarError):
        due(calc, at(2025, 1, 1, 10, 0), "1wh")
    with pytest.raises(CalendarError):
        due(calc, at(2025, 1, 1, 10, 0), "1wd")
    assert due(calc, at(2025, 1, 1, 10, 0), "0wm") == at(2025, 1, 1, 10, 0)


# -- property tests: engine == reference ----------------------------------------------------

@st.composite
def day_windows(draw):
    kind = draw(st.sampled_from(["rest", "full", "open", "open", "open"]))
    if kind == "rest":
        return []
    if kind == "full":
        return [(0, 1440)]
    windows, t = [], draw(st.integers(0, 900))
    for _ in range(draw(st.integers(1, 3))):
        end = min(t + draw(st.integers(1, 300)), 1440)
        windows.append((t, end))
        t = end + draw(st.integers(0, 150))  # 0: windows that touch; else a lunch-like break
        if t >= 1440:
            break
    return windows


@st.composite
def scenarios(draw):
    """(spec, minute-aligned aware start): a random calendar, exceptions near the start."""
    covered = draw(st.sampled_from([(2025, 2026), (2025, 2026), None]))
    weekly = {d: draw(day_windows()) for d in range(7)}
    if covered is None and not any(weekly.values()):
        weekly[0] = [(540, 1020)]  # the reference would search forever for working time
    # often near the ends of the covered years: deadlines that run out of them, starts before them
    base = draw(st.one_of(st.dates(date(2025, 1, 1), date(2026, 12, 31)),
                          st.dates(date(2026, 12, 1), date(2026, 12, 31)),
                          st.dates(date(2025, 1, 1), date(2025, 1, 3))))
    exceptions = {}
    for _ in range(draw(st.integers(0, 12))):
        day = base + timedelta(days=draw(st.integers(-5, 40)))
        exceptions[day] = draw(day_windows()) if draw(st.booleans()) else []
    tz = draw(st.sampled_from(["Asia/Shanghai", "Asia/Shanghai", "UTC", "Europe/Berlin"]))  # Berlin: DST
    local = datetime.combine(base + timedelta(days=draw(st.integers(-3, 10))), datetime.min.time())
    start = (local + timedelta(minutes=draw(st.integers(0, 1439)))).replace(tzinfo=ZoneInfo(tz))
    if draw(st.booleans()):
        start = start.astimezone(UTC)  # the same moment given in another zone
    return CalendarSpec(tz=tz, weekly=weekly, exceptions=exceptions, covered_years=covered), start


def weekly_minutes(spec):
    return sum(e - s for ws in spec.weekly.values() for s, e in ws)


@st.composite
def durations(draw, spec):
    unit = draw(st.sampled_from(["wm", "wm", "wh", "wd", "d", "m", "h"]))
    # working time up to ~3 days of an office (capped by the calendar's own working time, so
    # that the minute-by-minute reference stays fast)
    cap = max(3, min(1440, 2 * weekly_minutes(spec)))
    amount = {"wm": st.integers(0, cap), "wh": st.integers(0, max(1, cap // 60)), "wd": st.integers(0, 15),
              "d": st.integers(0, 20), "m": st.integers(0, 5000), "h": st.integers(0, 100)}[unit]
    return Duration(draw(amount), unit)


def outcome(fn, *args):
    try:
        result = fn(*args)
    except YearNotCovered as exc:
        return ("YearNotCovered", exc.year)
    return (result, result.utcoffset(), str(result.tzinfo))


FAST = settings(max_examples=250, deadline=None)


@FAST
@given(st.data())
def test_engine_matches_reference(data):
    spec, start = data.draw(scenarios())
    duration = data.draw(durations(spec))
    calc = Calculator(spec)
    expected = outcome(ref.deadline, spec, start, duration)
    assert outcome(calc.deadline, start, duration) == expected
    event(f"{duration.unit}: {'YearNotCovered' if expected[0] == 'YearNotCovered' else 'deadline'}, "
          f"{'official' if spec.covered_years else 'lazy'}")


@FAST
@given(st.data())
def test_working_time_round_trips(data):
    spec, start = data.draw(scenarios())
    calc = Calculator(spec)
    start += timedelta(seconds=data.draw(st.integers(0, 59)))  # seconds are fine here
    seconds = data.draw(st.integers(1, 60 * max(3, min(1440, 2 * weekly_minutes(spec)))))
    try:
        end = calc.add_working_seconds(start, seconds)
    except YearNotCovered:
        return
    assert calc.working_seconds_between(start, end) == seconds
    if seconds > 1:  # the deadline is the earliest moment with that much working time behind it
        assert calc.working_seconds_between(start, end - timedelta(seconds=1)) == seconds - 1


@FAST
@given(st.data())
def test_working_seconds_between_matches_reference(data):
    spec, start = data.draw(scenarios())
    end = start + timedelta(minutes=data.draw(st.integers(0, 3 * 1440)))
    calc = Calculator(spec)
    try:
        seconds = calc.working_seconds_between(start, end)
    except YearNotCovered as exc:
        with pytest.raises(YearNotCovered) as info:
            ref.working_minutes_between(spec, start, end)
        assert info.value.year == exc.year
        return
    assert seconds == 60 * ref.working_minutes_between(spec, start, end)


@FAST
@given(st.data())
def test_deadlines_are_monotonic(data):
    spec, start = data.draw(scenarios())
    unit = data.draw(st.sampled_from(["wm", "wd", "d"]))
    small, large = sorted(data.draw(st.lists(st.integers(0, 2000 if unit == "wm" else 20), min_size=2, max_size=2)))
    calc = Calculator(spec)
    try:
        later = calc.deadline(start, Duration(large, unit))
    except YearNotCovered:
        return
    earlier = calc.deadline(start, Duration(small, unit))  # must not raise when the later one did not
    assert earlier <= later
    if unit == "wm":
        assert earlier >= start


def test_working_seconds_between_edges():
    # the interval is half-open: up to midnight 2027-01-01 needs only 2026
    assert office.working_seconds_between(at(2026, 12, 31, 17, 0), at(2027, 1, 1, 0, 0)) == 3600
    assert office.working_seconds_between(at(2027, 1, 1, 0, 0), at(2027, 1, 1, 0, 0)) == 0
    with pytest.raises(YearNotCovered):
        office.working_seconds_between(at(2026, 12, 31, 17, 0), at(2027, 1, 1, 0, 0, 1))
    # whole seconds: microseconds are dropped from both ends
    assert always.working_seconds_between(at(2025, 1, 1, 23, 59, 59, 900_000), at(2025, 1, 2, 0, 0, 0, 100_000)) == 1
    assert always.working_seconds_between(at(2025, 1, 2, 0, 0, 0, 100_000), at(2025, 1, 2, 0, 0, 0, 900_000)) == 0


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin"])
def test_utc_starts_in_years_with_daylight_saving(tz):
    # China had DST 1986–1991: the UTC → local shortcut (a fixed offset) must not be used there
    spec = CalendarSpec(tz=tz, weekly={d: [(0, 1440)] if d >= 5 else list(OFFICE) for d in range(7)})
    calc = Calculator(spec)
    starts = [datetime(2025, 6, 1, 9, 0, tzinfo=UTC), datetime(1988, 4, 9, 17, 30, tzinfo=UTC),
              datetime(1988, 7, 1, 9, 0, tzinfo=UTC), datetime(2025, 3, 29, 23, 30, tzinfo=UTC),
              datetime(2025, 10, 25, 23, 30, tzinfo=UTC)]
    for start in starts:
        for text in ["1wh", "26wh", "2wd", "1d", "90m"]:
            duration = Duration.parse(text)
            assert outcome(calc.deadline, start, duration) == outcome(ref.deadline, spec, start, duration)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_deadlines_landing_on_a_window_end_stay_there(data):
    # the end-of-window rule, where random durations rarely land: N = the working minutes from
    # the start to the end of some window a few days later; the deadline is that window's end
    spec, start = data.draw(scenarios())
    tz = ZoneInfo(spec.tz)
    day = start.astimezone(tz).date() + timedelta(days=data.draw(st.integers(0, 6)))
    try:
        windows = ref.windows(spec, day)
        assume(windows)
        end = datetime.combine(day, datetime.min.time()) + timedelta(minutes=data.draw(st.sampled_from(windows))[1])
        end = end.replace(tzinfo=tz)
        assume(end > start)
        minutes = ref.working_minutes_between(spec, start, end)
    except YearNotCovered:
        return
    assume(minutes > 0)
    calc = Calculator(spec)
    assert calc.deadline(start, Duration(minutes, "wm")) == end
    if minutes % 60 == 0:
        assert calc.deadline(start, Duration(minutes // 60, "wh")) == end
