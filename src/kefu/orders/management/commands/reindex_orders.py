from django.core.management.base import BaseCommand

from kefu.orders.services import reindex_words


class Command(BaseCommand):
    help = ("Rebuild the work orders' word index (search), for orders written around the services "
            "(raw inserts, imports). Without ids: every order.")

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="work order ids (default: all)")

    def handle(self, *, ids, **options):
        self.stdout.write(f"indexed the words of {reindex_words(ids or None)} work orders")
