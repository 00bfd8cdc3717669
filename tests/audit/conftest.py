from io import StringIO

import pytest
from django.core.management import call_command

from kefu.audit import chain, services
from kefu.audit.models import AuditEntry, ChainHead

TEST_AUDIT_KEYS = "ta1:" + "B" * 43  # tests only


@pytest.fixture(autouse=True)
def _audit_keys(settings, tmp_path):
    # A fixed audit key, whatever the developer's data directory holds; anchors go to tmp.
    settings.KEFU_AUDIT_KEYS = TEST_AUDIT_KEYS
    settings.KEFU_AUDIT_KEY_FILE = tmp_path / "audit-keys"
    settings.KEFU_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.jsonl")


@pytest.fixture
def entries(agent, customer):
    services.record(agent, "read_identity", customer, fields=["id_number"], reason="客户来电核实")
    services.record_many(agent, "read_identity", [customer] * 5, fields=["phone"])
    return list(AuditEntry.objects.order_by("seq"))


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
        return 0, out.getvalue() + err.getvalue()
    except SystemExit as exc:
        return exc.code, out.getvalue() + err.getvalue()


def rechain_from(first_seq, **changes):
    """What the old code's `link` would do: rewrite the entry at FIRST_SEQ, then recompute
    every later hash (plain SHA-256, the published formula) and move the head along."""
    prev = AuditEntry.objects.get(seq=first_seq - 1).hash if first_seq > 1 else chain.GENESIS
    for entry in AuditEntry.objects.filter(seq__gte=first_seq).order_by("seq"):
        if entry.seq == first_seq:
            for name, value in changes.items():
                setattr(entry, name, value)
        entry.prev_hash = prev
        entry.hash = prev = chain.entry_hash(**{n: getattr(entry, n) for n in chain.CONTENT})
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash,
                                                      **{n: getattr(entry, n) for n in changes})
    ChainHead.objects.filter(pk=1).update(hash=prev)
