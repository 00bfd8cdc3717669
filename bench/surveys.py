"""Follow-up tasks and survey invitations for a day of resolved orders (issue 16: ≥ 2,000 orders/s).

    .venv/bin/python bench/surveys.py --database postgres --orders 100000
    .venv/bin/python bench/surveys.py --database sqlite --orders 20000

Seeds ORDERS work orders with `kefu seed` (most of them resolved), forgets the demo's survey
history (so fatigue does not hide the work), then hands the resolution events to the two
consumers that react to them, in the batches the order-event drain uses (orders.events.BATCH),
each batch in its own transaction as the drain runs it: `surveys` (invitations, SMS in the
outbox) and `followup` (tasks by the rules, routed). Prints orders/s of each and of both.
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
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    with throwaway(args.database, "surveys"):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import transaction

        from kefu.contacts.models import SmsMessage
        from kefu.followup import services as followup
        from kefu.followup.models import FollowUpTask
        from kefu.orders import events as hook
        from kefu.orders.models import OrderEvent
        from kefu.surveys import services as surveys
        from kefu.surveys.models import Answer, Invitation

        call_command("migrate", verbosity=0)
        began = time.monotonic()
        # As many customers as orders: a day's resolutions are mostly different customers' (each asked once).
        call_command("seed", customers=args.orders, orders=args.orders, seed=5,
                     stdout=open(os.devnull, "w"))
        print(f"seeded {args.orders:,} orders in {time.monotonic() - began:.0f} s")
        Answer.objects.all().delete()
        Invitation.objects.all().delete()
        FollowUpTask.objects.all().delete()
        SmsMessage.objects.all().delete()
        resolutions = list(OrderEvent.objects.filter(action="resolve").order_by("pk"))
        print(f"{len(resolutions):,} resolution events")
        timings = {}
        for name, consumer in (("surveys", surveys.on_order_events), ("followup", followup.on_order_events)):
            began = time.monotonic()
            for start in range(0, len(resolutions), hook.BATCH):
                with transaction.atomic():
                    consumer(resolutions[start:start + hook.BATCH])
            timings[name] = time.monotonic() - began
            print(f"{name}: {len(resolutions) / timings[name]:,.0f} orders/s ({timings[name]:.1f} s)")
        total = sum(timings.values())
        print(f"both: {len(resolutions) / total:,.0f} orders/s ({total:.1f} s); "
              f"{Invitation.objects.count():,} invitations, {SmsMessage.objects.count():,} SMS in the outbox, "
              f"{FollowUpTask.objects.count():,} follow-up tasks")


if __name__ == "__main__":
    main()
