"""The escalation bundle's format, shared by the builder and the verifier: a ZIP of JSON
files, `manifest.json` listing each with its SHA-256 and size, and `manifest.sig`, the
base64 Ed25519 signature of the exact bytes of `manifest.json`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import zipfile
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "openirm-case-export/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
# Fixed timestamps inside the ZIP: the same files make the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def to_json(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False
                      ).encode() + b"\n"


def load_private_key(raw: str) -> Ed25519PrivateKey:
    """PEM (PKCS#8) or the base64 of the 32-byte raw key."""
    text = raw.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the export signing key must be an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("the export signing key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise ValueError("a base64 export signing key must hold 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def generate_private_key() -> str:
    """A new key as the base64 of its 32 raw bytes (what `openirm up` stores)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def assemble(files: dict[str, bytes], header: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """The ZIP: the files, the manifest (header + each file's checksum and size) and its
    signature."""
    entries = [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
               for name, data in sorted(files.items())]
    manifest = to_json({**header, "format": FORMAT, "signing_key_id": key_id(key.public_key()),
                        "files": entries})
    signature = base64.b64encode(key.sign(manifest)) + b"\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [*sorted(files.items()), (MANIFEST, manifest), (SIGNATURE, signature)]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def unpack(bundle: bytes) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The files of a bundle (without manifest and signature) and the manifest's header."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(files.pop(MANIFEST))
    files.pop(SIGNATURE, None)
    header = {k: v for k, v in manifest.items()
              if k not in ("files", "format", "signing_key_id")}
    return files, header
