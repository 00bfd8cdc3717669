"""Mainland China's official holidays and make-up working days (调休), from `chinese_calendar`.

The package is maintained every year when the State Council publishes the next year's
arrangement; `kefu sla load-official` brings a newer package's years into the database.
"""

from datetime import date

OFFICE_WEEKLY = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
SEEDED = [
    # name, title, weekly windows, follows the official calendar
    ("cn-office", "China office hours (09:00–12:00, 13:30–18:00, official working days)", OFFICE_WEEKLY, True),
    ("24x7", "Around the clock", ALWAYS, False),
]


def official_days() -> tuple[dict[date, str], dict[date, str], tuple[int, int]]:
    """(rest days → name, make-up working days → name, (first year, last year)) of the package."""
    from chinese_calendar import constants

    holidays = {d: _name(n) for d, n in constants.holidays.items()}
    workdays = {d: _name(n) for d, n in constants.workdays.items()}
    years = sorted({d.year for d in holidays})
    return holidays, workdays, (years[0], years[-1])


def _name(holiday) -> str:
    return getattr(holiday, "value", None) or str(holiday)


def load_official(Calendar, CalendarDay, names=None) -> dict[str, int]:
    """Write the official days into every calendar that follows them (or those in NAMES).

    Rows entered by hand or imported for the same date are left alone: the operator's word wins.
    Works with real models and with a migration's historical models.
    """
    from .models import new_revision

    holidays, workdays, (first, last) = official_days()
    written = {}
    calendars = Calendar.objects.filter(follows_official=True)
    if names:
        calendars = calendars.filter(name__in=names)
    for calendar in calendars:
        own = set(CalendarDay.objects.filter(calendar=calendar).exclude(source="official").values_list("date", flat=True))
        CalendarDay.objects.filter(calendar=calendar, source="official").delete()
        rows = [CalendarDay(calendar=calendar, date=d, kind="holiday", name=n, source="official")
                for d, n in holidays.items() if d not in own]
        rows += [CalendarDay(calendar=calendar, date=d, kind="workday", name=n, source="official")
                 for d, n in workdays.items() if d not in own]
        CalendarDay.objects.bulk_create(rows, batch_size=1000)
        Calendar.objects.filter(pk=calendar.pk).update(
            official_from=min(first, calendar.official_from or first), official_to=max(last, calendar.official_to or last),
            revision=new_revision())
        written[calendar.name] = len(rows)
    from .calendars import forget

    forget()
    return written


def seed_calendars(Calendar, CalendarDay):
    for name, title, weekly, follows in SEEDED:
        Calendar.objects.get_or_create(name=name, defaults={"title": title, "weekly": weekly, "follows_official": follows})
    load_official(Calendar, CalendarDay)
