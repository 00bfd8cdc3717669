"""Calendars in the database: seeded by migrate, used by the CLI, imported, cached until changed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.sla import calendars
from kefu.sla.engine import Duration
from kefu.sla.models import Calendar, CalendarDay, SlaPolicy

CST = ZoneInfo("Asia/Shanghai")


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue().strip()


def test_migrate_seeds_calendars_and_policies(db):
    office = Calendar.objects.get(name="cn-office")
    assert office.follows_official and office.official_from == 2004 and office.official_to >= 2026
    assert CalendarDay.objects.get(calendar=office, date=date(2025, 10, 11)).kind == "workday"
    assert CalendarDay.objects.get(calendar=office, date=date(2026, 2, 17)).kind == "holiday"
    assert Calendar.objects.get(name="24x7").follows_official is False
    assert SlaPolicy.objects.filter(is_active=True).count() >= 10


def test_cli_deadline_matches_the_issue_example(db):
    assert _run("deadline", "--calendar", "cn-office", "--start", "2025-09-30T17:00:00+08:00", "--duration", "2wh") \
        == "2025-10-09T10:00:00+08:00"
    assert _run("elapsed", "--calendar", "cn-office", "--from", "2025-09-30T17:00:00+08:00",
                "--to", "2025-10-09T10:00:00+08:00") == "120"


@pytest.mark.parametrize("args,message", [
    (("deadline", "--calendar", "cn-office", "--start", "2031-03-01T10:00:00+08:00", "--duration", "1wd"), "2031"),
    (("deadline", "--calendar", "nowhere", "--start", "2025-03-03T10:00:00+08:00", "--duration", "1h"), "nowhere"),
    (("deadline", "--calendar", "cn-office", "--start", "2025-03-03T10:00:00", "--duration", "1h"), "offset"),
    (("deadline", "--calendar", "cn-office", "--start", "2025-03-03T10:00:00+08:00", "--duration", "3 weeks"), "unit"),
])
def test_cli_errors_name_the_problem(db, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_edits_reach_the_cached_calculator(db):
    start = datetime(2025, 3, 3, 17, 0, tzinfo=CST)  # Monday
    assert calendars.calculator_for("cn-office").deadline(start, Duration.parse("2wh")) == datetime(2025, 3, 4, 10, 0, tzinfo=CST)
    office = Calendar.objects.get(name="cn-office")
    CalendarDay.objects.create(calendar=office, date=date(2025, 3, 4), kind="holiday", name="台风停工")
    assert calendars.calculator_for("cn-office").deadline(start, Duration.parse("2wh")) == datetime(2025, 3, 5, 10, 0, tzinfo=CST)


def test_import_csv_extends_the_covered_years(db, tmp_path):
    Calendar.objects.filter(name="cn-office").update(official_to=2026, revision="as-published")  # as today
    calendars.forget()
    csv = tmp_path / "2027.csv"
    csv.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,workday,调休\n", encoding="utf-8")
    out = _run("import", "--calendar", "cn-office", str(csv), "--covers-years", "2027")
    assert "2 days imported" in out and "2004–2027" in out
    # 2027 now computes: Friday 1 January is a holiday, so 2wh from 31 Dec 17:00 ends Monday 10:00.
    assert _run("deadline", "--calendar", "cn-office", "--start", "2026-12-31T17:00:00+08:00", "--duration", "2wh") \
        == "2027-01-04T10:00:00+08:00"


def test_import_ics(db, tmp_path):
    ics = tmp_path / "days.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                   "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260302\r\nDTEND;VALUE=DATE:20260304\r\nSUMMARY:公司年会 休\r\nEND:VEVENT\r\n"
                   "BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20260307\r\nSUMMARY:补班\r\nEND:VEVENT\r\n"
                   "END:VCALENDAR\r\n", encoding="utf-8")
    assert "3 days imported" in _run("import", "--calendar", "cn-office", str(ics))
    kinds = dict(CalendarDay.objects.filter(calendar__name="cn-office", source="import").values_list("date", "kind"))
    assert kinds == {date(2026, 3, 2): "holiday", date(2026, 3, 3): "holiday", date(2026, 3, 7): "workday"}


def test_import_refuses_bad_rows_and_writes_nothing(db, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 3"):
        _run("import", "--calendar", "cn-office", str(csv))
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_load_official_keeps_hand_made_days(db):
    office = Calendar.objects.get(name="cn-office")
    CalendarDay.objects.filter(calendar=office, date=date(2025, 10, 8)).update(kind="workday", source="manual")
    _run("load-official")
    assert CalendarDay.objects.get(calendar=office, date=date(2025, 10, 8)).kind == "workday"
    assert CalendarDay.objects.filter(calendar=office, source="official", date__year=2025).count() > 20
