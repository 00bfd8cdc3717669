from django.core.management.base import BaseCommand

from kefu.orders.services import auto_confirm_due


class Command(BaseCommand):
    help = "Confirm resolved work orders whose customer stayed silent for KEFU_AUTO_CONFIRM_HOURS."

    def handle(self, **options):
        self.stdout.write(f"auto-confirmed {auto_confirm_due()} work orders")
