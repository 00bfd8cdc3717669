"""kefu keys init | status | add KEY_ID | rotate"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from kefu.core import crypto, keys


class Command(BaseCommand):
    help = "Field encryption keys: create a local one, add a new current key, re-encrypt under it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="generate a local key file unless a key ring is configured")
        sub.add_parser("status", help="rows encrypted under each key")
        p = sub.add_parser("add", help="put a new key first in the ring (it becomes current)")
        p.add_argument("key_id")
        p = sub.add_parser("rotate", help="re-encrypt every row under the current key, in resumable batches")
        p.add_argument("--batch-size", type=int, default=500)

    def handle(self, action, **o):
        try:
            getattr(self, action)(**o)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None

    def init(self, **o):
        spec, source = crypto.configured_spec()
        if spec:
            crypto.parse(spec)
            self.stdout.write(f"Field encryption keys are configured ({source}).")
            return
        path = settings.KEFU_FIELD_KEY_FILE
        self._write(path, crypto.new_key_line("k1"))
        self.stdout.write(f"Generated a field encryption key in {path}.\n"
                          "Back it up with the database: without it the encrypted fields cannot be read.\n"
                          "In production, set KEFU_FIELD_KEYS from your secret store instead.")

    def status(self, **o):
        ring = crypto.ring()
        self.stdout.write(f"current key: {ring.current.id}; ring: {', '.join(k.id for k in ring.keys)}")
        for label, counts in keys.status().items():
            shown = ", ".join(f"{k or 'unencrypted'}: {n}" for k, n in sorted(counts.items())) or "no rows"
            self.stdout.write(f"{label}: {shown}")

    def add(self, key_id, **o):
        spec, source = crypto.configured_spec()
        line = crypto.new_key_line(key_id)
        new_spec = ",".join(filter(None, [line, spec]))
        crypto.parse(new_spec)  # refuses a repeated or malformed id
        if source == "KEFU_FIELD_KEYS" or not spec and settings.KEFU_FIELD_KEYS:
            self.stdout.write("Set this in the environment of every Kefu process, then run `kefu keys rotate`:\n"
                              f"KEFU_FIELD_KEYS={new_spec}")
            return
        self._write(settings.KEFU_FIELD_KEY_FILE, new_spec)
        self.stdout.write(f"Key {key_id} is now current in {settings.KEFU_FIELD_KEY_FILE}; run `kefu keys rotate`.")

    def rotate(self, batch_size, **o):
        current = crypto.ring().current.id
        for model in keys.encrypted_models():
            n = keys.rotate(model, batch_size=batch_size,
                            progress=lambda m, done: self.stdout.write(f"{m._meta.label}: {done} rows re-encrypted"))
            self.stdout.write(f"{model._meta.label}: done, {n} rows moved to key {current}")
        self.stdout.write("Every row is under the current key; older keys may leave the ring once every process has it.")

    def _write(self, path, content):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(content + "\n")
