"""Checks every app's services share: permission, existence, and the optimistic version."""

from django.utils.translation import gettext as _

from .errors import Conflict, Forbidden, NotFound


def require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise Forbidden()


def get_or_404(model, pk, *, lock=False):
    qs = model.objects.select_for_update() if lock else model.objects
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("%(what)s %(id)s does not exist.") % {"what": str(model._meta.verbose_name).capitalize(), "id": pk})
    return obj


def lock_version(model, pk, version: int):
    """Lock the row and refuse a write based on a stale read (409 with the current version)."""
    obj = get_or_404(model, pk, lock=True)
    if obj.version != version:
        raise Conflict(_("The %(what)s was changed by someone else; reload it and try again.")
                       % {"what": model._meta.verbose_name}, current_version=obj.version)
    return obj
