"""Field encryption at rest (AES-256-GCM) with a key ring, and blind indexes for lookups.

The key ring is KEFU_FIELD_KEYS — `id:key,id:key,…`, each key 32 bytes in URL-safe base64,
the first one current — or, when that is unset, the same line in KEFU_FIELD_KEY_FILE (which
`kefu keys init` writes for a local installation). New values are encrypted with the first
key; older keys stay in the ring only to read values until `kefu keys rotate` has re-encrypted
them.

A stored value reads `enc1:<key id>:<base64 of nonce + ciphertext>`. The model and field name
are bound in as associated data, so a value copied into another column does not decrypt.

A blind index is an HMAC of the normalised value under an index key derived from each ring
key: exact lookups compare hashes, and the database alone reveals neither the value nor which
rows share one with a known value. Lookups try the hash under every key in the ring, so they
keep working while a rotation is half done.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


@dataclass(frozen=True)
class Key:
    id: str
    cipher: AESGCM
    index_key: bytes


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[Key, ...]

    @property
    def current(self) -> Key:
        return self.keys[0]

    def get(self, key_id: str) -> Key:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise ImproperlyConfigured(f"field encryption key {key_id!r} is not in the key ring (KEFU_FIELD_KEYS)")


def new_key_line(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def parse(spec: str) -> KeyRing:
    keys, seen = [], set()
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _sep, material = item.partition(":")
        if not _KEY_ID.match(key_id) or key_id in seen:
            raise ImproperlyConfigured(f"KEFU_FIELD_KEYS: bad or repeated key id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(f"KEFU_FIELD_KEYS: key {key_id!r} must be 32 bytes in URL-safe base64")
        seen.add(key_id)
        keys.append(Key(key_id, AESGCM(raw), hmac.new(raw, b"kefu blind index v1", hashlib.sha256).digest()))
    if not keys:
        raise ImproperlyConfigured("No field encryption key: set KEFU_FIELD_KEYS, or run `kefu keys init` "
                                   "to generate a local one")
    return KeyRing(tuple(keys))


def configured_spec() -> tuple[str, str]:
    """(the ring's text, where it came from)."""
    if settings.KEFU_FIELD_KEYS:
        return settings.KEFU_FIELD_KEYS, "KEFU_FIELD_KEYS"
    path = settings.KEFU_FIELD_KEY_FILE
    if path and os.path.exists(path):
        with open(path) as f:
            return f.read().strip(), str(path)
    return "", ""


def ring() -> KeyRing:
    spec, _source = configured_spec()
    return _parsed(spec)


@lru_cache(maxsize=8)
def _parsed(spec: str) -> KeyRing:
    return parse(spec)


def encrypt(value: str, context: str) -> str:
    if not value:
        return value  # emptiness is not secret, and keeps `field=""` filters working
    key = ring().current
    nonce = secrets.token_bytes(12)
    sealed = key.cipher.encrypt(nonce, value.encode(), context.encode())
    return f"{PREFIX}:{key.id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, context: str) -> str:
    if not is_encrypted(stored):
        return stored  # empty, or written before encryption; `kefu keys rotate` encrypts it
    _prefix, key_id, body = stored.split(":", 2)
    raw = base64.urlsafe_b64decode(body)
    return ring().get(key_id).cipher.decrypt(raw[:12], raw[12:], context.encode()).decode()


def is_encrypted(stored) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX + ":")


def normalise(value: str, purpose: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    return value.upper() if purpose == "id_number" else value


def blind_index(value: str, purpose: str, key: Key | None = None) -> str:
    """The hash stored next to an encrypted value; '' for an empty one."""
    value = normalise(value, purpose)
    if not value:
        return ""
    key = key or ring().current
    return hmac.new(key.index_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]


def lookup_hashes(value: str, purpose: str) -> list[str]:
    """The VALUE's hash under every key in the ring: what an exact lookup compares with."""
    return [h for h in (blind_index(value, purpose, key) for key in ring().keys) if h]
