"""What the launcher needs to know: where data lives, which ports, which URLs, which secrets.
Read from the same OPENIRM_ environment variables as the services."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("identity", "ingest", "scoring", "cases")
WORKERS = ("scoring", "cases")
PORT_ORDER = ("gateway", "ingest", "scoring", "cases", "identity")  # base, base + 1, ...


def ports_from(base: int) -> dict[str, int]:
    return {name: base + offset for offset, name in enumerate(PORT_ORDER)}


DEFAULT_PORTS = ports_from(8100)


@dataclass
class StackConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    database_url: str | None = None
    redis_url: str | None = None
    env: str = "development"
    log_format: str = "text"
    db_role_password: str | None = None  # of the services' database roles; None: trust auth

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> StackConfig:
        base = int(os.environ.get("OPENIRM_PORT_BASE", "8100"))
        return cls(
            data_dir=(data_dir or Path(os.environ.get("OPENIRM_DATA_DIR", ".openirm"))).resolve(),
            host=os.environ.get("OPENIRM_HOST", "127.0.0.1"),
            ports=ports_from(base),
            database_url=os.environ.get("OPENIRM_DATABASE_URL") or None,
            redis_url=os.environ.get("OPENIRM_REDIS_URL") or None,
            env=os.environ.get("OPENIRM_ENV", "development"),
            log_format=os.environ.get("OPENIRM_LOG_FORMAT", "text"),
            db_role_password=os.environ.get("OPENIRM_DB_ROLE_PASSWORD") or None,
        )

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"


SECRETS = ("jwt_secret", "identity_key", "export_signing_key")


def load_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets from the environment, else generated once and kept in data_dir (development).
    Only generated secrets are written, to a file only its owner can read, atomically."""
    path = data_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    generated = dict(stored)
    for key in SECRETS:
        if not os.environ.get(f"OPENIRM_{key.upper()}") and key not in generated:
            generated[key] = _export_key() if key == "export_signing_key" \
                else secrets.token_urlsafe(32)
    if generated != stored:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(generated, f)
        os.replace(tmp, path)
    return {key: os.environ.get(f"OPENIRM_{key.upper()}") or generated[key]
            for key in SECRETS}


def _export_key() -> str:
    """An Ed25519 private key for signing export manifests, as base64 of its 32 bytes."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def free_port_block(size: int = 5, seed: int | None = None) -> int:
    """The first port of `size` consecutive free ports on 127.0.0.1 (tests, benchmarks),
    below Linux's ephemeral range (32768+) so an outgoing connection cannot take one of them
    between this check and the server's bind."""
    import random
    import socket

    rng = random.Random(seed if seed is not None else os.getpid())
    for _ in range(200):
        base = rng.randrange(20000, 32700 - size)
        free = True
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no block of free ports")
