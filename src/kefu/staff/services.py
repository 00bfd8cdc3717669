"""Staff rules: who belongs where, and API tokens."""

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
    qs = User.objects.filter(is_active=True).order_by("username")
    return qs.filter(department_id=department_id) if department_id else qs
