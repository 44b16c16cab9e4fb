"""JWTs made and checked with python-jose; roles are never frozen into a token."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass

from jose import ExpiredSignatureError, JWTError, jwt
from jose.exceptions import JWTClaimsError

from services.kit.errors import Unauthenticated

ALGORITHM = "HS256"
MAX_TTL_S = 86_400


@dataclass(frozen=True)
class Principal:
    """Who is calling: `user:<uuid>` for staff, `service:<name>` for the services themselves."""

    subject: str
    email: str | None = None

    @property
    def is_service(self) -> bool:
        return self.subject.startswith("service:")


def _invalid(reason: str) -> Unauthenticated:
    return Unauthenticated(reason, code="token_invalid")


def key_id(secret: str) -> str:
    """A key's public name in the token header: a digest, never the key."""
    return hashlib.sha256(b"openirm-kid:" + secret.encode()).hexdigest()[:16]


class TokenCodec:
    """Signs with the current key and names it (`kid`); verifies with the key the token names,
    among the current and the previous ones, so a rotation needs no downtime: tokens signed
    before it keep working until they expire."""

    def __init__(self, secret: str, issuer: str, audience: str, ttl_s: int,
                 previous: list[str] | None = None) -> None:
        self.secret, self.issuer, self.audience, self.ttl_s = secret, issuer, audience, ttl_s
        self.kid = key_id(secret)
        self.keys = {key_id(k): k for k in [*(previous or []), secret]}

    def issue(self, subject: str, *, email: str | None = None, ttl_s: int | None = None) -> str:
        now = int(time.time())
        claims = {"sub": subject, "iss": self.issuer, "aud": self.audience, "iat": now,
                  "exp": now + (ttl_s or self.ttl_s), "jti": uuid.uuid4().hex}
        if email:
            claims["email"] = email
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str) -> Principal:
        """The claims of a valid token; otherwise 401 `token_expired` or `token_invalid`,
        with the reason in the detail (not a JWT, a refused algorithm, a signature that does
        not verify, another audience or issuer, a missing claim)."""
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise _invalid("token is not a JWT") from exc
        if header.get("alg") != ALGORITHM:
            raise _invalid(f"token algorithm {header.get('alg')!r} is refused "
                           f"(only {ALGORITHM})")
        kid = header.get("kid")
        key = self.keys.get(kid) if kid is not None else self.secret
        if key is None:
            raise _invalid("token was signed with an unknown or retired key")
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                                audience=self.audience, issuer=self.issuer,
                                options={"require_exp": True, "require_sub": True,
                                         "require_aud": True, "require_iss": True,
                                         "require_iat": True})
        except ExpiredSignatureError as exc:
            raise Unauthenticated("token has expired", code="token_expired") from exc
        except JWTClaimsError as exc:
            text = str(exc).lower()
            reason = ("token is for another audience" if "audience" in text else
                      "token is from another issuer" if "issuer" in text else
                      f"token claims are invalid: {exc}")
            raise _invalid(reason) from exc
        except JWTError as exc:
            text = str(exc).lower()
            reason = ("token signature does not verify" if "signature" in text else
                      f"token is invalid: {exc}")
            raise _invalid(reason) from exc
        if claims["exp"] - claims["iat"] > MAX_TTL_S:
            raise Unauthenticated("token lives too long", code="token_invalid")
        subject = claims.get("sub")
        if not isinstance(subject, str) or ":" not in subject:
            raise Unauthenticated("token subject is invalid", code="token_invalid")
        return Principal(subject=subject, email=claims.get("email"))
