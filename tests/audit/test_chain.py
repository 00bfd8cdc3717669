"""The audit log is a hash chain: `kefu audit verify` names each entry that was changed,
removed or inserted, and passes an untouched log. Tampering in the ways issue 12 describes:
test_tamper.py; the audit keys: test_keys.py."""

from io import StringIO

import pytest
from django.core.management import call_command

from kefu.audit import services
from kefu.audit.models import AuditEntry, ChainHead


@pytest.fixture
def entries(agent, customer):
    # create_customer wrote one entry; a reveal and a batch add more.
    services.record(agent, "read_identity", customer, fields=["id_number"], reason="客户来电核实")
    services.record_many(agent, "read_identity", [customer, customer, customer], fields=["phone"])
    return list(AuditEntry.objects.order_by("seq"))


def _verify():
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        return 0, out.getvalue()
    except SystemExit as exc:
        return exc.code, err.getvalue()


def test_an_untouched_chain_verifies(entries):
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.prev_hash == p.hash for p, e in zip(entries, entries[1:], strict=False))
    code, text = _verify()
    assert code == 0 and f"{len(entries)} entries" in text
    assert ChainHead.objects.get().hash == entries[-1].hash


def test_a_changed_entry_is_named(entries):
    AuditEntry.objects.filter(pk=entries[2].pk).update(reason="nothing to see")  # behind Kefu's back
    code, text = _verify()
    assert code == 1 and f"entry {entries[2].seq} (id {entries[2].pk})" in text and "changed" in text


def test_a_removed_entry_is_named(entries):
    AuditEntry.objects.filter(pk=entries[1].pk)._raw_delete(AuditEntry.objects.db)
    code, text = _verify()
    assert code == 1 and f"entry {entries[1].seq}: missing" in text


def test_a_removed_tail_is_noticed(entries):
    AuditEntry.objects.filter(pk=entries[-1].pk)._raw_delete(AuditEntry.objects.db)
    code, text = _verify()
    assert code == 1 and "removed" in text


def test_a_forged_entry_with_a_recomputed_hash_is_named_and_breaks_the_next_link(entries):
    from kefu.audit import chain

    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.reason = "forged"
    forged.hash = chain.entry_hash(**{n: getattr(forged, n) for n in chain.CONTENT})
    AuditEntry.objects.filter(pk=forged.pk).update(reason=forged.reason, hash=forged.hash)
    code, text = _verify()
    assert code == 1 and f"entry {entries[1].seq} (id {entries[1].pk}): its content was changed" in text
    assert f"entry {entries[2].seq} (id {entries[2].pk}): it does not follow" in text


def test_entries_stay_append_only(entries):
    with pytest.raises(ValueError):
        entries[0].save()
    with pytest.raises(ValueError):
        entries[0].delete()


def test_auditors_search_the_log(entries, api_client, auditor, agent, customer):
    api = api_client(auditor)
    r = api.get(f"/audit?object_type=customers.customer&object_id={customer.pk}&action=read_identity")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 4 and body["results"][0]["seq"] == entries[-1].seq  # newest first
    assert {x["actor"] for x in body["results"]} == {"agent"} and body["results"][-1]["reason"] == "客户来电核实"
    assert api.get(f"/audit?actor={agent.pk}&sort=seq").json()["results"][0]["seq"] == 1
    assert api.get("/audit?sort=sideways").status_code == 422
    assert api_client(agent).get("/audit").status_code == 403  # agents do not read the log


def test_a_head_moved_back_over_entries_still_there_is_noticed(entries):
    ChainHead.objects.filter(pk=1).update(seq=entries[-3].seq, hash=entries[-3].hash)
    code, text = _verify()
    assert code == 1 and f"entries {entries[-2].seq}–{entries[-1].seq}: beyond the chain head" in text


def test_entries_written_while_verify_walks_are_not_breaks(entries, agent, customer):
    walk = services.verify_chain()  # has read the head
    services.record(agent, "read", customer)
    assert list(walk.breaks()) == [] and walk.checked == len(entries)
