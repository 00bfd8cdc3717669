"""The automatic quality checks over 100,000 contacts (issue 17: ≥ 1,000 contacts/s).

    .venv/bin/python bench/quality.py --database postgres --contacts 100000
    .venv/bin/python bench/quality.py --database sqlite --contacts 20000

Seeds orders with `kefu seed` (each order's contact and three answered without an order), types
a full mobile number into one summary in twenty and a service taboo into one in fifty, then
runs `quality.services.check_contacts` over every ended contact, in its batches of 500: the
facts of a batch in six queries (summaries, the agent's notes and replies on the contact's
orders, identity reveals from the audit log, breached clocks), the rules in Python, the hits
and the checked marks written. Prints contacts/s and the hits by rule.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from throwaway import throwaway  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    with throwaway(args.database, "quality"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db.models import Count, Value
        from django.db.models.functions import Concat

        from kefu.contacts.models import Contact
        from kefu.quality import services
        from kefu.quality.models import CheckHit

        call_command("migrate", verbosity=0)
        orders = max(10, args.contacts // 4)
        began = time.monotonic()
        call_command("seed", customers=max(100, orders // 2), orders=orders, seed=7, stdout=open(os.devnull, "w"))
        ids = list(Contact.objects.filter(ended_at__isnull=False).order_by("pk").values_list("pk", flat=True))
        # What inspectors are after, in some of them: a full number typed into one summary in
        # twenty, a service taboo in one in fifty.
        for picked, words in ((ids[::20], "，客户新号码13912345678"), (ids[7::50], "，这个不归我管")):
            for start in range(0, len(picked), 5000):
                Contact.objects.filter(pk__in=picked[start:start + 5000]).update(summary=Concat("summary", Value(words)))
        print(f"seeded {orders:,} orders, {len(ids):,} ended contacts in {time.monotonic() - began:.0f} s", flush=True)
        began = time.monotonic()
        hits = services.check_contacts(ids)
        seconds = time.monotonic() - began
        print(f"checked {len(ids):,} contacts in {seconds:.1f} s: {len(ids) / seconds:,.0f} contacts/s, {hits:,} hits")
        for code, n in CheckHit.objects.values_list("rule__code").annotate(n=Count("*")).order_by("-n"):
            print(f"  {code}: {n:,}")


if __name__ == "__main__":
    main()
