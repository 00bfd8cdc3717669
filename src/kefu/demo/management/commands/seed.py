import argparse
import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.demo.seed.params import BULK_LOAD_ORDERS


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--anchor must be a date like 2026-03-31, not {value!r}") from None


class Command(BaseCommand):
    help = ("Add deterministic demo data: customers with accounts and subscriptions, contacts, and work orders "
            "in every status with legal histories, with their word index. Demo customers' service password is "
            f"123456. Runs of {BULK_LOAD_ORDERS} orders or more without --clocks drop the tables' indexes (and "
            "foreign keys on PostgreSQL) for the load and make them again before committing: until then other "
            "sessions wait for those tables.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True, help="customers to add")
        parser.add_argument("--orders", type=int, required=True, help="work orders to add (plus ~20%% answered contacts)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--anchor", type=_date, default=None,
                            help="YYYY-MM-DD: data covers the ~120 days before this date (default: today)")
        parser.add_argument("--clocks", action=argparse.BooleanOptionalAction, default=False,
                            help="also give open orders their SLA clocks by replaying their histories "
                                 "(about 8 ms an open order; `kefu demo` does it)")

    def handle(self, customers, orders, seed, anchor, clocks, **options):
        from kefu.demo.seed import generate

        if customers < 0 or orders < 0:
            raise CommandError("--customers and --orders must not be negative")
        if orders and not customers:
            raise CommandError("work orders need customers: pass --customers 1 or more")
        if isinstance(anchor, str):  # call_command(anchor="...") skips argparse's type conversion
            anchor = _date(anchor)
        anchor = anchor or dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
        began = time.monotonic()
        counts = generate(customers=customers, orders=orders, seed=seed, anchor=anchor, clocks=clocks,
                          stdout=self.stdout if options["verbosity"] > 1 else None)
        elapsed = time.monotonic() - began
        for label, n in counts.items():
            self.stdout.write(f"{n:>9} {label}")
        self.stdout.write(f"Seed {seed}, anchor {anchor}: done in {elapsed:.1f} s. "
                          "Demo customers' service password: 123456")
