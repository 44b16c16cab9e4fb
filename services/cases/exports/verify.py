"""Checking an escalation bundle: every file listed in the manifest is present with its
SHA-256 and size, nothing unlisted rides along, and the manifest's Ed25519 signature holds
for the given public key. Used by `openirm verify-export` and by the tests."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.cases.exports.bundle import FORMAT, MANIFEST, SIGNATURE, key_id


@dataclass
class Verdict:
    ok: bool = True
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def summary(self) -> str:
        if self.ok:
            return (f"VALID: {self.files_checked} files match manifest.json and its signature "
                    f"holds (key {self.manifest.get('signing_key_id')}, export "
                    f"{self.manifest.get('export_id')}, case {self.manifest.get('case_id')})")
        return "INVALID:\n" + "\n".join(f"  - {p}" for p in self.problems)


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify(bundle: bytes, public_key: Ed25519PublicKey) -> Verdict:
    verdict = Verdict()
    try:
        zf = zipfile.ZipFile(io.BytesIO(bundle))
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        verdict.fail(f"not a readable ZIP file ({exc})")
        return verdict
    with zf:
        if MANIFEST not in names or SIGNATURE not in names:
            verdict.fail(f"{MANIFEST} or {SIGNATURE} is missing")
            return verdict
        try:
            manifest_bytes = zf.read(MANIFEST)
            signature = base64.b64decode(zf.read(SIGNATURE).strip(), validate=True)
        except (zipfile.BadZipFile, zlib.error, binascii.Error, OSError) as exc:
            verdict.fail(f"cannot read the manifest or its signature ({exc})")
            return verdict
        try:
            public_key.verify(signature, manifest_bytes)
        except InvalidSignature:
            verdict.fail(f"the signature of {MANIFEST} does not hold for this public key "
                         f"(key {key_id(public_key)})")
        try:
            manifest = json.loads(manifest_bytes)
            listed = {entry["name"]: entry for entry in manifest["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            verdict.fail(f"{MANIFEST} is not a valid manifest ({exc})")
            return verdict
        verdict.manifest = manifest
        if manifest.get("format") != FORMAT:
            verdict.fail(f"unknown format {manifest.get('format')!r}")
        for name, entry in sorted(listed.items()):
            if name not in names:
                verdict.fail(f"{name}: listed in the manifest but missing")
                continue
            try:
                data = zf.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError) as exc:  # a changed byte
                verdict.fail(f"{name}: cannot be read ({exc})")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry.get("sha256") or len(data) != entry.get("size"):
                verdict.fail(f"{name}: checksum mismatch (manifest {entry.get('sha256')}, "
                             f"file {digest})")
                continue
            verdict.files_checked += 1
        for name in sorted(set(names) - set(listed) - {MANIFEST, SIGNATURE}):
            verdict.fail(f"{name}: in the bundle but not in the manifest")
    return verdict


def fetch_public_key(cases_url: str, timeout_s: float = 10.0) -> Ed25519PublicKey:
    """The signing key a running cases service publishes (`GET /exports/signing-key`)."""
    import httpx

    resp = httpx.get(cases_url.rstrip("/") + "/exports/signing-key", timeout=timeout_s)
    resp.raise_for_status()
    return load_public_key(resp.json()["public_key_pem"])


def verify_file(path: str, *, public_key_file: str | None = None,
                url: str | None = None) -> Verdict:
    """What `openirm verify-export` runs: the key from a PEM file or from a cases URL."""
    if public_key_file:
        with open(public_key_file, "rb") as f:
            key = load_public_key(f.read())
    elif url:
        key = fetch_public_key(url)
    else:
        raise ValueError("give --public-key FILE or --url URL")
    with open(path, "rb") as f:
        return verify(f.read(), key)
