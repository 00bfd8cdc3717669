from django.core.management.base import BaseCommand

from kefu.demo import org


class Command(BaseCommand):
    help = "Create the demo organisation and logins, load demo data once, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument("--orders", type=int, default=3000)
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
            counts = generate(customers=customers, orders=orders, seed=seed, clocks=True)
            self.stdout.write("Loaded demo data: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        self.stdout.write(org.logins_text())
        self.stdout.write("Demo service password of every demo customer: 123456")
