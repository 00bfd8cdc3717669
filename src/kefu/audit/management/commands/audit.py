"""kefu audit verify [--anchor FILE] | anchor [--out FILE] | key [--add KEY_ID]"""

import sys
from collections import Counter
from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kefu.audit import chain, keys, services
from kefu.core.errors import ServiceError


def describe(b: chain.Break) -> str:
    """One line per break, for the operator: where, and what it means."""
    where = {"seq": b.seq, "id": b.entry_id, "last": b.last, "key": b.key_id, "count": b.count, "line": b.line}
    run = b.last is not None and b.last != b.seq
    text = {
        "missing": _("entries %(seq)s–%(last)s: missing (the chain resumes at id %(id)s)") if run else
        _("entry %(seq)s: missing (the chain resumes at id %(id)s)"),
        "relinked": _("entry %(seq)s (id %(id)s): it does not follow the entry before it"),
        "changed": _("entry %(seq)s (id %(id)s): its content was changed after it was written"),
        "unkeyed": _("entry %(seq)s (id %(id)s): its hash is not keyed, though the chain was keyed before it"),
        "unknown_key": _("%(count)s entries from entry %(seq)s (id %(id)s) on: signed with audit key %(key)s, "
                         "which is not in the key ring"),
        "outside": _("entry id %(id)s: it is not part of the chain"),
        "truncated": _("entries %(seq)s–%(last)s: removed after the head counted them") if run else
        _("entry %(seq)s: removed after the head counted it"),
        "past_head": _("entries %(seq)s–%(last)s: beyond the chain head (the head was moved back)") if run else
        _("entry %(seq)s: beyond the chain head (the head was moved back)"),
        "head": _("chain head: its hash is not that of entry %(seq)s"),
        "head_missing": _("chain head: missing, though there are entries"),
        "unsealed": _("chain head: the seal over the unkeyed entries is missing"),
        "seal": _("chain head: the seal does not match the unkeyed entries 1–%(seq)s") if b.seq else
        _("chain head: the seal was changed"),
        "seal_key": _("chain head: sealed with audit key %(key)s, which is not in the key ring"),
        "anchor": _("anchor line %(line)s: the chain no longer reaches anchored entry %(seq)s with the anchored hash"),
        "anchor_signature": _("anchor line %(line)s: the signature does not match (not written by Kefu)"),
        "anchor_key": _("anchor line %(line)s: signed with audit key %(key)s, which is not in the key ring"),
        "anchor_unreadable": _("anchor line %(line)s: not an anchor"),
    }[b.problem]
    return text % where


class Command(BaseCommand):
    help = "The audit log's keyed hash chain: check it (exit status 1 if broken), anchor its head, show its keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("verify", help="walk the chain from the first entry to the head and report every break")
        p.add_argument("--anchor", metavar="FILE", help="also check that the chain still reaches each head anchored in FILE")
        p = sub.add_parser("anchor", help="print the signed head as one JSON line, to keep outside the database")
        p.add_argument("--out", metavar="FILE", help="also append the line to FILE")
        p = sub.add_parser("key", help="the audit key ring and the entries under each key")
        p.add_argument("--add", metavar="KEY_ID", help="put a new key first in the ring (it signs from then on)")

    def handle(self, action, **o):
        try:
            getattr(self, action)(**o)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except ServiceError as exc:
            raise CommandError(exc.message) from None

    def verify(self, anchor=None, **o):
        try:
            source = open(anchor) if anchor else nullcontext(())
        except OSError as exc:
            raise CommandError(_("cannot read %(file)s: %(error)s") % {"file": anchor, "error": exc.strerror}) from None
        counts = Counter()
        with source as lines:
            walk = services.verify_chain(lines)
            for b in walk.breaks():
                counts[b.problem] += 1
                self.stderr.write(describe(b))
        if counts:
            n = sum(counts.values())
            self.stderr.write(ngettext("audit chain broken: %(n)s problem (%(kinds)s); %(checked)s entries checked",
                                       "audit chain broken: %(n)s problems (%(kinds)s); %(checked)s entries checked", n) % {
                "n": n, "kinds": ", ".join(f"{k} {v}" for k, v in counts.most_common()), "checked": walk.checked})
            sys.exit(1)
        head = walk.head or {"seq": 0, "hash": chain.GENESIS}
        self.stdout.write(_("audit chain intact: %(n)s entries; head %(seq)s %(hash)s") % {
            "n": walk.checked, "seq": head["seq"], "hash": head["hash"]})
        if anchor:
            n = walk.anchors_checked
            self.stdout.write(ngettext("%(n)s anchor reached", "%(n)s anchors reached", n) % {"n": n})

    def anchor(self, out=None, **o):
        self.stdout.write(chain.anchor_line(services.write_anchor(out or "")))

    def key(self, add=None, **o):
        if add:
            return self._add(add)
        _spec, source = keys.configured_spec(create=False)
        ring = keys.ring(create=False)
        if ring.macs:
            self.stdout.write(f"current key: {ring.current}; ring: {', '.join(ring.macs)} ({source})")
        else:
            self.stdout.write("no audit key yet: the first audit entry generates one in "
                              f"{settings.KEFU_AUDIT_KEY_FILE}, or set KEFU_AUDIT_KEYS")
        for key_id, n in sorted(services.entries_per_key().items()):
            state = "" if not key_id or key_id in ring.macs else "  NOT IN THE RING"
            self.stdout.write(f"{key_id or 'unkeyed (sealed)'}: {n} entries{state}")

    def _add(self, key_id):
        spec, source = keys.configured_spec(create=False)
        new_spec = ",".join(filter(None, [keys.new_key_line(key_id), spec]))
        keys.parse(new_spec)  # refuses a repeated or malformed id
        if source == "KEFU_AUDIT_KEYS":
            self.stdout.write("Set this in the environment of every Kefu process (keep every older key in it):\n"
                              f"KEFU_AUDIT_KEYS={new_spec}")
            return
        keys.write_file(str(settings.KEFU_AUDIT_KEY_FILE), new_spec)
        self.stdout.write(f"Audit key {key_id} is now current in {settings.KEFU_AUDIT_KEY_FILE}; "
                          "keep the older keys: the entries they signed are verified with them.")
