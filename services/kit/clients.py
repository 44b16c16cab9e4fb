"""Base for the small typed clients a service uses to call another service."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_core import from_json

from services.kit.context import request_id_var
from services.kit.errors import OpenIRMError, UpstreamUnavailable

log = logging.getLogger("openirm.clients")


class ServiceTokens:
    """The token this service presents when it calls another one as itself, obtained from
    identity with the service's own client credentials (OAuth 2.0 client credentials grant,
    `POST /auth/client-token`), cached and renewed shortly before it expires, one fetch at a
    time however many calls are waiting. While identity is not reachable yet (the services
    start together) it keeps asking for `wait_s`. Its roles are the client's, read from the
    rules at each call: revoking the client cuts this service off at once."""

    def __init__(self, http: httpx.AsyncClient, identity_url: str, client_id: str | None,
                 client_secret: SecretStr | None, *, wait_s: float = 20.0) -> None:
        self.http, self.url = http, identity_url.rstrip("/") + "/auth/client-token"
        self.client_id, self.client_secret, self.wait_s = client_id, client_secret, wait_s
        self._token, self._renew_at = "", 0.0
        self._lock = asyncio.Lock()
        self._failed_at, self._failure = 0.0, UpstreamUnavailable("")

    def _fresh(self) -> bool:
        return bool(self._token) and time.monotonic() < self._renew_at

    async def get(self) -> str:
        if not self._fresh():
            asked = time.monotonic()
            async with self._lock:
                if not self._fresh():
                    if self._failed_at > asked:  # it failed while this call waited: no retry
                        raise UpstreamUnavailable(self._failure.message,
                                                  code=self._failure.code)
                    try:
                        token, ttl = await self._fetch()
                    except UpstreamUnavailable as exc:
                        self._failed_at, self._failure = time.monotonic(), exc
                        raise
                    # Renewed a minute (or a fifth of its life) before it expires.
                    self._token = token
                    self._renew_at = time.monotonic() + ttl - min(60.0, ttl / 5)
        return self._token

    def invalidate(self, token: str) -> None:
        """Forget a token a service refused (e.g. signed with a key since retired)."""
        if token == self._token:
            self._token, self._renew_at = "", 0.0

    async def _fetch(self) -> tuple[str, float]:
        if not self.client_id or self.client_secret is None:
            raise UpstreamUnavailable(
                "this service has no client credentials: set OPENIRM_CLIENT_ID and "
                "OPENIRM_CLIENT_SECRET (`openirm up` provisions them)",
                code="service_credentials_missing")
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret.get_secret_value()}
        headers = {"X-Request-ID": rid} if (rid := request_id_var.get()) else {}
        deadline, delay = time.monotonic() + self.wait_s, 0.1
        while True:
            try:
                resp = await self.http.post(self.url, data=form, headers=headers)
            except httpx.TransportError as exc:
                failure = f"unreachable ({type(exc).__name__})"
            else:
                if resp.status_code == 200:
                    body = from_json(resp.content)
                    return body["access_token"], float(body["expires_in"])
                if resp.status_code < 500:  # refused, locked or malformed: waiting won't help
                    try:
                        detail = resp.json().get("detail", resp.text)
                    except ValueError:
                        detail = resp.text
                    log.error("identity refused this service's client credentials (%s): %s",
                              resp.status_code, detail)
                    raise UpstreamUnavailable(
                        f"identity refused this service's client credentials: {detail}",
                        code="service_credentials_refused")
                failure = f"answered {resp.status_code}"
            if time.monotonic() + delay > deadline:
                log.warning("no token for this service: identity %s", failure)
                raise UpstreamUnavailable("the identity service is unavailable")
            log.info("waiting for identity to issue this service's token: %s", failure)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


class ServiceClient:
    """Transient failures (connection errors, 502-504) are retried; request errors raise the
    callee's own problem (status and code), so an upstream 404 stays a 404."""

    retries = 2

    def __init__(self, name: str, http: httpx.AsyncClient, base_url: str,
                 service_tokens: ServiceTokens) -> None:
        self.name, self.http, self.service_tokens = name, http, service_tokens
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, path: str, *, token: str | None = None,
                      json: Any = None, params: dict[str, Any] | None = None) -> Any:
        own = token is None
        sent = token or await self.service_tokens.get()
        resp = await self._send(method, path, sent, json, params)
        if own and resp.status_code == 401:
            # Our cached token was refused (expired early, a retired key): a new one, once.
            self.service_tokens.invalidate(sent)
            resp = await self._send(method, path, await self.service_tokens.get(), json,
                                    params)
        if resp.status_code >= 500:
            log.warning("%s %s%s answered %s", method, self.base_url, path, resp.status_code)
            raise UpstreamUnavailable(f"the {self.name} service is unavailable")
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = {}
            raise OpenIRMError(body.get("detail") or resp.text, status=resp.status_code,
                               code=body.get("code", "upstream_error"))
        if resp.status_code == 204 or not resp.content:
            return None
        return from_json(resp.content)  # several times faster than json on large pages

    async def _send(self, method: str, path: str, token: str, json: Any,
                    params: dict[str, Any] | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if rid := request_id_var.get():
            headers["X-Request-ID"] = rid
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            try:
                resp = await self.http.request(method, url, json=json, params=params,
                                               headers=headers)
            except httpx.TransportError as exc:
                if attempt < self.retries and method == "GET":
                    await asyncio.sleep(0.1 * (attempt + 1))
                    continue
                log.warning("%s%s unreachable: %s", self.base_url, path, exc)
                raise UpstreamUnavailable(f"the {self.name} service is unavailable") from exc
            if resp.status_code in (502, 503, 504) and attempt < self.retries and method == "GET":
                await asyncio.sleep(0.1 * (attempt + 1))
                continue
            break
        return resp

