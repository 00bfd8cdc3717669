"""Staff rules: who belongs where, and API tokens."""

import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

from .models import ApiToken, User


def issue_token(username: str, name: str = "") -> str:
    """Create an API token for USERNAME and return it; it cannot be shown again."""
    user = User.objects.get(username=username)
    _token, raw = ApiToken.issue(user, name=name)
    return raw


def has_role(user, role: str) -> bool:
    return user.groups.filter(name=role).exists()


def active_departments():
    from .models import Department

    return Department.objects.filter(is_active=True).order_by("code")


def active_staff(department_id=None):
    """People to pick as handlers or owners: not system users such as the portal's."""
    from .roles import SELF_SERVICE

    qs = User.objects.filter(is_active=True).exclude(groups__name=SELF_SERVICE).order_by("username")
    return qs.filter(department_id=department_id) if department_id else qs


def holders(perm: str, *, superusers: bool = False):
    """Active people who hold PERM ("app.codename") through a group or directly (and
    superusers, with SUPERUSERS): inspectors, test takers, follow-up callers."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app, codename = perm.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app, codename=codename).values("pk")
    q = Q(groups__permissions__in=granted) | Q(user_permissions__in=granted)
    if superusers:
        q |= Q(is_superuser=True)
    return User.objects.filter(is_active=True).filter(pk__in=User.objects.filter(q).values("pk"))


def system_user_ids(ids) -> set:
    """Which of IDS are system users (the portal's): they register orders but own none. Asked
    on every assignment and notification, so the few system users are remembered
    (kefu.core.recent; forgotten when anyone's groups change)."""
    from kefu.core import recent

    from .roles import SELF_SERVICE

    system = recent.remember("system_users", lambda: frozenset(
        User.objects.filter(groups__name=SELF_SERVICE).values_list("pk", flat=True)))
    return set(ids) & system


def set_preferences(user, *, language: str, time_zone: str):
    """The user's own display language and time zone ('' for the installation's default)."""
    errors = {}
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = _("unknown language")
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = _("unknown time zone")
    if errors:
        raise ValidationFailed(_("The input is invalid."), fields=errors)
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


def system_user(username: str, display_name: str) -> User:
    """The system user USERNAME (the portal, the IVR …) that a channel acts as, created on first
    use in the self_service role (kefu.staff.roles): active (so that its permissions count), not
    staff, with no usable password; it owns an order only until the first person takes it.
    ImproperlyConfigured if USERNAME is a person's account."""
    from django.contrib.auth.models import Group
    from django.core.exceptions import ImproperlyConfigured
    from django.db import IntegrityError, transaction

    from . import roles

    user = User.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=username, display_name=display_name, is_active=True, is_staff=False, capacity=0)
                user.set_unusable_password()
                user.save()
                user.groups.add(Group.objects.get(name=roles.SELF_SERVICE))
        except IntegrityError:  # created at the same moment by another request or event
            user = User.objects.get(username=username)
    if user.has_usable_password() or user.is_staff or user.is_superuser:
        raise ImproperlyConfigured(f"the user {username!r} is a person's account; no channel can act as it")
    return user
