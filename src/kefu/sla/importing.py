"""Import dated calendar exceptions from CSV or ICS (RFC 5545, parsed with `icalendar`).

CSV: a header row with `date,kind,name` (and optionally `windows` as "09:00-12:00;13:30-18:00");
kind is `holiday` (rest day) or `workday` (working day, e.g. 调休). ICS: all-day events; an
event whose summary says 班 / 补班 / 上班 / "working day" is a working day, anything else a rest
day; multi-day events cover every day. Rows for existing dates are replaced.
"""

import csv
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from .calendars import forget, format_windows, parse_windows
from .models import Calendar, CalendarDay, new_revision

WORKDAY_WORDS = ("补班", "上班", "班", "working day", "workday")


class ImportProblem(ValueError):
    pass


def _years(text):
    if not text:
        return None
    try:
        first, _, last = text.partition("-")
        return int(first), int(last or first)
    except ValueError:
        raise ImportProblem(f"--covers-years: {text!r} is not a year or a range like 2027-2028") from None


def read_csv(path) -> list[tuple[date, str, str, list]]:
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                day = date.fromisoformat(row["date"].strip())
                kind = row["kind"].strip().lower()
                if kind not in {"holiday", "workday"}:
                    raise ValueError(f"kind must be holiday or workday, not {kind!r}")
                windows = []
                if (row.get("windows") or "").strip():
                    windows = format_windows(parse_windows([w.split("-") for w in row["windows"].split(";")]))
            except (KeyError, ValueError) as exc:
                raise ImportProblem(f"{path}, line {n}: {exc}") from None
            rows.append((day, kind, (row.get("name") or "").strip(), windows))
    return rows


def read_ics(path) -> list[tuple[date, str, str, list]]:
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(Path(path).read_bytes())
    except ValueError as exc:
        raise ImportProblem(f"{path}: not an iCalendar file ({exc})") from None
    rows = []
    for event in cal.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else start + timedelta(days=1)
        if not isinstance(start, date) or hasattr(start, "hour"):
            continue  # timed events are appointments, not calendar days
        summary = str(event.get("SUMMARY", ""))
        kind = "workday" if any(w in summary.lower() for w in WORKDAY_WORDS) else "holiday"
        day = start
        while day < end:
            rows.append((day, kind, summary[:100], []))
            day += timedelta(days=1)
    return rows


@transaction.atomic
def import_file(calendar: Calendar, path, covers_years=None):
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise ImportProblem(f"{path}: no such file")
    rows = read_ics(path) if suffix in {".ics", ".ical"} else read_csv(path)
    years = _years(covers_years)
    CalendarDay.objects.filter(calendar=calendar, date__in=[r[0] for r in rows]).delete()
    CalendarDay.objects.bulk_create([CalendarDay(calendar=calendar, date=d, kind=k, name=n, windows=w, source="import")
                                     for d, k, n, w in rows])
    update = {"revision": new_revision()}
    if years:
        first = min(years[0], calendar.official_from or years[0])
        last = max(years[1], calendar.official_to or years[1])
        update |= {"official_from": first, "official_to": last}
        years = (first, last)
    Calendar.objects.filter(pk=calendar.pk).update(**update)
    forget()
    return len(rows), years
