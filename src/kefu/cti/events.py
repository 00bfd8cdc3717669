"""Call changes as one hook: the apps that react to the hotline (reports' rollups, …) subscribe
in their AppConfig.ready(); kefu.cti imports none of them.

`publish(call_ids)` is called inside the transaction that changed the calls; subscribers hear
of them once it has committed (`handler(call_ids)`), outside it. A subscriber that fails is
logged and does not undo the call: what it keeps must also be caught up by a periodic pass
(the reports' watermark over Call.updated_at), so a crash between the commit and the handler
loses nothing."""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

log = logging.getLogger("kefu.cti")

_handlers: list[Callable[[list[int]], None]] = []


def subscribe(handler: Callable[[list[int]], None]) -> None:
    """Have HANDLER(call_ids) hear of the calls changed by each committed transaction."""
    if handler not in _handlers:
        _handlers.append(handler)


def publish(call_ids: Iterable[int]) -> None:
    ids = sorted(set(call_ids))
    if ids:
        transaction.on_commit(lambda: _deliver(ids))


def _deliver(ids: list[int]) -> None:
    for handler in list(_handlers):
        try:
            handler(ids)
        except Exception:  # one subscriber's fault must not reach the platform's request
            log.exception("cti: a subscriber failed on calls %s", ids[:10])
