"""A stand-in for an external OpenID Connect issuer (Entra ID, Keycloak, Okta): the edge of the
world, so the one thing the tests fake. A real HTTP server in a thread serving discovery and
the JWKS of keys generated here, and signing tokens with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

AUDIENCE = "api://openirm-test"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private_pem: str
    public_jwk: dict[str, Any]

    @classmethod
    def generate(cls, alg: str = "RS256") -> SigningKey:
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if alg.startswith("RS") else ec.generate_private_key(ec.SECP256R1()))
        pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        kid = uuid.uuid4().hex[:12]
        data = {k: v for k, v in jwk.construct(public, alg).to_dict().items() if k != "alg"}
        # Like Entra ID: no "alg" in the published key, only its type and use.
        return cls(kid, alg, pem, {**data, "kid": kid, "use": "sig"})


class FakeIdP:
    """Discovery at <issuer>/.well-known/openid-configuration, keys at <base>/keys.
    `rotate()` publishes a new key and signs with it; `fail` makes both answer 500."""

    def __init__(self) -> None:
        self.keys = [SigningKey.generate()]
        self.fail = False
        self.jwks_fetches = 0
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if idp.fail:
                    self.send_error(500)
                    return
                if self.path == "/tenant/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer, "jwks_uri": idp.jwks_url,
                            "id_token_signing_alg_values_supported": ["RS256"]}
                elif self.path == "/keys":
                    idp.jwks_fetches += 1
                    body = {"keys": [k.public_jwk for k in idp.keys]}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.base}/tenant"
        self.jwks_url = f"{self.base}/keys"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def env(self, min_refetch_s: float = 2) -> dict[str, str]:
        """What the stack needs to trust this issuer (discovery finds the keys)."""
        return {"OPENIRM_OIDC_ISSUER": self.issuer, "OPENIRM_OIDC_AUDIENCE": AUDIENCE,
                "OPENIRM_OIDC_CLAIM": "email",
                "OPENIRM_OIDC_JWKS_MIN_REFETCH_S": str(min_refetch_s)}

    @property
    def key(self) -> SigningKey:
        return self.keys[-1]

    def rotate(self, alg: str = "RS256", *, drop_old: bool = False) -> SigningKey:
        new = SigningKey.generate(alg)
        self.keys = [new] if drop_old else [*self.keys, new]
        return new

    def claims(self, email: str | None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": uuid.uuid4().hex, "iat": now,
                  "nbf": now, "exp": now + 600, **({"email": email} if email else {})}
        return {**claims, **overrides}

    def token(self, email: str | None, *, key: SigningKey | None = None,
              headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        key = key or self.key
        return jwt.encode(self.claims(email, **overrides), key.private_pem, algorithm=key.alg,
                          headers={"kid": key.kid, **(headers or {})})

    def hs256_with_public_key(self, email: str = "a@x.example") -> str:
        """The classic confusion attack: HMAC-signed with the issuer's public key as the
        secret (python-jose itself refuses to do it, so by hand)."""
        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        pem = jwk.construct(self.key.public_jwk, "RS256").to_pem()
        head = b64(json.dumps({"alg": "HS256", "kid": self.key.kid}).encode())
        body = b64(json.dumps(self.claims(email)).encode())
        sig = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64(sig)}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
