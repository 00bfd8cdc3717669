"""kefu cti: the hotline's commands — import call records (CSV), connect to FreeSWITCH's event
socket, simulate a call centre (docs/cti.md). Each subcommand's work lives in its own module."""

from django.core.management.base import BaseCommand

from kefu.cti import freeswitch, importer, simulate


class Command(BaseCommand):
    help = "The hotline: import call records, connect to FreeSWITCH, simulate calls."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        importer.add_arguments(sub.add_parser("import", help=importer.HELP))
        freeswitch.add_arguments(sub.add_parser("freeswitch", help=freeswitch.HELP))
        simulate.add_arguments(sub.add_parser("simulate", help=simulate.HELP))

    def handle(self, action, **options):
        module = {"import": importer, "freeswitch": freeswitch, "simulate": simulate}[action]
        module.run(options, self.stdout)
