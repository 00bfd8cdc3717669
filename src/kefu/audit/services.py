"""The audit trail: who created, changed or read what, and from where."""

import contextvars

from .models import AuditEntry

# Set by the web and API layers for the duration of a request; CLI work leaves "cli".
current_origin: contextvars.ContextVar[str] = contextvars.ContextVar("kefu_origin", default="cli")


def record(actor, action: str, obj, *, fields=(), reason: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        fields=sorted(fields),
        reason=reason[:200],
        origin=current_origin.get()[:100],
    )


def record_many(actor, action: str, objs, *, fields=(), reason: str = "") -> None:
    """One entry per object in a single INSERT: lists that reveal identity data stay cheap."""
    origin = current_origin.get()[:100]
    actor = actor if getattr(actor, "pk", None) else None
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor, action=action, object_type=o._meta.label_lower, object_id=str(o.pk),
                   fields=sorted(fields), reason=reason[:200], origin=origin)
        for o in objs
    ])
