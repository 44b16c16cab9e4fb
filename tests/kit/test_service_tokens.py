"""How a service obtains the token it calls other services with: client credentials at the
real identity service, cached, renewed before expiry, fetched again once when refused, and
waited for while identity is not up yet."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from jose import jwt
from pydantic import SecretStr

from services.kit.clients import ServiceClient, ServiceTokens
from services.kit.errors import UpstreamUnavailable
from tests.conftest import Api


def _tokens(api: Api, http: httpx.AsyncClient, service: str = "scoring", *,
            secret: str | None = None, wait_s: float = 20.0) -> ServiceTokens:
    client = api.stack.clients[service]
    return ServiceTokens(http, api.identity, client.client_id,
                         SecretStr(secret or client.client_secret), wait_s=wait_s)


async def _issued(api: Api, http: httpx.AsyncClient, service: str) -> int:
    resp = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                          params={"action": "auth.client_token", "actor":
                                  f"client:{api.stack.clients[service].client_id}",
                                  "limit": 500})
    return len(resp.json()["items"])


async def test_a_token_is_cached_and_renewed_before_it_expires(api: Api,
                                                              http: httpx.AsyncClient) -> None:
    tokens = _tokens(api, http)
    before = await _issued(api, http, "scoring")
    first, *rest = await asyncio.gather(*(tokens.get() for _ in range(10)))
    assert set(rest) == {first}  # ten callers at once: one request to identity
    assert jwt.get_unverified_claims(first)["sub"] == \
        f"client:{api.stack.clients['scoring'].client_id}"
    assert await _issued(api, http, "scoring") == before + 1
    # Near its expiry (inside the renewal margin) it is replaced.
    tokens._renew_at = time.monotonic() - 1
    renewed = await tokens.get()
    assert renewed != first and await _issued(api, http, "scoring") == before + 2


async def test_a_refused_token_is_replaced_once(api: Api, http: httpx.AsyncClient) -> None:
    tokens = _tokens(api, http)
    tokens._token, tokens._renew_at = "not-a-token", time.monotonic() + 600
    identity = ServiceClient("identity", http, api.identity, tokens)
    rows = await identity.request("GET", "/roles/assignments")
    assert {"subject": f"client:{api.stack.clients['scoring'].client_id}",
            "role": "service"} in rows
    assert tokens._token != "not-a-token"


async def test_bad_or_missing_credentials_say_so(api: Api, http: httpx.AsyncClient) -> None:
    created = await http.post(f"{api.identity}/clients", headers=api.auth(api.admin_token()),
                              json={"name": f"kit-{time.time_ns()}", "roles": ["Integrator"]})
    wrong = ServiceTokens(http, api.identity, created.json()["id"], SecretStr("oirm_wrong"),
                          wait_s=1)
    with pytest.raises(UpstreamUnavailable) as refused:
        await wrong.get()
    assert refused.value.code == "service_credentials_refused"
    assert "client_id or client_secret is wrong" in refused.value.message
    missing = ServiceTokens(http, api.identity, None, None)
    with pytest.raises(UpstreamUnavailable) as unset:
        await missing.get()
    assert unset.value.code == "service_credentials_missing"
    nowhere = ServiceTokens(http, "http://127.0.0.1:9", "x", SecretStr("y"), wait_s=0.5)
    t0 = time.monotonic()
    with pytest.raises(UpstreamUnavailable, match="identity service is unavailable"):
        await nowhere.get()
    assert 0.3 < time.monotonic() - t0 < 5
    # Calls that queued behind a failed wait fail with it, not one wait after another.
    t0 = time.monotonic()
    waited = await asyncio.gather(*(nowhere.get() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(e, UpstreamUnavailable) for e in waited)
    assert time.monotonic() - t0 < 2.0  # five waits in a row would take 2.5 s


async def test_a_service_waits_for_identity_to_come_up(api: Api, http: httpx.AsyncClient
                                                       ) -> None:
    tokens = _tokens(api, http, "cases", wait_s=120)  # a restart is slow on a busy machine
    api.stack.kill("identity")
    try:
        waiting = asyncio.create_task(tokens.get())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # identity is down: still trying
        api.stack.respawn("identity")
        token = await asyncio.wait_for(waiting, 150)
    finally:
        if "identity" not in api.stack.children or \
                api.stack.children["identity"].process.poll() is not None:
            api.stack.respawn("identity")
        await asyncio.to_thread(api.stack.wait_ready, 150)
    assert jwt.get_unverified_claims(token)["sub"] == \
        f"client:{api.stack.clients['cases'].client_id}"
