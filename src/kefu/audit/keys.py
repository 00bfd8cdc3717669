"""The audit key ring: the HMAC keys that sign the audit chain, kept outside the database
(decision 0020).

KEFU_AUDIT_KEYS holds `id:key,id:key,…` in the field-key format (32 random bytes in URL-safe
base64, the first current); when it is unset, the same line in KEFU_AUDIT_KEY_FILE, which is
generated on first use if missing, as Django's secret key is. A generated key gets a random id,
so a key file that was lost and regenerated shows up as "signed with a key not in the ring"
rather than as changed entries.

Deliberately apart from the field-encryption ring (kefu.core.crypto): field keys are retired
once `kefu keys rotate` has moved every row off them, while an audit key must stay as long as
the entries it signed are kept; and checking the log should not need a key that decrypts
customer data. Each entry records the id of the key that signed it: `kefu audit key --add ID`
makes a new key current, older entries still verify under theirs, and nothing is ever re-signed.
"""

import base64
import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kefu.core import crypto

_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# The MAC key is derived, not the configured bytes themselves: a line pasted into both rings by
# mistake still gives unrelated keys for encryption and for the chain.
_PURPOSE = b"kefu audit chain v1"


@dataclass(frozen=True)
class Ring:
    macs: dict[str, bytes] = field(default_factory=dict)  # key id -> MAC key, current first

    @property
    def current(self) -> str:
        return next(iter(self.macs))

    def get(self, key_id: str) -> bytes | None:
        return self.macs.get(key_id)


def parse(spec: str) -> Ring:
    macs = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _sep, material = item.partition(":")
        try:
            raw = base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))
        except ValueError:
            raw = b""
        if not _KEY_ID.match(key_id) or key_id in macs or len(raw) != 32:
            raise ImproperlyConfigured(f"KEFU_AUDIT_KEYS: bad or repeated key {key_id!r}: each is id:32 bytes in URL-safe base64")
        macs[key_id] = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(raw)
    if not macs:
        raise ImproperlyConfigured("KEFU_AUDIT_KEYS holds no key")
    return Ring(macs)


def configured_spec(*, create: bool) -> tuple[str, str]:
    """(the ring's text, where it came from); with CREATE, generate the key file if nothing is
    configured. ("", "") when nothing is and CREATE is false."""
    if settings.KEFU_AUDIT_KEYS:
        return settings.KEFU_AUDIT_KEYS, "KEFU_AUDIT_KEYS"
    path = str(settings.KEFU_AUDIT_KEY_FILE)
    if not os.path.exists(path):
        if not create:
            return "", ""
        _generate(path)
    with open(path) as f:
        return f.read().strip(), path


def ring(*, create: bool = True) -> Ring:
    """The configured ring. Writers create the key file if needed; readers (verify) do not, and
    get an empty ring, under which every signed entry is reported as unverifiable."""
    spec, _source = configured_spec(create=create)
    return _parsed(spec) if spec else Ring()


@lru_cache(maxsize=8)
def _parsed(spec: str) -> Ring:
    return parse(spec)


def new_key_line(key_id: str | None = None) -> str:
    return crypto.new_key_line(key_id or f"a{secrets.token_hex(3)}")


def write_file(path: str, spec: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(spec + "\n")


def _generate(path: str) -> None:
    """Write a new key file unless another process just did: the key is written to a private
    temporary file first and linked into place, which fails if the file appeared meanwhile."""
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    write_file(tmp, new_key_line())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
