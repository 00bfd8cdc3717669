"""The audit key lives outside the database, apart from the field keys; entries name the key
that signed them, so adding a key keeps old entries verifiable; entries chained before the
key existed keep their plain hashes under a seal (decision 0020)."""

import importlib
import os
from io import StringIO

from django.apps import apps
from django.core.management import call_command

from kefu.audit import chain, keys, services
from kefu.audit.models import AuditEntry, ChainHead
from tests.audit.conftest import TEST_AUDIT_KEYS, rechain_from, run

seal_unkeyed = importlib.import_module("kefu.audit.migrations.0005_keyed_chain").seal_unkeyed


def test_entries_are_keyed_and_name_their_key(entries):
    assert {e.key_id for e in entries} == {"ta1"}
    head = ChainHead.objects.get()
    assert head.legacy_seq == 0 and head.seal_key_id == "ta1" and head.seal
    content = {n: getattr(entries[0], n) for n in chain.CONTENT}
    assert entries[0].hash == chain.entry_mac(keys.ring().get("ta1"), **content) != chain.entry_hash(**content)


def test_a_new_audit_key_signs_from_then_on_and_old_entries_still_verify(entries, agent, customer, settings):
    settings.KEFU_AUDIT_KEYS = keys.new_key_line("ta2") + "," + TEST_AUDIT_KEYS
    services.record(agent, "read", customer)
    assert AuditEntry.objects.order_by("-seq").first().key_id == "ta2"
    assert run("verify")[0] == 0

    settings.KEFU_AUDIT_KEYS = TEST_AUDIT_KEYS.replace("ta1", "tb1")  # the old key dropped from the ring
    code, text = run("verify")
    assert code == 1 and f"{len(entries)} entries from entry 1 (id {entries[0].pk}) on: signed with audit key ta1" in text
    assert "sealed with audit key ta1" in text


def test_changing_the_field_keys_does_not_touch_the_chain(entries, settings):
    settings.KEFU_FIELD_KEYS = "t2:" + "C" * 43
    assert run("verify")[0] == 0


def test_without_a_configured_key_one_is_generated_once_outside_the_database(agent, settings):
    settings.KEFU_AUDIT_KEYS = ""
    path = settings.KEFU_AUDIT_KEY_FILE
    assert keys.ring(create=False).macs == {} and not path.exists()  # verify never creates one
    assert not AuditEntry.objects.exists()
    services.record(agent, "read", agent)
    line = path.read_text().strip()
    assert os.stat(path).st_mode & 0o777 == 0o600 and line.startswith("a")
    key_id = line.split(":")[0]
    services.record(agent, "read", agent)
    assert set(AuditEntry.objects.values_list("key_id", flat=True)) == {key_id} and path.read_text().strip() == line
    assert run("verify")[0] == 0


def test_key_add_puts_a_new_key_first_in_the_key_file(entries, agent, customer, settings):
    settings.KEFU_AUDIT_KEYS = ""
    keys.write_file(str(settings.KEFU_AUDIT_KEY_FILE), TEST_AUDIT_KEYS)
    out = StringIO()
    call_command("audit", "key", "--add", "ta2", stdout=out)
    assert keys.ring().current == "ta2" and set(keys.ring().macs) == {"ta2", "ta1"}
    services.record(agent, "read", customer)
    assert run("verify")[0] == 0
    call_command("audit", "key", stdout=out)
    assert f"ta1: {len(entries)} entries" in out.getvalue() and "ta2: 1 entries" in out.getvalue()


def _as_before_the_key(entries):
    """The log as an installation had it before this change: plain SHA-256, no seal."""
    AuditEntry.objects.update(key_id=chain.LEGACY)
    rechain_from(1)
    ChainHead.objects.filter(pk=1).update(legacy_seq=0, seal_key_id="", seal="")


def test_entries_chained_before_the_key_verify_as_before_once_sealed(entries, agent, customer):
    _as_before_the_key(entries)
    seal_unkeyed(apps, None)
    assert ChainHead.objects.get().legacy_seq == len(entries)
    services.record(agent, "read", customer)
    assert AuditEntry.objects.get(seq=len(entries) + 1).key_id == "ta1"
    code, text = run("verify")
    assert code == 0 and f"{len(entries) + 1} entries" in text


def test_an_unkeyed_entry_rewritten_after_the_seal_is_caught(entries, agent, customer):
    _as_before_the_key(entries)
    seal_unkeyed(apps, None)
    services.record(agent, "read", customer)
    # Rewrite the second unkeyed entry and recompute the unkeyed hashes after it, as the old code would.
    prev = entries[0].hash
    for entry in AuditEntry.objects.filter(seq__range=(2, len(entries))).order_by("seq"):
        entry.reason = "nothing to see" if entry.seq == 2 else entry.reason
        entry.prev_hash, entry.hash = prev, chain.entry_hash(**{n: getattr(entry, n) for n in chain.CONTENT} | {"prev_hash": prev})
        prev = entry.hash
        AuditEntry.objects.filter(pk=entry.pk).update(reason=entry.reason, prev_hash=entry.prev_hash, hash=entry.hash)
    code, text = run("verify")
    assert code == 1
    assert f"entry {len(entries) + 1} (id" in text and "does not follow" in text  # the first keyed entry
    assert "the seal does not match the unkeyed entries" in text


def test_an_unsealed_log_is_reported(entries):
    ChainHead.objects.filter(pk=1).update(seal="")
    code, text = run("verify")
    assert code == 1 and "seal over the unkeyed entries is missing" in text
