"""JWTs made and checked with python-jose; roles are never frozen into a token. Optionally,
access tokens of an external OpenID Connect issuer, mapped to staff accounts."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from jose import ExpiredSignatureError, JWTError, jwk, jwt
from jose.backends.base import Key
from jose.exceptions import JWKError, JWTClaimsError

from services.kit.errors import Unauthenticated, UpstreamUnavailable

log = logging.getLogger("openirm.tokens")

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

    def verify(self, token: str, header: dict | None = None) -> Principal:
        """The claims of a valid token; otherwise 401 `token_expired` or `token_invalid`,
        with the reason in the detail (not a JWT, a refused algorithm, a signature that does
        not verify, another audience or issuer, a missing claim)."""
        if header is None:
            header = _header(token)
        if header.get("alg") != ALGORITHM:
            raise _invalid(f"token algorithm {header.get('alg')!r} is refused "
                           f"(only {ALGORITHM})")
        kid = header.get("kid")
        key = self.keys.get(kid) if kid is not None else self.secret
        if key is None:
            raise _invalid("token was signed with an unknown or retired key")
        claims = _decode(token, key, ALGORITHM, self.audience, self.issuer,
                         {"require_iat": True, "require_sub": True})
        if claims["exp"] - claims["iat"] > MAX_TTL_S:
            raise Unauthenticated("token lives too long", code="token_invalid")
        subject = claims.get("sub")
        if not isinstance(subject, str) or ":" not in subject:
            raise Unauthenticated("token subject is invalid", code="token_invalid")
        return Principal(subject=subject, email=claims.get("email"))


def _header(token: str) -> dict:
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise _invalid("token is not a JWT") from exc
    if not isinstance(header, dict):
        raise _invalid("token is not a JWT")
    return header


def _decode(token: str, key: Any, algorithm: str, audience: str, issuer: str,
            options: dict[str, Any]) -> dict[str, Any]:
    """python-jose's checks (signature, exp, aud, iss), its errors turned into reasons."""
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience, issuer=issuer,
                          options={"require_exp": True, "require_aud": True,
                                   "require_iss": True, **options})
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


class OidcUnavailable(UpstreamUnavailable):
    """The issuer's keys cannot be fetched: 503, not 401, because the token may well be
    good and signing in again would not help; the caller should retry shortly."""

    code = "oidc_unavailable"


class OidcIssuer:
    """An external OpenID Connect issuer (Entra ID, Keycloak, Okta...): its access tokens are
    verified with the keys it publishes (JWKS), fetched on first use and cached. A token
    naming a key the cache lacks (the issuer rotated) refetches the set, but at most every
    `min_refetch_s`, so made-up key ids cannot turn us into a flood against the issuer.
    Cached keys older than `max_age_s` are refetched, and kept if the issuer is down."""

    failure_retry_s = 5.0  # after a failed fetch, how soon another request may try again

    def __init__(self, issuer: str, audience: str, *, http: httpx.AsyncClient,
                 claim: str = "email", jwks_url: str | None = None,
                 algorithms: Iterable[str] = ("RS256", "ES256"), min_refetch_s: float = 60.0,
                 max_age_s: float = 3600.0, leeway_s: int = 30, timeout_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.issuer, self.audience, self.claim, self.http = issuer, audience, claim, http
        self.jwks_url = jwks_url
        self.algorithms = tuple(a for a in algorithms if not a.upper().startswith(("HS", "NONE")))
        self.min_refetch_s, self.max_age_s = min_refetch_s, max_age_s
        self.leeway_s, self.timeout_s, self.clock = leeway_s, timeout_s, clock
        self.fetches = 0  # how many times the key set was fetched (tests, metrics)
        self._keys: dict[str, dict[str, Any]] = {}
        self._built: dict[tuple[str, str], Key] = {}
        self._fetched_at: float | None = None
        self._attempted_at = -math.inf
        self._failed = False
        self._lock = asyncio.Lock()

    # -- keys -----------------------------------------------------------------------------
    def _may_fetch(self) -> bool:
        wait = min(self.failure_retry_s, self.min_refetch_s) if self._failed \
            else self.min_refetch_s
        return self.clock() - self._attempted_at >= wait

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self.clock() - self._fetched_at < self.max_age_s

    async def _jwks_url(self) -> str:
        if self.jwks_url:
            return self.jwks_url
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        resp = await self.http.get(url, timeout=self.timeout_s)
        resp.raise_for_status()
        doc = resp.json()
        if not isinstance(doc, dict) or doc.get("issuer") != self.issuer \
                or not isinstance(doc.get("jwks_uri"), str):
            raise ValueError(f"{url} does not describe issuer {self.issuer} with a jwks_uri")
        self.jwks_url = doc["jwks_uri"]
        return self.jwks_url

    async def _fetch(self) -> None:
        self._attempted_at = self.clock()
        self.fetches += 1
        try:
            resp = await self.http.get(await self._jwks_url(), timeout=self.timeout_s)
            resp.raise_for_status()
            body = resp.json()
            keys = {str(k["kid"]): k for k in (body.get("keys") or [])
                    if isinstance(k, dict) and k.get("kty") in ("RSA", "EC")
                    and k.get("use", "sig") == "sig" and k.get("kid") is not None}
            if not keys:
                raise ValueError("the key set holds no signing keys")
        except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
            self._failed = True
            log.warning("could not fetch the keys of OIDC issuer %s: %s", self.issuer, exc)
            return
        self._keys, self._built = keys, {}
        self._fetched_at, self._failed = self.clock(), False

    async def _key(self, kid: str | None) -> dict[str, Any]:
        known = kid in self._keys if kid is not None else len(self._keys) == 1
        # One fetch however many requests need it; those arriving during it wait for it,
        # unless they hold a known (if old) key: they go on with it.
        if not (known and self._fresh()) and (self._may_fetch()
                                              or (not known and self._lock.locked())):
            async with self._lock:
                if self._may_fetch():
                    await self._fetch()
        if not self._keys:
            raise OidcUnavailable("the sign-in provider's keys could not be fetched; "
                                  "try again shortly")
        if kid is None:
            if len(self._keys) != 1:
                raise _invalid("token names no key (kid) and the issuer publishes several")
            return next(iter(self._keys.values()))
        jwk_ = self._keys.get(kid)
        if jwk_ is None:
            raise _invalid("token was signed with a key the issuer does not publish")
        return jwk_

    def _build(self, kid: str, jwk_: dict[str, Any], alg: str) -> Key:
        built = self._built.get((kid, alg))
        if built is None:
            if jwk_.get("alg") not in (None, alg):
                raise _invalid(f"token algorithm {alg!r} does not match its key's")
            try:
                built = jwk.construct(jwk_, alg)
            except (JWKError, ValueError, KeyError, TypeError) as exc:  # or a malformed key
                raise _invalid(f"token algorithm {alg!r} does not match its key's") from exc
            self._built[(kid, alg)] = built
        return built

    # -- tokens ---------------------------------------------------------------------------
    async def verify(self, token: str, header: dict | None = None) -> dict[str, Any]:
        """The claims of a token this issuer signed for our audience, still valid."""
        if header is None:
            header = _header(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise _invalid(f"token algorithm {alg!r} is refused for this issuer "
                           f"(only {', '.join(self.algorithms)})")
        kid = header.get("kid")
        jwk_ = await self._key(None if kid is None else str(kid))
        key = self._build(str(kid), jwk_, alg)
        return _decode(token, key, alg, self.audience, self.issuer,
                       {"verify_at_hash": False, "leeway": self.leeway_s})


AccountResolver = Callable[[str], Awaitable[str | None]]


class TokenVerifier:
    """Who a bearer token names. OpenIRM's own tokens are checked in process, synchronously,
    as before; when an external issuer is configured, a token whose `iss` is that issuer is
    checked against the issuer's keys and its claim (e.g. email) mapped to a staff account
    by `resolve` (the active accounts the Authorizer loads from identity)."""

    def __init__(self, codec: TokenCodec, external: OidcIssuer | None = None,
                 resolve: AccountResolver | None = None) -> None:
        if external is not None and resolve is None:
            raise ValueError("an external issuer needs a way to find staff accounts")
        self.codec, self.external, self.resolve = codec, external, resolve

    async def verify(self, token: str) -> Principal:
        if self.external is None:
            return self.codec.verify(token)
        header = _header(token)
        if header.get("alg") == ALGORITHM and header.get("kid") in self.codec.keys:
            return self.codec.verify(token, header)  # ours: no need to read the claims twice
        try:
            claims = jwt.get_unverified_claims(token)
        except JWTError as exc:
            raise _invalid("token is not a JWT") from exc
        if not isinstance(claims, dict) or claims.get("iss") != self.external.issuer:
            return self.codec.verify(token, header)
        claims = await self.external.verify(token, header)
        name = self.external.claim
        value = claims.get(name)
        if not isinstance(value, str) or not value.strip():
            raise _invalid(f"token carries no {name!r} claim to find the staff account by")
        if name == "email" and claims.get("email_verified") is False:
            # A provider that lets users set their own address says so: never map on it.
            raise _invalid("token's email is not verified by the issuer")
        assert self.resolve is not None
        subject = await self.resolve(value.strip().lower())
        if subject is None:
            raise Unauthenticated("no active staff account for this identity",
                                  code="no_staff_account")
        return Principal(subject=subject, email=value.strip().lower())
