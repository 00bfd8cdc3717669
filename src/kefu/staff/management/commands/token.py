"""kefu token USERNAME [--scope S ...] [--days N] [--name NAME] | kefu token --revoke PREFIX | kefu token --list USERNAME"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kefu.staff.models import SCOPES, ApiToken, User


class Command(BaseCommand):
    help = "Issue an API token (shown once; only its hash is stored), list a user's tokens, or revoke one."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--name", default="cli", help="label for the token")
        parser.add_argument("--scope", action="append", choices=SCOPES,
                            help="narrow the token: read, write, identity (repeat; default: all three)")
        parser.add_argument("--days", type=int, help="expiry in days (default KEFU_API_TOKEN_DAYS; 0: never)")
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the token that starts with PREFIX")
        parser.add_argument("--list", action="store_true", help="list USERNAME's tokens")

    def handle(self, username, name, scope, days, revoke, list, **options):
        if revoke:
            n = ApiToken.objects.filter(prefix=revoke[:12], revoked_at__isnull=True).update(revoked_at=timezone.now())
            if n == 0:
                raise CommandError(f"no live token starts with {revoke[:12]!r}")
            self.stdout.write(f"revoked {revoke[:12]}…")
            return
        if not username:
            raise CommandError("a USERNAME is needed (or --revoke PREFIX)")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if list:
            for t in user.api_tokens.order_by("created_at"):
                state = "revoked" if t.revoked_at else "expired" if t.expires_at and t.expires_at <= timezone.now() else "live"
                self.stdout.write(f"{t.prefix}…  {t.name:<12} {','.join(t.scopes):<20} {state:<8} "
                                  f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else
                                  f"{t.prefix}…  {t.name:<12} {','.join(t.scopes):<20} {state:<8} never expires")
            return
        try:
            _token, raw = ApiToken.issue(user, name=name, scopes=scope, days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(raw)
