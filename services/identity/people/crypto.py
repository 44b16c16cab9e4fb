"""The pseudonym map's protection (envelope encryption).

Each person's identity is sealed with a data key of their own (AES-256-GCM, the subject id
as associated data, so a ciphertext moved to another row does not open); the data key is
stored wrapped by the master key (OPENIRM_IDENTITY_KEY, AES-256-GCM too), in its own table.
Destroying a person's data key shreds their identity for good (erasure); rotating the master
key rewraps the small data keys. Lookups go through a keyed hash of the email/UPN (blind
index) derived from the master key, so no lookup needs to decrypt.

Rotation: the current key wraps and hashes; previous keys (OPENIRM_IDENTITY_PREVIOUS_KEYS) only
unwrap and find, until the re-encryption pass has moved every row to the current key.
Rows written before per-person keys existed (migration 0005) are sealed with the master key
directly ("legacy"); they are read with any configured key and rewritten by that pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.kit.errors import OpenIRMError


class IdentityKeyMissing(OpenIRMError):
    """A row is sealed with a key this process is not configured with."""

    status, code = 500, "identity_key_missing"


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def normalise_identifier(identifier: str) -> str:
    return identifier.strip().lower()


def key_id(secret: str) -> str:
    """A master key's public name (stored beside what it wraps): a digest, never the key."""
    return hashlib.sha256(b"openirm-identity-kid:" + secret.encode()).hexdigest()[:16]


UnreadableIdentity = (IdentityKeyMissing, InvalidToken, InvalidTag)
_V1 = b"\x01"  # format: version, 12-byte nonce, AES-GCM ciphertext and tag


def _seal(aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return _V1 + nonce + aead.encrypt(nonce, plaintext, aad)


def _unseal(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    if blob[:1] != _V1:
        raise InvalidToken
    return aead.decrypt(blob[1:13], blob[13:], aad)


def _key_aad(subject_id: uuid.UUID) -> bytes:
    return b"openirm-person-key:" + subject_id.bytes


@dataclass(frozen=True)
class _MasterKey:
    id: str
    fernet: Fernet  # legacy rows only (sealed by the master key before 0005)
    wrap: AESGCM
    index_key: bytes

    @classmethod
    def of(cls, secret: str) -> _MasterKey:
        return cls(key_id(secret),
                   Fernet(base64.urlsafe_b64encode(_derive(secret, b"openirm-identity-enc"))),
                   AESGCM(_derive(secret, b"openirm-identity-wrap")),
                   _derive(secret, b"openirm-identity-index"))

    def lookup_hash(self, identifier: str) -> str:
        return hmac.new(self.index_key, normalise_identifier(identifier).encode(),
                        hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sealed:
    """A person's identity as stored: ciphertext, and the data key wrapped by a master key."""

    identity_ct: bytes
    key_id: str
    wrapped_key: bytes


class IdentityVault:
    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        self.current = _MasterKey.of(secret)
        older = [_MasterKey.of(s) for s in previous if s != secret]
        self.keys = {k.id: k for k in [*older, self.current]}
        # The current key first: MultiFernet tries keys in order.
        self._ordered = [self.current, *(k for k in older if k.id != self.current.id)]
        self._legacy = MultiFernet([k.fernet for k in self._ordered])

    @property
    def key_id(self) -> str:
        return self.current.id

    @property
    def previous_ids(self) -> list[str]:
        return [k.id for k in self._ordered[1:]]

    def lookup_hash(self, identifier: str) -> str:
        """The blind index under the current key (what is written)."""
        return self.current.lookup_hash(identifier)

    def lookup_hashes(self, identifier: str) -> list[str]:
        """The blind index under every configured key, current first (what is looked for:
        a row not yet moved to the current key is still found)."""
        return [k.lookup_hash(identifier) for k in self._ordered]

    # -- per-person keys --------------------------------------------------------------

    def seal_new(self, identity: dict[str, Any], subject_id: uuid.UUID) -> Sealed:
        """Seal an identity under a fresh data key, wrapped by the current master key."""
        data_key = AESGCM.generate_key(bit_length=256)
        return Sealed(_seal(AESGCM(data_key), _dump(identity), subject_id.bytes),
                      self.current.id, _seal(self.current.wrap, data_key, _key_aad(subject_id)))

    def reseal(self, identity: dict[str, Any], subject_id: uuid.UUID, key_id_: str,
               wrapped_key: bytes) -> bytes:
        """Seal an updated identity under the person's existing data key."""
        data_key = self._unwrap(subject_id, key_id_, wrapped_key)
        return _seal(AESGCM(data_key), _dump(identity), subject_id.bytes)

    def rewrap(self, subject_id: uuid.UUID, key_id_: str, wrapped_key: bytes) -> bytes:
        """The same data key, wrapped by the current master key."""
        return _seal(self.current.wrap, self._unwrap(subject_id, key_id_, wrapped_key),
                     _key_aad(subject_id))

    def open(self, identity_ct: bytes, subject_id: uuid.UUID, key_id_: str | None,
             wrapped_key: bytes | None) -> dict[str, Any]:
        """The identity; without a wrapped key, a legacy row sealed by a master key."""
        if key_id_ is None or wrapped_key is None:
            try:
                return json.loads(self._legacy.decrypt(identity_ct))
            except InvalidToken:
                raise IdentityKeyMissing("an identity is sealed with a key that is not "
                                         "configured") from None
        data_key = self._unwrap(subject_id, key_id_, wrapped_key)
        return json.loads(_unseal(AESGCM(data_key), identity_ct, subject_id.bytes))

    def _unwrap(self, subject_id: uuid.UUID, key_id_: str, wrapped_key: bytes) -> bytes:
        master = self.keys.get(key_id_)
        if master is None:
            raise IdentityKeyMissing(f"an identity key ({key_id_}) is not configured; add it "
                                     "to OPENIRM_IDENTITY_PREVIOUS_KEYS")
        return _unseal(master.wrap, wrapped_key, _key_aad(subject_id))

    # -- the legacy form (before per-person keys), for tests of old rows -------------------

    def seal_legacy(self, identity: dict[str, Any]) -> bytes:
        return self.current.fernet.encrypt(_dump(identity))


def _dump(identity: dict[str, Any]) -> bytes:
    return json.dumps(identity, sort_keys=True, default=str, separators=(",", ":")).encode()


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def alias_for(subject_id: uuid.UUID, length: int = 6) -> str:
    """A stable display alias that says nothing about the person."""
    n = int.from_bytes(hashlib.sha256(subject_id.bytes).digest()[:8], "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return "AnonymousUser-" + "".join(chars)
