"""Human-readable numbers derived from the row id: unique without a contended counter row."""

import uuid


def temporary_number() -> str:
    # Fits every number column (>= 20 chars); replaced within the same transaction.
    return "tmp" + uuid.uuid4().hex[:16]


def assign_number(obj, field: str, number: str) -> None:
    """Write NUMBER into FIELD of a just-saved OBJ (one UPDATE, same transaction)."""
    setattr(obj, field, number)
    type(obj).objects.filter(pk=obj.pk).update(**{field: number})
