"""kefu sla deadline | elapsed | load-official | import"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from kefu.sla import calendars, importing, official
from kefu.sla.engine import CalendarError, Duration, DurationError
from kefu.sla.models import Calendar, CalendarDay


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{what}: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise CommandError(f"--{what}: give the UTC offset, e.g. {text}+08:00")
    return moment


class Command(BaseCommand):
    help = "Service time limits: compute deadlines and working time; load and import calendars."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("deadline", help="print the deadline of DURATION from START")
        p.add_argument("--calendar", required=True)
        p.add_argument("--start", required=True, help="ISO 8601 with offset, e.g. 2025-09-30T17:00:00+08:00")
        p.add_argument("--duration", required=True, help="e.g. 90m, 24h, 2wh, 30wm, 15d, 3wd")
        p = sub.add_parser("elapsed", help="print the working minutes between two moments")
        p.add_argument("--calendar", required=True)
        p.add_argument("--from", dest="start", required=True)
        p.add_argument("--to", dest="end", required=True)
        p = sub.add_parser("load-official", help="load China's official holidays from the installed chinese_calendar")
        p.add_argument("--calendar", action="append", help="only this calendar (repeatable)")
        p = sub.add_parser("import", help="import dated exceptions from a CSV or ICS file")
        p.add_argument("--calendar", required=True)
        p.add_argument("file")
        p.add_argument("--covers-years", help="mark these years as fully loaded, e.g. 2027 or 2027-2028")

    def handle(self, action, **o):
        try:
            {"deadline": self.deadline, "elapsed": self.elapsed, "load-official": self.load_official,
             "import": self.import_}[action](**o)
        except (CalendarError, DurationError, importing.ImportProblem) as exc:
            raise CommandError(str(exc)) from None
        except calendars.UnknownCalendar as exc:
            raise CommandError(f"no calendar named {exc.args[0]!r}") from None

    def deadline(self, calendar, start, duration, **o):
        due = calendars.calculator_for(calendar).deadline(_moment(start, "start"), Duration.parse(duration))
        self.stdout.write(due.isoformat())

    def elapsed(self, calendar, start, end, **o):
        a, b = _moment(start, "from"), _moment(end, "to")
        if b < a:
            raise CommandError("--to is before --from")
        seconds = calendars.calculator_for(calendar).working_seconds_between(a, b)
        self.stdout.write(str(seconds // 60) if seconds % 60 == 0 else f"{seconds / 60:.2f}")

    def load_official(self, calendar, **o):
        for name, n in official.load_official(Calendar, CalendarDay, names=calendar).items():
            self.stdout.write(f"{name}: {n} official days")

    def import_(self, calendar, file, covers_years, **o):
        cal = Calendar.objects.filter(name=calendar).first()
        if cal is None:
            raise calendars.UnknownCalendar(calendar)
        n, years = importing.import_file(cal, file, covers_years)
        self.stdout.write(f"{calendar}: {n} days imported" + (f"; official data now covers {years[0]}–{years[1]}" if years else ""))
