"""The pseudonym map's protection: identities encrypted with Fernet, looked up by a keyed hash
(blind index) so no lookup needs to decrypt. Both keys derive from OPENIRM_IDENTITY_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from functools import cached_property
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def normalise_identifier(identifier: str) -> str:
    return identifier.strip().lower()


class IdentityVault:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    @cached_property
    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(_derive(self._secret, b"openirm-identity-enc")))

    @cached_property
    def _index_key(self) -> bytes:
        return _derive(self._secret, b"openirm-identity-index")

    def lookup_hash(self, identifier: str) -> str:
        return hmac.new(self._index_key, normalise_identifier(identifier).encode(),
                        hashlib.sha256).hexdigest()

    def seal(self, identity: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(identity, sort_keys=True).encode())

    def open(self, ciphertext: bytes) -> dict[str, Any]:
        return json.loads(self._fernet.decrypt(ciphertext))


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def alias_for(subject_id: uuid.UUID, length: int = 6) -> str:
    """A stable display alias that says nothing about the person."""
    n = int.from_bytes(hashlib.sha256(subject_id.bytes).digest()[:8], "big")
    chars = []
    for _ in range(length):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return "AnonymousUser-" + "".join(chars)
