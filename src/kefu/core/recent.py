"""Configuration read on every order (policies, rules, the category tree) kept a few seconds
per process, so the hot path does not re-read it. Apps clear it on their models' saves and
deletes (`connect_forget`); other processes see an edit within REFRESH_SECONDS.

Inside `batch()` each key is read once for the whole block instead: for replaying or routing
many orders at a time.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar

REFRESH_SECONDS = 5.0
_memo: ContextVar[dict | None] = ContextVar("kefu_recent_memo", default=None)
_cache: dict = {}


@contextmanager
def batch():
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remember(key, load):
    """LOAD()'s value for KEY: from this batch, or from the last REFRESH_SECONDS."""
    memo = _memo.get()
    if memo is not None:
        if key not in memo:
            memo[key] = load()
        return memo[key]
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < REFRESH_SECONDS:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


def forget(**kwargs) -> None:
    _cache.clear()


def connect_forget(app_label: str, *models) -> None:
    """Forget everything whenever one of MODELS is saved or deleted."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        post_save.connect(forget, sender=model, dispatch_uid=f"{app_label}-forget-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"{app_label}-forget-del-{model.__name__}")
