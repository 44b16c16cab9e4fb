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
    """The one client of the process: pooled connections to every service."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout_s),
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


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
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
                   params: dict[str, Any] | None = None, forward_auth: bool = True) -> Any:
        """One REST call as the caller; the JSON answer, or None for 204. Path segments built
        from arguments go through `uuid_segment`/`text_segment` first. A 4xx or 5xx raises
        `ServiceError`; idempotent GETs are retried on transport errors and 502-504."""
        headers: dict[str, str] = {}
        if forward_auth and self.authorization:
            headers["Authorization"] = self.authorization
        if rid := request_id_var.get():
            headers["X-Request-ID"] = rid
        url = self.urls[service] + path
        params = _drop_none(params) if params else None
        attempts = RETRIES + 1 if method == "GET" else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = await self.http.request(method, url, json=json, params=params,
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

    # identity: accounts and tokens

    async def sign_in(self, email: str, password: str) -> dict[str, Any]:
        return await self.call("identity", "POST", "/auth/token",
                                json={"email": email, "password": password},
                                forward_auth=False)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self.call("identity", "POST", "/auth/refresh",
                                json={"refresh_token": refresh_token}, forward_auth=False)

    async def sign_out(self, refresh_token: str) -> None:
        await self.call("identity", "POST", "/auth/sign-out",
                         json={"refresh_token": refresh_token}, forward_auth=False)

    async def me(self) -> dict[str, Any]:
        return await self.call("identity", "GET", "/accounts/me")

    async def accounts_list(self) -> list[dict[str, Any]]:
        return await self.call("identity", "GET", "/accounts")

    async def account_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("identity", "POST", "/accounts", json=body)

    async def account_set_roles(self, account_id: str, roles: list[str]) -> dict[str, Any]:
        seg = uuid_segment(account_id, "accountId")
        return await self.call("identity", "PUT", f"/accounts/{seg}/roles",
                                json={"roles": roles})

    # identity: service clients

    async def clients_list(self) -> list[dict[str, Any]]:
        return await self.call("identity", "GET", "/clients")

    async def client_get(self, client_id: str) -> dict[str, Any]:
        seg = uuid_segment(client_id, "id")
        return await self.call("identity", "GET", f"/clients/{seg}")

    async def client_create(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("identity", "POST", "/clients", json=body)

    async def client_set_roles(self, client_id: str, roles: list[str]) -> dict[str, Any]:
        seg = uuid_segment(client_id, "clientId")
        return await self.call("identity", "PUT", f"/clients/{seg}/roles",
                                json={"roles": roles})

    async def client_rotate_secret(self, client_id: str) -> dict[str, Any]:
        seg = uuid_segment(client_id, "clientId")
        return await self.call("identity", "POST", f"/clients/{seg}/secret")

    async def client_revoke(self, client_id: str) -> dict[str, Any]:
        seg = uuid_segment(client_id, "clientId")
        return await self.call("identity", "DELETE", f"/clients/{seg}")

    # identity: people and reveal

    async def person_get(self, subject_id: str) -> dict[str, Any]:
        seg = uuid_segment(subject_id, "subjectId")
        return await self.call("identity", "GET", f"/people/{seg}")

    async def person_reveal(self, subject_id: str, case_id: str, justification: str
                            ) -> dict[str, Any]:
        seg = uuid_segment(subject_id, "subjectId")
        body = {"case_id": uuid_segment(case_id, "caseId"), "justification": justification}
        return await self.call("identity", "POST", f"/people/{seg}/reveal", json=body)

    async def reveal_requests(self, *, status: str | None, subject_id: str | None,
                              cursor: str | None, limit: int) -> dict[str, Any]:
        return await self.call("identity", "GET", "/reveal-requests", params={
            "status": status, "cursor": cursor, "limit": limit,
            "subject_id": uuid_segment(subject_id, "subjectId") if subject_id else None})

    async def reveal_decide(self, request_id: str, decision: str, reason: str | None
                            ) -> dict[str, Any]:
        seg = uuid_segment(request_id, "requestId")
        return await self.call("identity", "POST", f"/reveal-requests/{seg}/{decision}",
                                json=_drop_none({"reason": reason}))

    # identity: privacy and access scopes

    async def privacy_get(self) -> dict[str, Any]:
        return await self.call("identity", "GET", "/privacy")

    async def privacy_put(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("identity", "PUT", "/privacy", json=_drop_none(body))

    async def scope_get(self, account_id: str) -> dict[str, Any]:
        seg = uuid_segment(account_id, "accountId")
        return await self.call("identity", "GET", f"/accounts/{seg}/scope")

    async def scope_put(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        seg = uuid_segment(account_id, "accountId")
        return await self.call("identity", "PUT", f"/accounts/{seg}/scope", json=body)

    async def people_import(self, rows: list[dict[str, Any]], *, dry_run: bool,
                            on_error: str) -> dict[str, Any]:
        return await self.call("identity", "POST", "/people/import", json=rows,
                                params={"dry_run": str(dry_run).lower(),
                                        "on_error": on_error})

    async def person_erase(self, subject_id: str, reason: str) -> dict[str, Any]:
        seg = uuid_segment(subject_id, "subjectId")
        return await self.call("identity", "DELETE", f"/people/{seg}",
                                json={"reason": reason})

    async def people_rekey(self) -> dict[str, Any]:
        return await self.call("identity", "POST", "/people/rekey")

    async def people_rekey_status(self) -> dict[str, Any]:
        return await self.call("identity", "GET", "/people/rekey")

    # identity: audit log

    async def audit_query(self, *, actor: str | None = None, action: str | None = None,
                          target: str | None = None, outcome: str | None = None,
                          since: str | None = None, until: str | None = None,
                          cursor: str | None = None, limit: int | None = None
                          ) -> dict[str, Any]:
        return await self.call("identity", "GET", "/audit", params={
            "actor": actor, "action": action, "target": target, "outcome": outcome,
            "since": since, "until": until, "cursor": cursor, "limit": limit})

    async def audit_verify(self, *, since_seq: int | None = None,
                           expected_hash: str | None = None) -> dict[str, Any]:
        return await self.call("identity", "GET", "/audit/verify", params={
            "since_seq": since_seq, "expected_hash": expected_hash})

    # scoring: policies (the policy loader)

    async def policy_get(self, policy_id: str) -> dict[str, Any]:
        seg = uuid_segment(policy_id, "id")
        return await self.call("scoring", "GET", f"/policies/{seg}")

    # cases: alerts

    async def alerts_list(self, *, status: str | None = None, severity: str | None = None,
                          cursor: str | None = None, limit: int | None = None
                          ) -> dict[str, Any]:
        return await self.call("cases", "GET", "/alerts", params={
            "status": status, "severity": severity, "cursor": cursor, "limit": limit})

    async def alert_get(self, alert_id: str) -> dict[str, Any]:
        seg = uuid_segment(alert_id, "id")
        return await self.call("cases", "GET", f"/alerts/{seg}")

    async def alert_confirm(self, alert_id: str, *, case_id: str | None = None,
                            title: str | None = None) -> dict[str, Any]:
        seg = uuid_segment(alert_id, "alertId")
        body = _drop_none({"case_id": uuid_segment(case_id, "caseId") if case_id else None,
                           "title": title})
        return await self.call("cases", "POST", f"/alerts/{seg}/confirm", json=body)

    async def alert_dismiss(self, alert_id: str, *, reason: str, comment: str | None = None
                            ) -> dict[str, Any]:
        seg = uuid_segment(alert_id, "alertId")
        body = _drop_none({"reason": reason, "comment": comment})
        return await self.call("cases", "POST", f"/alerts/{seg}/dismiss", json=body)

    # cases: cases and notes

    async def cases_list(self, *, status: str | None = None, cursor: str | None = None,
                         limit: int | None = None) -> dict[str, Any]:
        return await self.call("cases", "GET", "/cases", params={
            "status": status, "cursor": cursor, "limit": limit})

    async def case_get(self, case_id: str) -> dict[str, Any]:
        seg = uuid_segment(case_id, "id")
        return await self.call("cases", "GET", f"/cases/{seg}")

    async def case_notes(self, case_id: str) -> list[dict[str, Any]]:
        seg = uuid_segment(case_id, "caseId")
        return await self.call("cases", "GET", f"/cases/{seg}/notes")

    async def case_add_note(self, case_id: str, body: str) -> dict[str, Any]:
        seg = uuid_segment(case_id, "caseId")
        return await self.call("cases", "POST", f"/cases/{seg}/notes", json={"body": body})

    async def case_close(self, case_id: str, *, classification: str, resolution: str
                         ) -> dict[str, Any]:
        seg = uuid_segment(case_id, "caseId")
        return await self.call("cases", "POST", f"/cases/{seg}/close",
                                json={"classification": classification,
                                      "resolution": resolution})
