from django.core.management.base import BaseCommand, CommandError

from kefu.staff.models import User
from kefu.staff.services import issue_token


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (shown once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="label for the token")

    def handle(self, username, name, **options):
        try:
            raw = issue_token(username, name=name)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        self.stdout.write(raw)
