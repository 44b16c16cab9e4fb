"""Base for the small typed clients a service uses to call another service."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from pydantic_core import from_json

from services.kit.context import request_id_var
from services.kit.errors import OpenIRMError, UpstreamUnavailable
from services.kit.tokens import TokenCodec

log = logging.getLogger("openirm.clients")


class ServiceTokens:
    """Short-lived tokens this service presents when it calls another one as itself."""

    def __init__(self, codec: TokenCodec, service: str) -> None:
        self.codec, self.subject = codec, f"service:{service}"
        self._token, self._expires = "", 0.0

    def get(self) -> str:
        if time.time() > self._expires - 60:
            self._token = self.codec.issue(self.subject, ttl_s=600)
            self._expires = time.time() + 600
        return self._token


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
        headers = {"Authorization": f"Bearer {token or self.service_tokens.get()}"}
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
