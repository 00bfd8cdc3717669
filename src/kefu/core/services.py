"""Checks every app's services share: permission, existence, the optimistic version, and the
unique constraints a pre-check guards."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .errors import Conflict, Forbidden, NotFound


def require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise Forbidden()


def find(qs, **lookup):
    """The one row matching a unique LOOKUP, or None. Unlike .first(), adds no ORDER BY."""
    return next(iter(qs.filter(**lookup)[:1]), None)


def get_or_404(model, pk, *, lock=False, queryset=None):
    """The row, from QUERYSET if given (e.g. with its relations joined), or a NotFound. Rows
    in a data scope (customers, contacts, orders…) are read through kefu.scopes.get instead."""
    qs = queryset if queryset is not None else model.objects
    obj = find(qs.select_for_update() if lock else qs, pk=pk)
    if obj is None:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": str(model._meta.verbose_name).capitalize(), "id": pk})
    return obj


def page_of(qs, page: int, page_size: int) -> tuple[int, list]:
    """(total count, the rows of PAGE), PAGE_SIZE capped at KEFU_API_MAX_PAGE_SIZE."""
    from django.conf import settings

    size = min(page_size, settings.KEFU_API_MAX_PAGE_SIZE)
    start = (page - 1) * size
    return qs.count(), list(qs[start:start + size])


def lock_version(model, pk, version: int, *, queryset=None):
    """Lock the row and refuse a write based on a stale read (409 with the current version)."""
    obj = get_or_404(model, pk, lock=True, queryset=queryset)
    if obj.version != version:
        raise Conflict(_("The %(what)s was changed by someone else; reload it and try again.")
                       % {"what": model._meta.verbose_name}, current_version=obj.version)
    return obj


def unique_write(check, write):
    """WRITE() after CHECK() found no duplicate; CHECK raises the service error that names it.

    Two requests can pass the same check at once: the second write then breaks the database's
    unique constraint. The write runs in a savepoint, so that failure leaves the caller's
    transaction usable, and CHECK runs again: now it sees the row that won and raises the same
    error as if the requests had come one after the other (422 or 409, never a 500). An
    IntegrityError that CHECK cannot explain is raised as it is."""
    check()
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        check()
        raise


def save_checked(obj, changes: dict) -> list:
    """Apply CHANGES to a configuration object, validate it as the admin would (field
    validators, choices, uniqueness) and save it; return the fields that changed. A
    ValidationFailed naming each bad field otherwise, and nothing saved."""
    from django.core.exceptions import ValidationError

    from .errors import ValidationFailed

    changed = [f for f, v in changes.items() if obj.pk is None or getattr(obj, f) != v]
    for field, value in changes.items():
        setattr(obj, field, value)

    def check():
        try:
            obj.full_clean()
        except ValidationError as exc:
            # The admin names foreign keys "department"; the API calls them "department_id".
            by_attname = {f.name: f.attname for f in obj._meta.concrete_fields}
            raise ValidationFailed(_("The input is invalid."), fields={
                by_attname.get(f, f): " ".join(str(m) for m in msgs) for f, msgs in exc.message_dict.items()}) from None

    if changed:
        unique_write(check, obj.save)
    else:
        check()
    return changed
