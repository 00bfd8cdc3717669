"""The audit trail: who created, changed or read what, and from where."""

import contextvars

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import chain
from .models import AuditEntry, ChainHead

# Set by the web and API layers for the duration of a request; CLI work leaves "cli".
current_origin: contextvars.ContextVar[str] = contextvars.ContextVar("kefu_origin", default="cli")


def record(actor, action: str, obj, *, fields=(), reason: str = "") -> AuditEntry:
    return _append(actor, action, [obj], fields=fields, reason=reason)[0]


def record_many(actor, action: str, objs, *, fields=(), reason: str = "") -> None:
    """One entry per object in a single INSERT: lists that reveal identity data stay cheap."""
    _append(actor, action, list(objs), fields=fields, reason=reason)


@transaction.atomic
def _append(actor, action, objs, *, fields, reason) -> list:
    """Entries are chained under the head's row lock, so two writers never fork the chain."""
    if not objs:
        return []
    head = ChainHead.objects.select_for_update().filter(pk=1).first() or ChainHead.objects.create(pk=1, seq=0, hash=chain.GENESIS)
    origin, now = current_origin.get()[:100], timezone.now()
    actor = actor if getattr(actor, "pk", None) else None
    entries = [AuditEntry(at=now, actor=actor, action=action, object_type=o._meta.label_lower, object_id=str(o.pk),
                          fields=sorted(fields), reason=reason[:200], origin=origin) for o in objs]
    head.seq, head.hash = chain.link(entries, head.seq, head.hash)
    AuditEntry.objects.bulk_create(entries)
    head.save(update_fields=["seq", "hash"])
    return entries


def verify_chain():
    """(entries checked, None) or (checked, (seq, id, what is wrong)): see chain.verify."""
    head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return chain.verify(AuditEntry.objects.all(), head)


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
