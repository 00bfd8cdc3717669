"""Repeat complaints (重复投诉) are a rule about orders: kefu.orders.repeats. Re-exported here for
the callers that read them as triage's."""

from kefu.orders.repeats import (  # noqa: F401
    BECAUSE_LABELS,
    Repeat,
    because_text,
    earlier_complaint,
    family_of,
    raised,
)
