"""The audit trail: who created, changed or read what, and from where."""

import contextvars
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict

from . import chain, keys
from .models import AuditEntry, ChainHead

logger = logging.getLogger("kefu.audit.anchor")

# Set by the web and API layers for the duration of a request; CLI work leaves "cli".
current_origin: contextvars.ContextVar[str] = contextvars.ContextVar("kefu_origin", default="cli")


def record(actor, action: str, obj, *, fields=(), reason: str = "") -> AuditEntry:
    return _append(actor, action, [obj], fields=fields, reason=reason)[0]


def record_many(actor, action: str, objs, *, fields=(), reason: str = "") -> None:
    """One entry per object in a single INSERT: lists that reveal identity data stay cheap."""
    _append(actor, action, list(objs), fields=fields, reason=reason)


@transaction.atomic
def _append(actor, action, objs, *, fields, reason) -> list:
    """Entries are chained under the head's row lock, so two writers never fork the chain, and
    signed with the current audit key (decision 0020)."""
    if not objs:
        return []
    head = ChainHead.objects.select_for_update().filter(pk=1).first() or ChainHead.objects.create(pk=1, seq=0, hash=chain.GENESIS)
    ring = keys.ring()
    key_id, key = ring.current, ring.macs[ring.current]
    if head.seq == 0 and not head.seal:  # the first entry ever: nothing before it is unkeyed
        head.legacy_seq, head.seal_key_id, head.seal = 0, key_id, chain.seal_mac(key, 0, chain.GENESIS)
    origin, now = current_origin.get()[:100], timezone.now()
    actor = actor if getattr(actor, "pk", None) else None
    entries = [AuditEntry(at=now, actor=actor, action=action, object_type=o._meta.label_lower, object_id=str(o.pk),
                          fields=sorted(fields), reason=reason[:200], origin=origin) for o in objs]
    head.seq, head.hash = chain.link(entries, head.seq, head.hash, key=key, key_id=key_id)
    AuditEntry.objects.bulk_create(entries)
    head.save(update_fields=["seq", "hash", "legacy_seq", "seal_key_id", "seal"])
    return entries


def _head() -> Mapping[str, object] | None:
    return ChainHead.objects.filter(pk=1).values("seq", "hash", "legacy_seq", "seal_key_id", "seal").first()


def verify_chain(anchors: Iterable[str] = (), *, chunk: int = 5000) -> chain.Verification:
    """A walk over the whole log, the head and the lines of an anchor file: iterate its
    `breaks()` (chain.Verification). Needs the audit keys, never creates one."""
    return chain.Verification(AuditEntry.objects.all(), _head, keys.ring(create=False), anchors, chunk=chunk)


def anchor() -> dict:
    """The head, signed with the current audit key, for keeping outside the database: an
    anchor file (or a log line) proves later that the chain still reached this entry with this
    hash, whoever holds the database or the key. Refuses a head the entries do not reach, so an
    anchor never vouches for a head moved back."""
    with transaction.atomic():  # the head's lock: no writer between reading it and the last entry
        head = ChainHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").first() or (0, chain.GENESIS)
        last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first() or (0, chain.GENESIS)
    if head != last:
        raise Conflict(_("The audit chain head does not match the last entry; run `kefu audit verify`."))
    ring = keys.ring()
    at = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
    return {"seq": last[0], "hash": last[1], "at": at, "key_id": ring.current,
            "signature": chain.anchor_mac(ring.macs[ring.current], last[0], last[1], at)}


def write_anchor(path: str = "") -> dict:
    """Take an anchor, log it (for syslog or wherever logs are shipped) and, given PATH, append
    it to that file as one JSON line, flushed to disk."""
    taken = anchor()
    line = chain.anchor_line(taken)
    logger.info("audit anchor %s", line)
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        with os.fdopen(fd, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
    return taken


def entries_per_key() -> dict[str, int]:
    """{key id ("" = unkeyed): entries}: the keys that must stay in the ring."""
    return dict(AuditEntry.objects.order_by().values_list("key_id").annotate(n=Count("pk")).values_list("key_id", "n"))


SEARCH_SORTS = ("at", "-at", "seq", "-seq")


def search(user, *, actor=None, action=None, object_type=None, object_id=None, since=None, until=None, sort="-seq"):
    """Auditors' search of the log: who did what to which object, when. Each filter uses an
    index: (object_type, object_id, at), at, or the actor's foreign key."""
    from kefu.core.errors import ValidationFailed
    from kefu.core.services import require

    require(user, "audit.view_auditentry")
    qs = AuditEntry.objects.select_related("actor")
    if actor is not None:
        qs = qs.filter(actor_id=actor)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=str(object_id))
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    if sort not in SEARCH_SORTS:
        raise ValidationFailed(_("Unknown sort key."), fields={"sort": _("must be one of %(keys)s") % {"keys": ", ".join(SEARCH_SORTS)}})
    return qs.order_by(sort)
