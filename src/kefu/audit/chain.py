"""The audit log as a hash chain: each entry's hash covers its content and the previous
entry's hash, so changing, removing or inserting an entry anywhere breaks every later link.
`verify` walks the chain and names the first broken entry. Plain functions: the data
migration that chained the entries written before uses the same ones."""

import hashlib
import json
from datetime import UTC

GENESIS = "0" * 64


def entry_hash(*, seq, at, actor_id, action, object_type, object_id, fields, reason, origin, prev_hash) -> str:
    content = [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), actor_id, action, object_type,
               str(object_id), list(fields), reason, origin, prev_hash]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


PROBLEMS = ("missing", "relinked", "changed", "outside", "truncated")
CONTENT = ("seq", "at", "actor_id", "action", "object_type", "object_id", "fields", "reason", "origin", "prev_hash")


def link(entries, seq: int, prev: str) -> tuple[int, str]:
    """Give unsaved ENTRIES (in order) their seq, prev_hash and hash after (SEQ, PREV)."""
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(**{name: getattr(entry, name) for name in CONTENT})
    return seq, prev


def verify(queryset, head=None, *, chunk=5000):
    """(entries checked, None) if the chain is whole, else (checked, (seq, id, problem)) with
    problem one of PROBLEMS. QUERYSET: the audit entries; HEAD: (seq, hash) the head records."""
    expected_seq, prev, checked, last_id = 1, GENESIS, 0, 0
    rows = queryset.order_by("seq").values_list("id", *CONTENT, "hash")
    while True:
        batch = list(rows.filter(seq__gte=expected_seq)[:chunk])
        if not batch:
            break
        for row in batch:
            entry_id, values, stored = row[0], dict(zip(CONTENT, row[1:-1], strict=True)), row[-1]
            if values["seq"] != expected_seq:
                return checked, (expected_seq, entry_id, "missing")
            if values["prev_hash"] != prev:
                return checked, (values["seq"], entry_id, "relinked")
            if entry_hash(**values) != stored:
                return checked, (values["seq"], entry_id, "changed")
            prev, expected_seq, checked, last_id = stored, expected_seq + 1, checked + 1, entry_id
    if queryset.filter(seq__isnull=True).exists():
        bad = queryset.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).first()
        return checked, (None, bad, "outside")
    if head is not None and (head[0] != checked or head[1] != prev):
        return checked, (head[0], last_id, "truncated")
    return checked, None
