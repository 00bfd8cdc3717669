import csv
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"a date like 2026-11-30, not {value!r}") from None


class Command(BaseCommand):
    help = ("Service reports: rebuild the rollups; refresh the subscriber counts and clocks that came due; "
            "record the billing system's subscribers.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute the rollups of whole months (all without --from/--to); "
                                                 "idempotent, and resumes an interrupted run of the same range")
        rebuild.add_argument("--from", dest="date_from", type=_date, help="YYYY-MM-DD (widened to its month's first day)")
        rebuild.add_argument("--to", dest="date_to", type=_date, help="YYYY-MM-DD (widened to its month's last day)")
        rebuild.add_argument("--batch", type=int, default=1000, help="orders per committed batch (default 1000)")
        sub.add_parser("refresh", help="bring clocks that came due and the subscriber counts into the rollups now")
        close = sub.add_parser("close", help="freeze the report of a month, quarter or year that has ended "
                                             "(a new version only if its figures changed); without --period, every period due")
        close.add_argument("--period", help="2026-11, 2026-Q4 or 2026")
        verify = sub.add_parser("verify", help="check the closed reports' hashes against their figures and the audit chain")
        verify.add_argument("--period", help="only this period's versions (2026-11, 2026-Q4 or 2026)")
        sub.add_parser("send", help="send the reports people subscribed to that are due now")
        base = sub.add_parser("subscribers", help="record the billing system's subscribers that Kefu does not hold "
                                                  "(a base and net changes), added to Kefu's own for the per-subscriber rates")
        base.add_argument("file", help="CSV in UTF-8 with the header day,province,city,product,change "
                                       "(product: mobile, broadband, fixed_line or value_added)")
        base.add_argument("--replace", action="store_true", help="delete the billing rows recorded before")

    def handle(self, action, **options):
        from kefu.reports import rollups, subscribers

        if action == "refresh":
            self.stdout.write(f"clocks due: {rollups.refresh_due()} orders; subscriber rows: {subscribers.refresh()}")
            return
        if action == "subscribers":
            return self._billing(options["file"], options["replace"])
        if action in ("close", "verify"):
            return self._snapshots(action, options.get("period"))
        if action == "send":
            from django.utils import timezone

            from kefu.reports import delivery

            self.stdout.write(str(delivery.send_due(timezone.now())))
            return
        if options["date_from"] and options["date_to"] and options["date_to"] < options["date_from"]:
            raise CommandError("--to is before --from")
        started = time.monotonic()

        def progress(run):
            if run.orders_done % (options["batch"] * 20) == 0:
                rate = run.orders_done / max(time.monotonic() - started, 1e-9)
                self.stderr.write(f"  {run.orders_done:,} orders ({rate:,.0f}/s), up to order {run.last_order_id}")

        try:
            run = rollups.rebuild(options["date_from"], options["date_to"], batch=options["batch"], progress=progress)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        subscribers.refresh()
        seconds = time.monotonic() - started
        span = f"{run.date_from or 'the beginning'} – {run.date_to or 'now'}"
        self.stdout.write(f"rebuilt the rollups of {span}: {run.orders_done:,} orders in {seconds:.1f} s "
                          f"({run.orders_done / max(seconds, 1e-9):,.0f} orders/s)")

    def _billing(self, path: str, replace: bool):
        """The billing system's CSV through `subscribers.record_billing` (rows numbered as the
        file's lines, the header being line 1)."""
        from django.utils.translation import gettext as _

        from kefu.core.errors import ServiceError
        from kefu.reports import subscribers

        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror or exc}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(file)s is not UTF-8 text.") % {"file": path}) from None
        except csv.Error as exc:
            raise CommandError(_("%(file)s is not a CSV file: %(error)s") % {"file": path, "error": exc}) from None
        while rows and not rows[-1]:
            rows.pop()  # blank lines at the end
        header = [c.strip().lower() for c in rows[0]] if rows else []
        if header != list(subscribers.BILLING_FIELDS):
            raise CommandError(_("The first line of %(file)s must be the header %(header)s.")
                               % {"file": path, "header": ",".join(subscribers.BILLING_FIELDS)})
        try:
            n = subscribers.record_billing(rows[1:], replace=replace, start=2)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from None
        if replace:
            self.stdout.write(_("Recorded %(n)s billing system subscriber rows in place of those recorded before.") % {"n": n})
        else:
            self.stdout.write(_("Recorded %(n)s billing system subscriber rows.") % {"n": n})

    def _snapshots(self, action, code):
        from kefu.core.errors import ServiceError
        from kefu.reports import periods, snapshots
        from kefu.reports.models import Snapshot

        period = None
        if code:
            try:
                period = periods.parse(code)
            except ServiceError as exc:
                raise CommandError(str(exc.message)) from None
            if period.kind not in (periods.MONTH, periods.QUARTER, periods.YEAR):
                raise CommandError("only a month, a quarter or a year is closed")
        if action == "close":
            try:
                done = [snapshots.reclose(period.kind, period.first)] if period else snapshots.close_due()
            except ServiceError as exc:
                raise CommandError(str(exc.message)) from None
            done = [s for s in done if s is not None]
            for snap in done:
                self.stdout.write(f"closed {snap.period} {snap.start} version {snap.version} sha256 {snap.sha256}")
            if not done:
                self.stdout.write("nothing to close: no period due, or the figures are unchanged")
            return
        rows = Snapshot.objects.all() if period is None else Snapshot.objects.filter(period=period.kind, start=period.first)
        broken = 0
        for snap in rows.order_by("start", "period", "version"):
            problems = snapshots.verify(snap)
            broken += bool(problems)
            self.stdout.write(f"{snap.period} {snap.start} v{snap.version}: " + ("; ".join(problems) if problems else "ok"))
        if broken:
            raise CommandError(f"{broken} closed report(s) do not verify")
