"""One permission table, walked over every endpoint of every service with every role and with
no token: Casbin in each service must agree with it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.conftest import ROLES, Api

SERVICES = ("identity", "ingest", "scoring", "cases")
PUBLIC = {"health:alive", "health:ready", "auth:token", "auth:refresh", "auth:sign_out",
          "auth:client_token", "exports:signing_key"}
REVIEWERS = {"Analyst", "Investigator"}
READERS = {"Admin", "Analyst", "Investigator"}
CASE_READERS = {*REVIEWERS, "CaseViewer", "service"}  # identity checks a case to reveal
# Roles beyond the four: the combined group may do what any of them may; the case viewer only
# what the table names.
EXTRA_ROLES = ("InsiderRiskManagement", "CaseViewer")

# operation id -> roles allowed ("service" marks service-only endpoints)
ALLOWED: dict[str, set[str]] = {
    "accounts:me": {*ROLES, "CaseViewer", "service"},  # a service gets 404: no account
    "accounts:create": {"Admin"},
    "accounts:list": {"Admin"},
    "accounts:get": {"Admin"},
    "accounts:set_roles": {"Admin"},
    "roles:assignments": {"Admin", "service"},
    "accounts:get_scope": {"Admin"},
    "accounts:set_scope": {"Admin"},
    "access:resolve": {"service"},
    "privacy:get": READERS,
    "privacy:update": {"Admin"},
    "reveals:list": {"Admin", "Investigator"},
    "reveals:get": {"Admin", "Investigator"},
    "reveals:approve": {"Admin", "Investigator"},
    "reveals:refuse": {"Admin", "Investigator"},
    "roles:accounts": {"Admin", "service"},
    "clients:create": {"Admin"},
    "clients:list": {"Admin"},
    "clients:get": {"Admin"},
    "clients:set_roles": {"Admin"},
    "clients:rotate_secret": {"Admin"},
    "clients:revoke": {"Admin"},
    "people:upsert": {"Admin"},
    "people:import": {"Admin"},
    "people:changes": {"service"},
    "people:rekey": {"Admin"},
    "people:rekey_status": {"Admin"},
    "people:erase": {"Admin"},
    "people:resolve": {"service"},
    "people:get": READERS,
    "people:get_batch": READERS,
    "people:reveal": {"Investigator"},
    "people:notice_address": {"service"},
    "audit:query": {"Auditor", "service"},  # cases reads a case's trail for its exports
    "audit:verify": {"Auditor", "service"},
    "audit:export": {"Auditor"},
    "events:ingest": {"Admin", "service"},
    "events:feed": {"service"},
    "events:types": {"Admin", "service"},
    "connectors:m365": {"Admin", "service"},
    "connectors:hr": {"Admin", "service"},
    "connectors:badging": {"Admin", "service"},
    "connectors:runs": {"Admin"},
    "connectors:run": {"Admin"},
    "activity:list": {*REVIEWERS, "service"},
    "activity:summary": {*REVIEWERS, "service"},
    "activity:get": {*REVIEWERS, "service"},
    "storage:partitions": {"Admin"},
    "storage:retention": {"Admin"},
    "templates:list": READERS,
    "indicators:list": {"Admin", "service"},
    "indicators:update": {"Admin"},
    "policies:create": {"Admin"},
    "policies:list": READERS,
    "policies:get": READERS,
    "policies:get_batch": READERS,
    "policies:update": {"Admin"},
    "policies:delete": {"Admin"},
    "policies:activate": {"Admin"},
    "policies:deactivate": {"Admin"},
    "policies:health": READERS,
    "policies:add_member": {"Admin", "service"},
    "policies:list_members": READERS,
    "policies:remove_member": {"Admin"},
    "settings:get": {"Admin"},
    "settings:put": {"Admin"},
    "settings:versions": {"Admin"},
    "settings:version": {"Admin"},
    "sequences:list": {"Admin", "service"},
    "priority_groups:list": {"Admin"},
    "priority_groups:create": {"Admin"},
    "priority_groups:get": {"Admin"},
    "priority_groups:update": {"Admin"},
    "priority_groups:delete": {"Admin"},
    "subjects:get": {*REVIEWERS, "service"},
    "subjects:attributes": {"Admin", "service"},
    "subjects:violation": {"service"},
    "subjects:scores": {*REVIEWERS, "service"},
    "replays:list": {"Admin"},
    "replays:create": {"Admin"},
    "replays:get": {"Admin"},
    "replays:cancel": {"Admin"},
    "analytics:overview": READERS,
    "alert_candidates:feed": {"service"},
    "suppressions:create": REVIEWERS,
    "suppressions:list": READERS,
    "suppressions:get": READERS,
    "suppressions:end": REVIEWERS,
    "suppressions:review": REVIEWERS,
    "benign:mark": {"Investigator"},
    "benign:list": {"Investigator"},
    "benign:unmark": {"Investigator"},
    "exclusions:list": {*REVIEWERS, "service"},
    "alerts:list": REVIEWERS,
    "alerts:feed": REVIEWERS,
    "alerts:get": REVIEWERS,
    "alerts:confirm": REVIEWERS,
    "alerts:dismiss": REVIEWERS,
    "alerts:dismiss_many": REVIEWERS,
    "alerts:counts": REVIEWERS,
    "alerts:open_over_time": REVIEWERS,
    "alerts:history": REVIEWERS,
    "alerts:related": REVIEWERS,
    "alerts:review": REVIEWERS,
    "triage_settings:get": READERS,
    "triage_settings:put": {"Admin"},
    "dashboards:triage": READERS,
    "cases:list": CASE_READERS,
    "cases:get": CASE_READERS,
    "cases:get_batch": CASE_READERS,
    "cases:notes": CASE_READERS,
    "cases:alerts": CASE_READERS,
    "cases:add_note": REVIEWERS,
    "cases:close": REVIEWERS,
    "notice_templates:list": REVIEWERS,
    "notice_templates:create": REVIEWERS,
    "notice_templates:get": REVIEWERS,
    "notice_templates:update": REVIEWERS,
    "notice_templates:delete": REVIEWERS,
    "notices:send": REVIEWERS,
    "notices:of_case": REVIEWERS,
    "notices:list": REVIEWERS,
    "exports:create": REVIEWERS,
    "exports:list": REVIEWERS,
    "exports:get": REVIEWERS,
    "exports:download": REVIEWERS,
    "cases:stats": REVIEWERS,
    "cases:open_over_time": REVIEWERS,
    # Evidence is content: never for a case viewer.
    "evidence:add": REVIEWERS,
    "evidence:list": REVIEWERS,
    "evidence:get": REVIEWERS,
    "evidence:download": REVIEWERS,
    "viewers:add": REVIEWERS,
    "viewers:list": REVIEWERS,
    "viewers:revoke": REVIEWERS,
    "people_activity:list": {*REVIEWERS, "service"},
    "people_activity:chart": {*REVIEWERS, "service"},
    "people_activity:get": {*REVIEWERS, "service"},
    "people_alerts:list": REVIEWERS,
    "cases:activity": {*REVIEWERS, "service"},
    "cases:content": {"Investigator"},
    "activity_reports:create": {"Investigator"},
    "activity_reports:list": {"Investigator"},
    "activity_reports:get": {"Investigator"},
    "activity_reports:activities": {"Investigator"},
    "activity_reports:share": {"Investigator"},
    "activity_reports:unshare": {"Investigator"},
    "activity_reports:add_to_policy": {"Investigator"},
    "activity_reports:benign": {"Investigator"},
    "risk_levels:list": {*READERS, "service"},
    "risk_levels:get": {*READERS, "service"},
    "risk_levels:feed": {*READERS, "service"},
    "risk_levels:get_settings": {"Admin"},
    "risk_levels:put_settings": {"Admin"},
    "webhooks:create": {"Admin"},
    "webhooks:list": {"Admin"},
    "webhooks:get": {"Admin"},
    "webhooks:update": {"Admin"},
    "webhooks:delete": {"Admin"},
    "webhooks:rotate_secret": {"Admin"},
    "webhooks:enable": {"Admin"},
    "webhooks:deliveries": {"Admin"},
    "webhooks:replay": {"Admin"},
}


def _operations() -> list[tuple[str, str, str, str]]:
    ops = []
    for service in SERVICES:
        module = __import__(f"services.{service}.app", fromlist=["create"])
        for path, methods in module.create().openapi()["paths"].items():
            for method, op in methods.items():
                ops.append((service, method.upper(), path, op["operationId"]))
    return ops


OPERATIONS = _operations()


def test_the_table_covers_every_endpoint() -> None:
    ids = {op for *_, op in OPERATIONS} - PUBLIC
    assert ids == set(ALLOWED), "update ALLOWED for new or removed endpoints"


def _url(api: Api, service: str, path: str) -> str:
    return api.url(service) + re.sub(r"\{[^}]+\}", lambda m: (
        "usb_copy" if m.group(0) == "{key}" else str(uuid.uuid4())), path)


@pytest.mark.parametrize(("service", "method", "path", "op"),
                         [o for o in OPERATIONS if o[3] not in PUBLIC],
                         ids=[o[3] for o in OPERATIONS if o[3] not in PUBLIC])
async def test_every_endpoint_checks_every_role(api: Api, http: httpx.AsyncClient, service: str,
                                                method: str, path: str, op: str) -> None:
    url = _url(api, service, path)
    body = {"json": {"_probe": True}} if method in ("POST", "PUT", "PATCH") else {}
    anonymous = await http.request(method, url, **body)
    assert anonymous.status_code == 401, f"{op} without a token"
    callers = {role: (api.admin_token() if role == "Admin" else api.token(role))
               for role in ROLES}
    callers |= {role: api.token(role) for role in EXTRA_ROLES}
    callers["service"] = api.service_token()
    for role, token in callers.items():
        resp = await http.request(method, url, headers=api.auth(token), **body)
        allowed = ALLOWED[op] & set(ROLES) if role == "InsiderRiskManagement" else None
        if allowed or role in ALLOWED[op]:
            assert resp.status_code != 403, f"{op} should allow {role}: {resp.text}"
            assert resp.status_code < 500, f"{op} as {role}: {resp.text}"
        else:
            assert resp.status_code == 403, f"{op} should refuse {role}: {resp.status_code}"
            assert resp.json()["code"] == "forbidden"
