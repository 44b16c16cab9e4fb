"""Schemathesis fuzzes every service against its own committed OpenAPI document: whatever it
sends, no request may produce a server error."""

from __future__ import annotations

import json

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from openirm.contracts import CONTRACTS
from tests.conftest import Api

# The role that may call most of each service's endpoints, so fuzzing reaches the handlers.
CALLER = {"identity": "Admin", "ingest": "Admin", "scoring": "Admin", "cases": "Analyst"}
# Endpoints that role may not call, and who may (so that they are fuzzed too).
CALLER_BY_PATH = {"/activity": "Investigator", "/cases/{case_id}/content": "Investigator",
                  "/triage-settings": "Admin"}


def _schema(service: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_dict(
        json.loads((CONTRACTS / f"openapi/{service}.json").read_text()))


SHARED = {
    ("scoring", "PUT", "/settings"): lambda got: got["settings"],
    ("cases", "PUT", "/triage-settings"): lambda got: {"sla_hours": got["sla_hours"]},
    ("identity", "PUT", "/privacy"): lambda got: {
        k: got[k] for k in ("pseudonymise", "two_person_reveal", "reveal_ttl_s")},
}


def _run(api: Api, service: str, case) -> None:
    role = next((r for prefix, r in CALLER_BY_PATH.items() if case.path.startswith(prefix)),
                CALLER[service])
    token = api.admin_token() if role == "Admin" else api.token(role)
    # Settings shared by every test on this stack (scoring's global settings, identity's
    # privacy setting): put back what was there.
    shared = SHARED.get((service, case.method, case.path))
    url = api.url(service) + case.path
    before = shared(httpx.get(url, headers=api.auth(token)).json()) if shared else None
    try:
        case.call_and_validate(base_url=api.url(service), headers=api.auth(token),
                               checks=[not_a_server_error])
    finally:
        if before is not None:
            httpx.put(url, headers=api.auth(token), json=before).raise_for_status()


FUZZ = settings(max_examples=12, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@_schema("identity").parametrize()
@FUZZ
def test_identity_has_no_server_errors(api: Api, case) -> None:
    _run(api, "identity", case)


@_schema("ingest").parametrize()
@FUZZ
def test_ingest_has_no_server_errors(api: Api, case) -> None:
    _run(api, "ingest", case)


@_schema("scoring").parametrize()
@FUZZ
def test_scoring_has_no_server_errors(api: Api, case) -> None:
    _run(api, "scoring", case)


@_schema("cases").parametrize()
@FUZZ
def test_cases_has_no_server_errors(api: Api, case) -> None:
    _run(api, "cases", case)
