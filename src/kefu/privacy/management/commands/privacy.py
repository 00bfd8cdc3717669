"""kefu privacy purge [--dry-run]"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.privacy import services


class Command(BaseCommand):
    help = "Personal data retention (PIPL): run the purge now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("purge", help="anonymise customers past real-name retention, clear old contacts' numbers and "
                                         "summaries, delete old identity verifications (the worker does it every "
                                         "KEFU_PRIVACY_PURGE_SECONDS)")
        p.add_argument("--dry-run", action="store_true", help="count what would be done; change nothing")
        p.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
        p.add_argument("--all-contacts", action="store_true",
                       help="clear every contact older than the limit, not only those since the last run")

    def handle(self, action, **o):
        getattr(self, action)(**o)

    def purge(self, dry_run, batch_size, all_contacts, **o):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        counts = services.purge(batch_size=batch_size, dry_run=dry_run, all_contacts=all_contacts)
        text = (_("would anonymise %(customers)s customers, clear %(contacts)s contacts, delete %(verifications)s identity verifications")
                if dry_run else
                _("anonymised %(customers)s customers, cleared %(contacts)s contacts, deleted %(verifications)s identity verifications"))
        self.stdout.write(text % counts)
