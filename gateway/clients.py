"""Calls to the services' REST APIs on behalf of the caller.

One process-wide `httpx.AsyncClient` (made in the app lifespan) carries every call; a small
`Services` object per GraphQL request forwards the caller's `Authorization` header and the
request id, so each service decides access itself. A problem+json answer becomes a
`ServiceError` with the service's status, code and detail; a transport failure becomes a 503
`upstream_unavailable` one."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any
from urllib.parse import quote

import httpx

from gateway.errors import ServiceError, bad_input
from gateway.settings import GatewaySettings
from services.kit.context import request_id_var

log = logging.getLogger("openirm.gateway.clients")

SERVICE_NAMES = ("identity", "ingest", "scoring", "cases")
RETRIES = 2  # idempotent GETs only, on transport errors and 502-504


def create_http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    """The one client of the process: pooled connections to every service (up to 200, 50
    kept alive between requests); a short connect timeout, so an unreachable service fails
    its fields within a few seconds, retries included."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_s,
                              connect=min(settings.connect_timeout_s, settings.http_timeout_s)),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "openirm-gateway/0.1", "Accept": "application/json"},
        follow_redirects=False,
    )


def service_urls(settings: GatewaySettings) -> dict[str, str]:
    return {"identity": settings.identity_url.rstrip("/"),
            "ingest": settings.ingest_url.rstrip("/"),
            "scoring": settings.scoring_url.rstrip("/"),
            "cases": settings.cases_url.rstrip("/")}


def uuid_segment(value: str, field: str) -> str:
    """An id for a URL path, refused early (BAD_USER_INPUT) when it is not a UUID."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise bad_input(f"{field} is not a valid id", field) from None


def text_segment(value: str, field: str) -> str:
    """A free-text key for a URL path, quoted so it cannot reach another route."""
    if value in ("", ".", ".."):
        raise bad_input(f"{field} is not valid", field)
    return quote(value, safe="")


def _ids(values: list[str], field: str) -> list[str]:
    """Ids for a batch read's `ids` parameter, refused early when one is not a UUID."""
    return [uuid_segment(v, field) for v in values]


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """A request body or query without the fields the caller left out."""
    return {k: v for k, v in values.items() if v is not None}


def _service_error(service: str, resp: httpx.Response) -> ServiceError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail") or resp.reason_phrase or f"HTTP {resp.status_code}"
    code = body.get("code") or "upstream_error"
    params = body.get("invalid_params")
    return ServiceError(resp.status_code, str(code), str(detail), service=service,
                        invalid_params=params if isinstance(params, list) else None, body=body)


async def check_health(http: httpx.AsyncClient, settings: GatewaySettings) -> dict[str, str]:
    """Each service's /healthz, concurrently: "ok" or a short reason."""

    async def one(base: str) -> str:
        try:
            resp = await http.get(f"{base}/healthz", timeout=settings.readiness_timeout_s)
        except httpx.HTTPError as exc:
            return f"error: {type(exc).__name__}"
        return "ok" if resp.status_code == 200 else f"error: HTTP {resp.status_code}"

    urls = service_urls(settings)
    results = await asyncio.gather(*(one(urls[name]) for name in SERVICE_NAMES))
    return dict(zip(SERVICE_NAMES, results, strict=True))


class Services:
    """The REST calls the schema makes, as the caller. One instance per GraphQL request."""

    def __init__(self, http: httpx.AsyncClient, settings: GatewaySettings,
                 authorization: str | None) -> None:
        self.http = http
        self.urls = service_urls(settings)
        self.authorization = authorization

    async def call(self, service: str, method: str, path: str, *, json: Any = None,
                   params: dict[str, Any] | None = None, forward_auth: bool = True,
                   files: dict[str, Any] | None = None, data: dict[str, str] | None = None,
                   content: Any = None, content_type: str | None = None) -> Any:
        """One REST call as the caller; the JSON answer, or None for 204. The body is `json`,
        a multipart form (`files` and `data`) or raw `content` (bytes, or an async iterator
        of them to stream) of `content_type`. Path
        segments built from arguments go through `uuid_segment`/`text_segment` first. A 4xx
        or 5xx raises `ServiceError`; idempotent GETs are retried on transport errors and
        502-504."""
        headers: dict[str, str] = {}
        if content_type:
            headers["Content-Type"] = content_type
        if forward_auth and self.authorization:
            headers["Authorization"] = self.authorization
        if rid := request_id_var.get():
            headers["X-Request-ID"] = rid
        url = self.urls[service] + path
        params = drop_none(params) if params else None
        attempts = RETRIES + 1 if method == "GET" else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = await self.http.request(method, url, json=json, params=params,
                                               files=files, data=data, content=content,
                                               headers=headers)
            except httpx.TransportError as exc:
                if not last:
                    await asyncio.sleep(0.1 * (attempt + 1))
                    continue
                log.warning("%s %s%s failed: %r", method, service, path, exc)
                raise ServiceError(503, "upstream_unavailable",
                                   f"the {service} service is unreachable",
                                   service=service) from exc
            if resp.status_code in (502, 503, 504) and not last:
                await asyncio.sleep(0.1 * (attempt + 1))
                continue
            break
        if resp.status_code >= 400:
            raise _service_error(service, resp)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ServiceError(502, "upstream_invalid_response",
                               f"the {service} service answered with invalid JSON",
                               service=service) from exc

    # identity: people (the person loader)

    async def people_batch(self, subject_ids: list[str]) -> dict[str, Any]:
        """Up to `MAX_BATCH_IDS` people: `{"items": [...], "missing": [...]}`."""
        return await self.call("identity", "GET", "/people/batch",
                                params={"ids": _ids(subject_ids, "subjectId")})

    # scoring: policies (the policy loader)

    async def policies_batch(self, policy_ids: list[str]) -> dict[str, Any]:
        """Up to `MAX_BATCH_IDS` policies: `{"items": [...], "missing": [...]}`."""
        return await self.call("scoring", "GET", "/policies/batch",
                                params={"ids": _ids(policy_ids, "id")})

    # cases: cases (the case loader)

    async def cases_batch(self, case_ids: list[str]) -> dict[str, Any]:
        """Up to `MAX_BATCH_IDS` cases the caller may see: `{"items": [...], "missing": [...]}`."""
        return await self.call("cases", "GET", "/cases/batch",
                                params={"ids": _ids(case_ids, "id")})
