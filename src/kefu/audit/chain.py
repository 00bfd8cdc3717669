"""The audit log as a keyed hash chain (decisions 0012 and 0020).

Each entry's hash covers its content and the previous entry's hash, so changing, removing or
inserting an entry breaks the chain. Since 0020 the hash is an HMAC-SHA256 under an audit key
kept outside the database (kefu.audit.keys), so someone who can only write the database cannot
recompute it; each entry names its key (`key_id`). Entries chained before keep their plain
SHA-256 (`key_id` ""): they are never re-chained, which would launder any change made to them,
but sealed instead: the head holds how many there were and an HMAC over that count and the last
one's hash, written once, so they can neither be altered nor the boundary be moved.

`Verification` walks the chain once in `seq` order, streaming, and yields every break it finds;
anchors (signed copies of the head kept elsewhere, `anchor_mac`) are checked on the way.
Plain functions and values: the migrations use the same ones."""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC

from django.db.models import Max, Min

GENESIS = "0" * 64
LEGACY = ""  # key_id of an entry hashed with plain SHA-256, before the chain was keyed
CONTENT = ("seq", "at", "actor_id", "action", "object_type", "object_id", "fields", "reason", "origin", "prev_hash")


def _canonical(*, seq, at, actor_id, action, object_type, object_id, fields, reason, origin, prev_hash) -> bytes:
    content = [seq, at.astimezone(UTC).isoformat(timespec="microseconds"), actor_id, action, object_type,
               str(object_id), list(fields), reason, origin, prev_hash]
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _mac(key: bytes, purpose: bytes, message: bytes) -> str:
    return hmac.new(key, purpose + b"\0" + message, hashlib.sha256).hexdigest()


def entry_hash(**content) -> str:
    """The plain SHA-256 of entries written before the chain was keyed."""
    return hashlib.sha256(_canonical(**content)).hexdigest()


def entry_mac(key: bytes, **content) -> str:
    return _mac(key, b"entry", _canonical(**content))


def seal_mac(key: bytes, legacy_seq: int, last_hash: str) -> str:
    """Pins the unkeyed entries 1..LEGACY_SEQ, the last of which hashes to LAST_HASH."""
    return _mac(key, b"seal", f"{legacy_seq}:{last_hash}".encode())


def anchor_mac(key: bytes, seq: int, hash: str, at: str) -> str:
    return _mac(key, b"anchor", f"{seq}:{hash}:{at}".encode())


def link(entries, seq: int, prev: str, *, key: bytes | None = None, key_id: str = LEGACY) -> tuple[int, str]:
    """Give unsaved ENTRIES (in order) their seq, prev_hash, key_id and hash after (SEQ, PREV):
    an HMAC under KEY, or without one the plain SHA-256 of before (migration 0003)."""
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, prev, key_id
        content = {name: getattr(entry, name) for name in CONTENT}
        entry.hash = prev = entry_mac(key, **content) if key else entry_hash(**content)
    return seq, prev


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)


@dataclass(frozen=True)
class Break:
    """One thing wrong. PROBLEM is one of PROBLEMS; the rest says where."""

    problem: str
    seq: int | None = None
    entry_id: int | None = None
    last: int | None = None  # the last seq of a run (missing, truncated, past the head)
    key_id: str = ""  # the key an unverifiable entry, seal or anchor names
    count: int = 0  # entries under that key
    line: int | None = None  # the anchor's line in its file


PROBLEMS = (
    "missing",  # entries seq..last are gone
    "relinked",  # the entry does not follow the one before it
    "changed",  # its hash does not match its content
    "unkeyed",  # a plain hash after the sealed unkeyed entries
    "unknown_key",  # COUNT entries from seq on were signed with a key not in the ring
    "outside",  # an entry without a place in the chain
    "truncated",  # the head counts entries seq..last that are not there
    "past_head",  # entries seq..last lie beyond the head
    "head",  # the head's hash is not the last entry's
    "head_missing",  # entries but no head
    "unsealed",  # entries but no seal
    "seal",  # the seal does not match the unkeyed entries
    "seal_key",  # the seal names a key not in the ring
    "anchor",  # the chain no longer holds the anchored entry with the anchored hash
    "anchor_signature",  # the anchor's signature is wrong: it was not written by Kefu
    "anchor_key",  # the anchor names a key not in the ring
    "anchor_unreadable",  # a line of the anchor file is not an anchor
)


class Verification:
    """One walk over ENTRIES (a queryset of AuditEntry) up to the head READ_HEAD() returns (a
    dict of ChainHead's values, or None), under RING (kefu.audit.keys.Ring), checking ANCHORS
    (lines of an anchor file) at the end. `breaks()` yields every Break; afterwards `checked`
    counts the entries walked and `anchors_checked` the anchors. Streams: memory does not grow
    with the log. Entries written while it walks lie past the head it started from and are left
    for the next run; only those past the head as it stands at the end are a break."""

    def __init__(self, entries, read_head, ring, anchors: Iterable[str] = (), *, chunk: int = 5000):
        self.entries, self.read_head, self.ring, self.anchor_lines, self.chunk = entries, read_head, ring, anchors, chunk
        self.head = read_head()
        self.checked = self.anchors_checked = self.last_seq = 0
        self.last_hash, self.sealed_hash = GENESIS, None

    def breaks(self) -> Iterator[Break]:
        yield from self._walk()
        yield from self._outside()
        yield from self._head()
        yield from self._anchors()

    def _walk(self) -> Iterator[Break]:
        legacy_seq = self.head["legacy_seq"] if self.head else 0
        if legacy_seq == 0:
            self.sealed_hash = GENESIS
        unknown: dict[str, list] = {}  # key id -> [first seq, its id, count]
        walked = self.entries.filter(seq__isnull=False) if self.head is None else self.entries.filter(seq__lte=self.head["seq"])
        rows = (walked.order_by("seq").values_list("id", "key_id", "hash", *CONTENT).iterator(chunk_size=self.chunk))
        expected, prev = 1, GENESIS
        for entry_id, key_id, stored, *values in rows:
            content = dict(zip(CONTENT, values, strict=True))
            seq = content["seq"]
            if seq > expected:
                yield Break("missing", expected, entry_id, last=seq - 1)  # and it follows what is gone
            elif seq < expected or content["prev_hash"] != prev:
                yield Break("relinked", seq, entry_id)
            if seq <= legacy_seq:
                if key_id != LEGACY or entry_hash(**content) != stored:
                    yield Break("changed", seq, entry_id)
            elif key_id == LEGACY:
                yield Break("unkeyed", seq, entry_id)
            elif (key := self.ring.get(key_id)) is None:
                unknown.setdefault(key_id, [seq, entry_id, 0])[2] += 1
            elif not same(entry_mac(key, **content), stored):
                yield Break("changed", seq, entry_id)
            if seq == legacy_seq:
                self.sealed_hash = stored
            prev, expected, self.last_seq, self.checked = stored, seq + 1, seq, self.checked + 1
        self.last_hash = prev
        for key_id, (seq, entry_id, count) in unknown.items():
            yield Break("unknown_key", seq, entry_id, key_id=key_id, count=count)

    def _outside(self) -> Iterator[Break]:
        for entry_id in self.entries.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).iterator(chunk_size=self.chunk):
            yield Break("outside", None, entry_id)

    def _head(self) -> Iterator[Break]:
        head = self.head
        if head is None:
            if self.checked:
                yield Break("head_missing")
            return
        if head["seq"] > self.last_seq:
            yield Break("truncated", self.last_seq + 1, last=head["seq"])
        elif head["hash"] != self.last_hash:
            yield Break("head", head["seq"])
        now = self.read_head() or head
        past = self.entries.filter(seq__gt=now["seq"]).aggregate(first=Min("seq"), last=Max("seq"))
        if past["first"] is not None:
            yield Break("past_head", past["first"], last=past["last"])
        if head["seq"] == 0 and not self.checked:
            return  # nothing written yet: the first entry seals the (empty) unkeyed part
        if not head["seal"]:
            yield Break("unsealed")
        elif (key := self.ring.get(head["seal_key_id"])) is None:
            yield Break("seal_key", key_id=head["seal_key_id"])
        elif not same(seal_mac(key, head["legacy_seq"], self.sealed_hash or ""), head["seal"]):
            yield Break("seal", head["legacy_seq"])

    def _anchors(self) -> Iterator[Break]:
        batch = []
        for number, line in enumerate(self.anchor_lines, 1):
            if not line.strip():
                continue
            anchor = parse_anchor(line)
            if anchor is None:
                yield Break("anchor_unreadable", line=number)
                continue
            batch.append((number, anchor))
            if len(batch) >= 500:
                yield from self._check_anchors(batch)
                batch = []
        yield from self._check_anchors(batch)

    def _check_anchors(self, batch) -> Iterator[Break]:
        hashes = dict(self.entries.filter(seq__in=[a["seq"] for _n, a in batch]).values_list("seq", "hash"))
        hashes[0] = GENESIS
        for number, a in batch:
            key = self.ring.get(a["key_id"])
            if key is None:
                yield Break("anchor_key", a["seq"], line=number, key_id=a["key_id"])
            elif not same(anchor_mac(key, a["seq"], a["hash"], a["at"]), a["signature"]):
                yield Break("anchor_signature", a["seq"], line=number)
            if hashes.get(a["seq"]) != a["hash"]:
                yield Break("anchor", a["seq"], line=number)
            self.anchors_checked += 1


ANCHOR_FIELDS = {"seq": int, "hash": str, "at": str, "key_id": str, "signature": str}


def parse_anchor(line: str) -> dict | None:
    """The anchor a line of an anchor file holds, or None if it holds none."""
    try:
        anchor = json.loads(line)
    except ValueError:
        return None
    if not isinstance(anchor, dict) or any(type(anchor.get(k)) is not t for k, t in ANCHOR_FIELDS.items()) or anchor["seq"] < 0:
        return None
    return anchor


def anchor_line(anchor: dict) -> str:
    return json.dumps({k: anchor[k] for k in ANCHOR_FIELDS}, separators=(",", ":"))
