"""kefu routing agents | presence | drain"""

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import ServiceError
from kefu.routing import services
from kefu.staff.models import Department, User


class Command(BaseCommand):
    help = "See and set who takes work orders; hand queued orders out now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("agents", help="status, capacity, open orders and load of the people who handle orders")
        p.add_argument("--department", help="department code")
        p = sub.add_parser("presence", help="set someone's status; their department's offline policy applies")
        p.add_argument("username")
        p.add_argument("presence", choices=User.Presence.values)
        p.add_argument("--reason", default="")
        p = sub.add_parser("drain", help="hand queued orders to people with room (the worker does it every KEFU_ROUTING_DRAIN_SECONDS)")
        p.add_argument("--department", help="department code")

    def handle(self, action, **o):
        try:
            getattr(self, action)(**o)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from None

    def _department(self, code):
        if code is None:
            return None
        found = Department.objects.filter(code=code).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(f"no department with code {code!r}")
        return found

    def _system(self):
        # The command line acts as an administrator would.
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if admin is None:
            raise CommandError("no active superuser to act as: create one with `kefu createsuperuser`")
        return admin

    def agents(self, department, **o):
        for p in services.agents(self._system(), self._department(department)):
            skills = ",".join(sorted(s.code for s in p.skills.all())) or "-"
            self.stdout.write(f"{p.username:<16} {p.department.code if p.department else '-':<14} {p.presence:<10} "
                              f"{p.open_orders:>3}/{p.capacity:<4} load {p.load:<4} skills {skills}")

    def presence(self, username, presence, reason, **o):
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"no user {username!r}")
        services.set_presence(self._system(), person.pk, presence, reason=reason)
        self.stdout.write(f"{username}: {presence}")

    def drain(self, department, **o):
        self.stdout.write(f"assigned {services.drain(self._department(department))} queued work orders")
