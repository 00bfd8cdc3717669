import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    class Kind(models.TextChoices):
        FRONT_OFFICE = "front_office", _("Front office")
        TECH_SUPPORT = "tech_support", _("Technical support")
        BILLING = "billing", _("Billing")
        COMPLAINTS = "complaints", _("Complaint coordination")
        SALES = "sales", _("Sales")
        NETWORK_OPS = "network_ops", _("Network operations")
        STORE = "store", _("Store")
        QUALITY = "quality", _("Quality management")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Tier(models.IntegerChoices):
        FRONT_OFFICE = 1, _("Tier 1: front office")
        SPECIALISTS = 2, _("Tier 2: specialists")
        EXPERTS = 3, _("Tier 3: experts and network operations")

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("Manual: handlers claim from the queue")
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_LOADED = "least_loaded", _("Least loaded (open orders weighted by severity)")
        SKILL = "skill", _("By skill, then least loaded")

    class OfflinePolicy(models.TextChoices):
        KEEP = "keep", _("Keep: the orders wait for the handler")
        REQUEUE = "requeue", _("Requeue: back to the department queue")
        REASSIGN = "reassign", _("Reassign to other handlers by the department's strategy")

    tier = models.PositiveSmallIntegerField(_("escalation tier"), choices=Tier.choices, default=Tier.FRONT_OFFICE)
    escalates_to = models.ForeignKey("self", verbose_name=_("escalates to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     help_text=_("The next tier's desk for orders escalated from here."))
    assignment = models.CharField(_("assignment strategy"), max_length=20, choices=Assignment.choices, default=Assignment.MANUAL)
    offline_policy = models.CharField(_("when a handler goes away or offline"), max_length=10, choices=OfflinePolicy.choices,
                                      default=OfflinePolicy.REQUEUE)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class DataScope(models.TextChoices):
    """Which rows a user may see at all (kefu.scopes). Wider scopes include narrower ones."""

    OWN = "own", _("Own: orders they own or handle, and their customers")
    DEPARTMENT = "department", _("Department: also their department's orders")
    REGION = "region", _("Region: also every customer and order of their region")
    ALL = "all", _("All regions")


class User(AbstractUser):
    """A member of staff. Roles are Django groups (see roles.py); scope comes from department."""

    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Presence(models.TextChoices):
        AVAILABLE = "available", _("Available")
        BUSY = "busy", _("Busy")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    # Routing state: who may be given work now, and how much.
    presence = models.CharField(_("status"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    presence_since = models.DateTimeField(_("status since"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=10,
                                                help_text=_("Most open work orders assigned automatically; 0 takes none."))
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True, editable=False)
    data_scope = models.CharField(_("data scope"), max_length=10, choices=DataScope.choices, blank=True,
                                  help_text=_("Empty: the widest scope the user's roles grant."))
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
                                help_text=_("Empty: the installation's default (KEFU_LANGUAGE)."))
    time_zone = models.CharField(_("time zone"), max_length=50, blank=True,
                                 help_text=_("Times are shown in this zone; empty: KEFU_TIME_ZONE."))
    region = models.CharField(_("region"), max_length=20, blank=True,
                              help_text=_("Province the user serves; empty: KEFU_REGION, or the whole installation."))

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["department", "presence"])]
        permissions = [
            ("data_scope_department", _("Can see the data of their department")),
            ("data_scope_region", _("Can see the data of their region")),
            ("data_scope_all", _("Can see the data of all regions")),
        ]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


SCOPES = ("read", "write", "identity")


def all_scopes() -> list:
    return list(SCOPES)


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once.

    Scopes narrow what the token's user may do through it: `read` keeps the view permissions,
    `write` the others, `identity` the right to reveal identity data. A token expires at
    `expires_at` (KEFU_API_TOKEN_DAYS after issue) and can be revoked at any time.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    scopes = models.JSONField(_("scopes"), default=all_scopes)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str = "", *, scopes=None, days=None) -> tuple["ApiToken", str]:
        scopes = sorted(set(scopes or SCOPES))
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {', '.join(SCOPES)}")
        if user.is_superuser and set(scopes) != set(SCOPES):
            # A superuser passes every permission check, so a narrowed token would not be narrow.
            raise ValueError("a superuser's token cannot be narrowed: issue it to a user with a role")
        days = settings.KEFU_API_TOKEN_DAYS if days is None else days
        raw = "kefu_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:12], digest=_hash_token(raw), scopes=scopes,
                                   expires_at=timezone.now() + timedelta(days=days) if days > 0 else None)
        return token, raw

    @classmethod
    def authenticate(cls, raw: str):
        token = next(iter(cls.objects.select_related("user").filter(digest=_hash_token(raw), revoked_at__isnull=True)[:1]), None)
        now = timezone.now()
        if token is None or not token.user.is_active or (token.expires_at is not None and token.expires_at <= now):
            return None
        if set(token.scopes) != set(SCOPES):
            token.user.token_scopes = frozenset(token.scopes)  # the permission backend narrows by it
        # Write last-use at most once a minute: no write on every API call.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user
