"""Likely duplicates are a rule about orders: kefu.orders.duplicates. Re-exported here for triage's
suggestions and the callers that read them as triage's."""

from kefu.orders.duplicates import (  # noqa: F401
    CANDIDATE_LIMIT,
    duplicates_of,
    likely_duplicates,
    similarity,
    words,
)
