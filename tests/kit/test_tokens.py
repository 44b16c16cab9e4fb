"""Key rotation without downtime: tokens name their key; the previous keys still verify. And
the external OpenID Connect issuer: keys fetched and cached, bad tokens refused with reasons."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import ValidationError

from services.kit.errors import Unauthenticated
from services.kit.settings import KitSettings
from services.kit.tokens import (
    OidcIssuer,
    OidcUnavailable,
    Principal,
    TokenCodec,
    TokenVerifier,
    key_id,
)
from tests.fake_idp import AUDIENCE, FakeIdP, SigningKey

OLD, NEW = "old-secret-of-32-characters-xxxxx", "new-secret-of-32-characters-yyyyy"


def _codec(secret: str, previous: list[str] | None = None) -> TokenCodec:
    return TokenCodec(secret, "openirm", "openirm", 60, previous=previous)


def test_a_token_of_the_previous_key_verifies_after_a_rotation() -> None:
    before = _codec(OLD).issue("user:x")
    after = _codec(NEW, previous=[OLD])
    assert after.verify(before).subject == "user:x"
    fresh = after.issue("user:y")
    assert _codec(NEW).verify(fresh).subject == "user:y"  # signed with the new key only
    with pytest.raises(Unauthenticated, match="unknown or retired key"):
        _codec(OLD).verify(fresh)


def test_a_retired_key_stops_verifying() -> None:
    before = _codec(OLD).issue("user:x")
    with pytest.raises(Unauthenticated, match="unknown or retired key"):
        _codec(NEW).verify(before)


def test_key_ids_name_keys_without_revealing_them() -> None:
    assert key_id(OLD) != key_id(NEW) and len(key_id(OLD)) == 16
    assert OLD not in _codec(OLD).issue("user:x")


# -- an external OpenID Connect issuer ---------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdP]:
    server = FakeIdP()
    yield server
    server.stop()


@pytest.fixture
async def issuer(idp: FakeIdP) -> AsyncIterator[OidcIssuer]:
    idp.fail, idp.keys = False, idp.keys[:1]
    async with httpx.AsyncClient() as http:
        yield OidcIssuer(idp.issuer, AUDIENCE, http=http, min_refetch_s=60, clock=Clock())


async def test_issuer_tokens_verify_with_keys_found_by_discovery_and_cached(
        idp: FakeIdP, issuer: OidcIssuer) -> None:
    for _ in range(5):
        claims = await issuer.verify(idp.token("Ana@Contoso.example"))
        assert claims["email"] == "Ana@Contoso.example"
    assert issuer.fetches == 1 and issuer.jwks_url == idp.jwks_url


async def test_bad_issuer_tokens_are_refused_with_reasons(idp: FakeIdP,
                                                          issuer: OidcIssuer) -> None:
    good = idp.token("a@x.example")
    head, body, sig = good.split(".")
    flipped = ("A" if sig[5] != "A" else "B")
    tampered_sig = ".".join([head, body, sig[:5] + flipped + sig[6:]])
    other = base64.urlsafe_b64encode(json.dumps(idp.claims("boss@x.example")).encode()
                                     ).rstrip(b"=").decode()
    alg_none = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + \
        f".{body}."
    stranger = SigningKey.generate()
    cases = {
        idp.token("a@x.example", aud="another-app"): "token is for another audience",
        idp.token("a@x.example", exp=int(time.time()) - 120): "token has expired",
        alg_none: "token algorithm 'none' is refused for this issuer (only RS256, ES256)",
        idp.hs256_with_public_key(): "token algorithm 'HS256' is refused for this issuer "
                                     "(only RS256, ES256)",
        f"{head}.{other}.{sig}": "token signature does not verify",
        tampered_sig: "token signature does not verify",
        idp.token("a@x.example", key=stranger):
            "token was signed with a key the issuer does not publish",
        idp.token("a@x.example", headers={"kid": stranger.kid}, key=SigningKey(
            stranger.kid, "RS256", idp.key.private_pem, {})):
            "token was signed with a key the issuer does not publish",
    }
    for token, reason in cases.items():
        with pytest.raises(Unauthenticated) as info:
            await issuer.verify(token)
        assert info.value.message == reason
    # Within the leeway (30 s) an expiry is forgiven: clocks drift.
    assert await issuer.verify(idp.token("a@x.example", exp=int(time.time()) - 5))


async def test_unknown_key_ids_refetch_at_most_once_per_interval(idp: FakeIdP,
                                                                 issuer: OidcIssuer) -> None:
    await issuer.verify(idp.token("a@x.example"))
    assert issuer.fetches == 1
    new = idp.rotate()
    flood = [idp.token("a@x.example", headers={"kid": uuid.uuid4().hex}) for _ in range(50)]
    results = await asyncio.gather(*(issuer.verify(t) for t in flood), return_exceptions=True)
    assert all(isinstance(r, Unauthenticated) for r in results)
    assert issuer.fetches == 1  # the last fetch was < 60 s ago: the issuer is left alone
    with pytest.raises(Unauthenticated, match="does not publish"):
        await issuer.verify(idp.token("a@x.example", key=new))
    clock = issuer.clock
    assert isinstance(clock, Clock)
    clock.now += 61
    # The rotated key is picked up by one refetch, however many ask at once.
    results = await asyncio.gather(*(issuer.verify(idp.token("a@x.example", key=new))
                                     for _ in range(20)))
    assert all(r["email"] == "a@x.example" for r in results) and issuer.fetches == 2
    assert await issuer.verify(idp.token("a@x.example", key=idp.keys[0]))  # old key still


async def test_an_unreachable_issuer_gives_503_and_cached_keys_outlive_it(
        idp: FakeIdP, issuer: OidcIssuer) -> None:
    idp.fail = True
    with pytest.raises(OidcUnavailable) as info:
        await issuer.verify(idp.token("a@x.example"))
    assert info.value.status == 503 and info.value.code == "oidc_unavailable"
    with pytest.raises(OidcUnavailable):  # no new attempt for a few seconds
        await issuer.verify(idp.token("a@x.example"))
    assert issuer.fetches == 1
    idp.fail = False
    clock = issuer.clock
    assert isinstance(clock, Clock)
    clock.now += OidcIssuer.failure_retry_s
    assert await issuer.verify(idp.token("a@x.example"))
    assert issuer.fetches == 2
    idp.fail = True
    clock.now += issuer.max_age_s + 1  # the keys are old, the issuer down: keep using them
    assert await issuer.verify(idp.token("a@x.example"))
    assert issuer.fetches == 3


async def test_es256_keys_verify(idp: FakeIdP) -> None:
    idp.fail = False
    async with httpx.AsyncClient() as http:
        issuer = OidcIssuer(idp.issuer, AUDIENCE, http=http, jwks_url=idp.jwks_url)
        ec_key = idp.rotate("ES256")
        assert (await issuer.verify(idp.token("e@x.example", key=ec_key)))["email"]
        # An RSA key named by a token that says ES256 is refused, not misused.
        with pytest.raises(Unauthenticated, match="does not match its key"):
            await issuer.verify(idp.token("e@x.example", key=SigningKey(
                idp.keys[0].kid, "ES256", ec_key.private_pem, {})))


async def test_the_verifier_maps_issuer_tokens_to_staff_accounts(idp: FakeIdP,
                                                                 issuer: OidcIssuer) -> None:
    accounts = {"ana@contoso.example": "user:1111"}

    async def resolve(email: str) -> str | None:
        return accounts.get(email)

    codec = _codec(NEW)
    verifier = TokenVerifier(codec, issuer, resolve)
    principal = await verifier.verify(idp.token("Ana@Contoso.example"))
    assert principal == Principal(subject="user:1111", email="ana@contoso.example")
    with pytest.raises(Unauthenticated, match="no active staff account") as info:
        await verifier.verify(idp.token("eve@contoso.example"))
    assert info.value.code == "no_staff_account"
    with pytest.raises(Unauthenticated, match="no 'email' claim"):
        await verifier.verify(idp.token(None))
    # OpenIRM's own tokens take the in-process path, as without an issuer.
    assert (await verifier.verify(codec.issue("user:2222"))).subject == "user:2222"
    assert (await TokenVerifier(codec).verify(codec.issue("user:3"))).subject == "user:3"
    with pytest.raises(Unauthenticated, match="only HS256"):  # another issuer: not trusted
        await verifier.verify(idp.token("ana@contoso.example", iss="https://evil.example"))


def test_settings_refuse_symmetric_algorithms_and_a_missing_audience(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENIRM_OIDC_ISSUER", "OPENIRM_OIDC_AUDIENCE", "OPENIRM_OIDC_ALGORITHMS"):
        monkeypatch.delenv(name, raising=False)  # set for the test stack's own issuer
    base = {"oidc_issuer": "https://login.example/t/v2.0", "oidc_audience": "app"}
    assert KitSettings(**base).oidc_algorithms == ["RS256", "ES256"]
    for bad in (["HS256"], ["none"], ["RS256", "HS512"], []):
        with pytest.raises(ValidationError, match="never HS"):
            KitSettings(**base, oidc_algorithms=bad)
    with pytest.raises(ValidationError, match="OIDC_AUDIENCE"):
        KitSettings(oidc_issuer="https://login.example/t/v2.0")
    with pytest.raises(ValidationError, match="https"):
        KitSettings(**{**base, "oidc_issuer": "http://login.example/t"}, env="production",
                    jwt_secret="a-production-secret-of-32-chars!", )
