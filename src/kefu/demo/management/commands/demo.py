from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from kefu.demo import org

# Most customers call once or twice in four months, a few often (demo.seed.FREQUENT_SHARE):
# more customers than orders. tests/demo measures a demo of this size.
CUSTOMERS, ORDERS = 2500, 3000


class Command(BaseCommand):
    help = "Create the demo organisation and logins, load demo data once, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=CUSTOMERS)
        parser.add_argument("--orders", type=int, default=ORDERS)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, customers, orders, seed, **options):
        from kefu.demo.seed import generate
        from kefu.orders.models import WorkOrder

        org.ensure_org()
        org.ensure_knowledge()
        # Loaded once: a database that already holds work orders is left as it is.
        if WorkOrder.objects.exists():
            self.stdout.write("Demo data already present; not loading it again.")
        else:
            # As of this moment: histories, clocks and escalations end now, so the worker
            # started next has no backlog to fire.
            counts = generate(customers=customers, orders=orders, seed=seed, clocks=True, now=timezone.now())
            self.stdout.write("Loaded demo data: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
            self._billing_base()
            self.stdout.write(f"Automatic quality checks: {self._quality()} hits.")
            self.stdout.write("Quality, training and corrective history: " + ", ".join(
                f"{n} {k}" for k, n in self._quality_history().items()))
            from kefu.reports import services as reports
            from kefu.reports import snapshots

            # The reports' rollups of the seeded months (the worker keeps them from here on), and
            # last month's report closed, as the worker would have closed it when it ended.
            self.stdout.write(f"Report rollups of {reports.rebuild()} orders.")
            closed = snapshots.close_due()
            self.stdout.write("Closed reports: " + (", ".join(f"{s.period} {s.start}" for s in closed) or "none"))
            self.stdout.write(f"Follow-up tasks of the last {settings.KEFU_FOLLOWUP_DUE_HOURS} h: {self._follow_ups()}.")
            self.stdout.write(f"Last month's assessment: {self._assessment()}.")
            from kefu.demo import hotline

            self.stdout.write(f"Today's hotline calls: {hotline.seed()}")
        self.stdout.write(org.logins_text())
        self.stdout.write("Demo service password of every demo customer: 123456")

    def _follow_ups(self) -> int:
        """The follow-up queue as the rules would have filled it: the orders resolved within
        the follow-up time limit, through the consumer that makes tasks live (kefu.followup)."""
        import datetime as dt

        from kefu.followup import services as followup
        from kefu.followup.models import FollowUpTask
        from kefu.orders.models import OrderEvent

        since = timezone.now() - dt.timedelta(hours=settings.KEFU_FOLLOWUP_DUE_HOURS)
        before = FollowUpTask.objects.count()  # the calls of the weeks before, seeded
        followup.on_order_events(list(OrderEvent.objects.filter(action="resolve", at__gte=since).order_by("pk")))
        return FollowUpTask.objects.count() - before

    def _quality(self) -> int:
        """The automatic quality checks of the seeded contacts, as the worker would have run them
        when each ended (its turns go on from now), and last week's sample drawn."""
        from kefu.contacts.models import Contact
        from kefu.quality import services as quality

        quality.check_due()  # the watermark: now
        hits = quality.check_contacts(Contact.objects.filter(ended_at__isnull=False).values_list("pk", flat=True))
        quality.draw_due()  # last week's sample, for the inspectors
        return hits

    def _quality_history(self) -> dict:
        """Two months of inspections, appeals and a calibration; the knowledge tests; the
        corrective actions — before the rollups are built, so the figures hold them. The
        notices of the history's inspections are marked read but for the last three."""
        from kefu.demo.seed import corrective, quality, training
        from kefu.notifications.models import Notification

        now = timezone.now()
        before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        counts = quality.inspection_history(now)
        newer = list(Notification.objects.filter(pk__gt=before).order_by("-pk").values_list("pk", flat=True)[3:])
        Notification.objects.filter(pk__in=newer).update(read_at=now)
        counts |= {f"tests: {k}": n for k, n in (training.seed(now) or {}).items()}
        counts |= {f"corrective: {k}": n for k, n in (corrective.seed(now) or {}).items()}
        return counts

    def _assessment(self) -> str:
        """Last month's assessment of the agents computed from the rollups and published, as the
        worker does on KEFU_ASSESSMENT_PUBLISH_DAY."""
        from kefu.assessment import services as assessment
        from kefu.assessment.models import Scheme

        scheme = Scheme.objects.filter(role="agent", is_active=True).first()
        if scheme is None:
            return "no scheme"
        run = assessment.compute(None, scheme.pk, assessment.last_period(scheme))
        assessment.publish(None, run.pk)
        return f"{run.people} people, published"

    def _billing_base(self):
        """The subscribers Kefu does not hold (about 600,000, kefu.demo.base), recorded as the
        billing system's (reports.subscribers.record_billing, what `kefu reports subscribers` calls)."""
        from kefu.demo import base
        from kefu.reports import subscribers

        rows = base.billing_rows(base.combos(), timezone.localdate())
        subscribers.record_billing(rows, replace=True)
        self.stdout.write(f"Billing system base: {sum(r[-1] for r in rows):,} subscribers beside Kefu's own.")
