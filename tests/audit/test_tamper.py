"""Tampering by someone who can write the database but holds neither the audit key nor the
anchors: each way issue 12 describes must make `kefu audit verify` fail (decision 0020)."""

import pytest
from django.core.management import CommandError

from kefu.audit import chain, services
from kefu.audit.models import AuditEntry, ChainHead
from tests.audit.conftest import rechain_from, run


def test_a_rewritten_entry_with_every_later_hash_and_the_head_recomputed_fails(entries):
    assert run("verify")[0] == 0
    rechain_from(entries[2].seq, reason="nothing to see")
    code, text = run("verify")
    assert code == 1
    assert f"entry {entries[2].seq} (id {entries[2].pk}): its content was changed" in text
    assert text.count("its content was changed") == len(entries) - 2  # it and every entry after it


def test_deleting_the_newest_entries_and_moving_the_head_back_fails_against_an_anchor(entries, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    assert run("anchor", "--out", str(anchors))[0] == 0
    kept = entries[-3]
    AuditEntry.objects.filter(seq__gt=kept.seq)._raw_delete(AuditEntry.objects.db)
    ChainHead.objects.filter(pk=1).update(seq=kept.seq, hash=kept.hash)
    code, text = run("verify", "--anchor", str(anchors))
    assert code == 1 and f"anchored entry {entries[-1].seq}" in text


def test_every_break_is_reported_with_a_count(entries, customer):
    AuditEntry.objects.filter(pk=entries[1].pk).update(reason="changed")
    AuditEntry.objects.filter(pk=entries[3].pk)._raw_delete(AuditEntry.objects.db)
    AuditEntry.objects.filter(pk=entries[5].pk).update(origin="10.0.0.99")
    AuditEntry.objects.bulk_create([AuditEntry(action="read", object_type="customers.customer", object_id=str(customer.pk))])
    outsider = AuditEntry.objects.get(seq__isnull=True)
    code, text = run("verify")
    assert code == 1
    assert f"entry {entries[1].seq} (id {entries[1].pk})" in text
    assert f"entry {entries[3].seq}: missing" in text
    assert f"entry {entries[5].seq} (id {entries[5].pk})" in text
    assert f"id {outsider.pk}" in text and "not part of the chain" in text
    assert "4 problems" in text


def test_a_rewrite_downgraded_to_plain_hashes_is_named_entry_by_entry(entries):
    rechain_from(entries[2].seq, reason="nothing to see", key_id=chain.LEGACY)
    for entry in entries[3:]:
        AuditEntry.objects.filter(pk=entry.pk).update(key_id=chain.LEGACY)
    code, text = run("verify")
    assert code == 1 and text.count("its hash is not keyed") == len(entries) - 2


def test_the_whole_log_rewritten_as_unkeyed_breaks_the_seal(entries):
    AuditEntry.objects.update(key_id=chain.LEGACY)
    rechain_from(1, reason="nothing to see")  # every hash plain, as the entries now claim
    ChainHead.objects.filter(pk=1).update(legacy_seq=len(entries))  # move the boundary to the end
    code, text = run("verify")
    assert code == 1 and "the seal does not match" in text and "1 problem " in text


def test_the_whole_log_rewritten_with_the_key_still_fails_against_an_anchor(entries, tmp_path, settings):
    """Anchors need no key: even someone who holds the key and rewrites every entry and the
    head consistently is caught by an anchored head kept elsewhere."""
    from kefu.audit import keys

    anchors = tmp_path / "anchors.jsonl"
    run("anchor", "--out", str(anchors))
    key = keys.ring().get(keys.ring().current)
    prev = chain.GENESIS
    for entry in AuditEntry.objects.order_by("seq"):
        entry.reason, entry.prev_hash = "rewritten", prev
        entry.hash = prev = chain.entry_mac(key, **{n: getattr(entry, n) for n in chain.CONTENT})
        AuditEntry.objects.filter(pk=entry.pk).update(reason=entry.reason, prev_hash=entry.prev_hash, hash=entry.hash)
    ChainHead.objects.filter(pk=1).update(hash=prev)
    assert run("verify")[0] == 0  # the key holder's rewrite is consistent...
    code, text = run("verify", "--anchor", str(anchors))
    assert code == 1 and f"anchored entry {entries[-1].seq}" in text  # ...but not with the anchor


def test_anchors_pass_while_the_chain_grows_and_forged_ones_are_named(entries, agent, customer, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    run("anchor", "--out", str(anchors))
    services.record(agent, "read", customer)
    run("anchor", "--out", str(anchors))
    code, text = run("verify", "--anchor", str(anchors))
    assert code == 0 and "2 anchors reached" in text

    forged = chain.parse_anchor(anchors.read_text().splitlines()[-1]) | {"hash": "f" * 64}
    with anchors.open("a") as f:
        f.write(chain.anchor_line(forged) + "\n" + "not json\n")
    code, text = run("verify", "--anchor", str(anchors))
    assert code == 1 and "anchor line 3: the signature does not match" in text and "anchor line 3: the chain no longer" in text
    assert "anchor line 4: not an anchor" in text and "3 problems" in text


def test_an_anchor_is_refused_for_a_head_the_entries_do_not_reach(entries):
    ChainHead.objects.filter(pk=1).update(seq=entries[-2].seq, hash=entries[-2].hash)
    with pytest.raises(CommandError, match="does not match the last entry"):
        run("anchor")


def test_the_worker_task_appends_an_anchor(entries, settings):
    from pathlib import Path

    from kefu.audit.tasks import anchor_chain

    taken = anchor_chain.call()
    lines = Path(settings.KEFU_AUDIT_ANCHOR_FILE).read_text().splitlines()
    assert [chain.parse_anchor(x) for x in lines] == [taken] and taken["seq"] == entries[-1].seq
    assert run("verify", "--anchor", settings.KEFU_AUDIT_ANCHOR_FILE)[0] == 0


def test_verify_reads_the_log_in_chunks_and_finds_the_same(entries):
    AuditEntry.objects.filter(pk=entries[2].pk).update(reason="x")
    AuditEntry.objects.filter(pk=entries[4].pk)._raw_delete(AuditEntry.objects.db)
    whole = list(services.verify_chain().breaks())
    walk = services.verify_chain(chunk=2)
    assert list(walk.breaks()) == whole and len(whole) == 2 and walk.checked == len(entries) - 1


def test_a_changed_seal_is_named(entries):
    ChainHead.objects.filter(pk=1).update(seal="0" * 64)
    code, text = run("verify")
    assert code == 1 and "chain head: the seal was changed" in text
