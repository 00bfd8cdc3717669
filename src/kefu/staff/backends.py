"""Django's model backend with each user's permission set cached between requests.

API clients authenticate per request, so without a cache every request loads the user's and
the groups' permissions again (two queries, about a quarter of a POST's CPU). Any change to
roles, group permissions or a user's groups bumps a generation number, which retires every
cached set in this process at once; other processes retire theirs within
KEFU_PERMISSION_CACHE_SECONDS (or at once when the cache is shared, e.g. Redis). Deactivating a
user takes effect immediately: `is_active` is read with the user on every request.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

_GENERATION = "kefu:perm-generation"


def _key(user_id) -> str:
    return f"kefu:perms:{cache.get_or_set(_GENERATION, 1)}:{user_id}"


def invalidate(**kwargs) -> None:
    try:
        cache.incr(_GENERATION)
    except ValueError:  # not set yet: nothing cached under it
        cache.set(_GENERATION, 2)


def narrowed(perms, scopes) -> set:
    """The permissions an API token with SCOPES leaves: `read` the view ones, `identity` the
    identity reveal, `write` everything else."""
    kept = set()
    for perm in perms:
        if perm.startswith("staff.data_scope_"):
            need = None  # which rows, not what may be done: a token keeps its user's scope
        elif perm == "customers.view_identity":
            need = "identity"
        elif perm.split(".", 1)[1].startswith("view_"):
            need = "read"
        else:
            need = "write"
        if need is None or need in scopes:
            kept.add(perm)
    return kept


class CachedModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        perms = self._all_permissions(user_obj, obj)
        scopes = getattr(user_obj, "token_scopes", None)
        return perms if scopes is None else narrowed(perms, scopes)

    def _all_permissions(self, user_obj, obj=None):
        seconds = settings.KEFU_PERMISSION_CACHE_SECONDS
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous or seconds <= 0:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            key = _key(user_obj.pk)
            perms = cache.get(key)
            if perms is None:
                perms = super().get_all_permissions(user_obj)
                cache.set(key, perms, seconds)
            user_obj._perm_cache = perms
        return user_obj._perm_cache
