"""kefu audit verify"""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kefu.audit import services
from kefu.audit.models import ChainHead


def problem_text(problem: str) -> str:
    return {
        "missing": _("an entry before it is missing"),
        "relinked": _("it does not follow the entry before it"),
        "changed": _("its content was changed after it was written"),
        "outside": _("it is not part of the chain"),
        "truncated": _("entries after it were removed"),
    }[problem]


class Command(BaseCommand):
    help = "Check the audit log's hash chain and name the first broken entry (exit status 1 if broken)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the hash chain from the first entry to the head")

    def handle(self, action, **o):
        checked, broken = services.verify_chain()
        if broken is None:
            head = ChainHead.objects.filter(pk=1).first()
            self.stdout.write(_("audit chain intact: %(n)s entries; head %(seq)s %(hash)s") % {
                "n": checked, "seq": head.seq if head else 0, "hash": head.hash if head else "-"})
            return
        seq, entry_id, problem = broken
        self.stderr.write(_("audit chain broken at entry %(seq)s (id %(id)s): %(why)s; %(n)s entries before it are intact") % {
            "seq": seq, "id": entry_id, "why": problem_text(problem), "n": checked})
        sys.exit(1)
