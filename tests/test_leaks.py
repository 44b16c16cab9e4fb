"""With the privacy setting on, nothing an Analyst can call — any REST endpoint of any
service, any GraphQL field — answers with a real name, email or UPN of the monitored people,
even when an Investigator holds a reveal grant for them."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

from gateway.schema import schema
from tests.conftest import Api
from tests.factories import (
    add_to_scope,
    create_policy,
    departing_story,
    ingest,
    person_email,
    subject_of,
    sweep_suppressions,
    wait_for_alert,
)
from tests.test_access import ALLOWED, OPERATIONS

FIRST_NAMES = ("Oluwaseun", "Marguerite", "Bartholomew", "Ignatius")
POST_BODIES = {
    "alerts:confirm": {},
    "alerts:dismiss": {"reason": "false_positive", "comment": "checked"},
    "alerts:dismiss_many": {"alert_ids": ["00000000-0000-4000-8000-000000000000"],
                            "reason": "other"},
    "alerts:review": {"comment": "please look"},  # the reviewer is the seeded one
    "cases:add_note": {"body": "looked at the timeline"},
    "cases:close": {"classification": "benign", "resolution": "explained by HR"},
    "suppressions:create": {"activity_types": ["device.file_copied_to_usb"],
                            "reason": "approved migration"},  # + subject_id, until
    "suppressions:end": {"comment": "no longer needed"},
    "suppressions:review": {"decision": "end", "comment": "reviewed"},
    "notice_templates:create": {"name": "Leak check", "send_from": "irm@contoso.example",
                                "subject": "Case {{case_id}}",
                                "body_html": "<p>{{alias}}: {{case_title}}</p>"},
    "notice_templates:update": {"subject": "About case {{case_id}}"},
    "notice_templates:delete": {},
    "notices:send": {"message": "a reminder"},  # template_id: the seeded template's
    "exports:create": {},
    # Multipart: this is the form's text field; the file is attached by _rest_calls.
    "evidence:add": {"description": "export of the manager's notes"},
    "viewers:add": {"account_id": "(a fresh CaseViewer account)", "reason": "HR contact"},
}
EVIDENCE_FILE = ("notes.txt", b"timeline reviewed with HR\n", "text/plain")
MAX_DEPTH = 5


def _assert_clean(text: str, secrets: list[str], where: str) -> None:
    lowered = text.lower()
    for secret in secrets:
        assert secret.lower() not in lowered, f"{where} leaks {secret!r}: {text[:400]}"


async def _seed(api: Api, http: httpx.AsyncClient) -> tuple[dict[str, str], list[str]]:
    """Two people in the directory with full identities; alerts, a case with a note, and an
    Investigator's reveal grant for one of them. Returns ids and the secrets to look for."""
    admin = api.auth(api.admin_token())
    assert (await http.get(f"{api.identity}/privacy", headers=admin)).json()["pseudonymise"]
    # Scoped to the walk's people: a policy over everyone would meet the daily alert cap on
    # the shared stack's earlier people first.
    policy = create_policy(api, scope={"kind": "people",
                                       "people": [subject_of(api, person_email())["subject_id"]]})
    secrets: list[str] = []
    ids: dict[str, str] = {"policy_id": policy["id"]}
    alerts = []
    for first in FIRST_NAMES:
        local = f"{first.lower()}.{uuid.uuid4().hex[:6]}"
        email = f"{local}@fabrikam.example"
        display = f"{first} Quillfeather-{uuid.uuid4().hex[:4]}"
        resp = await http.post(f"{api.identity}/people", headers=admin, json={
            "email": email, "display_name": display, "department": "Treasury",
            "job_title": "Controller"})
        assert resp.status_code == 200, resp.text
        secrets += [email, local, display, first]
        subject = subject_of(api, email)["subject_id"]
        add_to_scope(api, policy, subject)
        ingest(api, departing_story(email))
        alerts.append((subject, await wait_for_alert(api, policy["id"], subject)))
    (ids["subject_id"], first_alert), (_, second), (_, third), (_, fourth) = alerts
    ids["alert_id"], ids["confirm_id"], ids["dismiss_id"] = (first_alert["id"], second["id"],
                                                             third["id"])
    ids["graphql_alert_id"] = fourth["id"]  # triaged through GraphQL mutations
    investigator = api.auth(api.token("Investigator"))
    case = await http.post(f"{api.cases}/alerts/{first_alert['id']}/confirm",
                           headers=investigator, json={})
    ids["case_id"] = case.json()["case_id"]
    ids["reviewer_id"] = api.new_account("Investigator")[0]
    await http.post(f"{api.cases}/cases/{ids['case_id']}/notes", headers=investigator,
                    json={"body": "timeline reviewed"})
    granted = await http.post(f"{api.identity}/people/{ids['subject_id']}/reveal",
                              headers=investigator,
                              json={"case_id": ids["case_id"],
                                    "justification": "HR asked for the name"})
    assert granted.status_code == 201, granted.text
    now = datetime.now(UTC)
    rule = await http.post(f"{api.scoring}/suppressions", headers=api.auth(api.token("Analyst")),
                           json={"subject_id": ids["subject_id"], "reason": "expected copy",
                                 "activity_types": ["device.file_copied_to_usb"],
                                 "since": (now - timedelta(days=3)).isoformat(),
                                 "until": (now + timedelta(days=3)).isoformat()})
    assert rule.status_code == 201, rule.text
    ids["suppression_id"] = rule.json()["id"]
    until = now + timedelta(minutes=2)  # a second rule, expired by the sweep, to review
    expiring = await http.post(f"{api.scoring}/suppressions",
                               headers=api.auth(api.token("Analyst")),
                               json={"subject_id": ids["subject_id"], "reason": "expected",
                                     "activity_types": ["device.file_printed"],
                                     "until": until.isoformat()})
    assert expiring.status_code == 201, expiring.text
    ids["review_id"] = expiring.json()["id"]
    await sweep_suppressions(api, until + timedelta(seconds=1))
    template = await http.post(f"{api.cases}/notice-templates", headers=investigator, json={
        "name": f"Leak walk {uuid.uuid4().hex[:8]}", "send_from": "irm@contoso.example",
        "subject": "Case {{case_id}}", "body_html": "<p>{{alias}}: {{case_title}}</p>"})
    ids["template_id"] = template.json()["id"]
    # An Investigator's export (with content): an Analyst downloads it without content.
    export = (await http.post(f"{api.cases}/cases/{ids['case_id']}/exports",
                              headers=investigator)).json()
    ids["export_id"] = export["id"]
    for _ in range(150):
        export = (await http.get(f"{api.cases}/cases/{ids['case_id']}/exports/{export['id']}",
                                 headers=investigator)).json()
        if export["state"] == "ready":
            break
        await asyncio.sleep(0.2)
    assert export["state"] == "ready", export
    evidence = await http.post(f"{api.cases}/cases/{ids['case_id']}/evidence",
                               headers=investigator, files={"file": EVIDENCE_FILE},
                               data={"description": "seeded"})
    assert evidence.status_code == 201, evidence.text
    ids["evidence_id"] = evidence.json()["id"]
    ids["viewer_id"] = api.new_account("CaseViewer")[0]  # revoked by viewers:revoke
    shared = await http.post(f"{api.cases}/cases/{ids['case_id']}/viewers",
                             headers=investigator,
                             json={"account_id": ids["viewer_id"], "reason": "Legal"})
    assert shared.status_code == 201, shared.text
    ids["new_viewer_id"] = api.new_account("CaseViewer")[0]  # shared by viewers:add
    activity = await http.get(f"{api.ingest}/activity", headers=investigator,
                              params={"subject_id": ids["subject_id"], "limit": 1})
    ids["event_id"] = activity.json()["items"][0]["id"]
    return ids, secrets


def _rest_calls(api: Api, ids: dict[str, str]) -> list[tuple[str, str, str, dict]]:
    """Every operation an Analyst may call, with real ids; writes last (close at the end)."""
    calls = []
    for service, method, path, op in OPERATIONS:
        if "Analyst" not in ALLOWED.get(op, set()):
            continue
        # Sent for review while still open (dismissed later, among the writes).
        alert = {"alerts:confirm": ids["confirm_id"], "alerts:dismiss": ids["dismiss_id"],
                 "alerts:review": ids["dismiss_id"]}.get(op, ids["alert_id"])
        url = api.url(service) + path.format(alert_id=alert, case_id=ids["case_id"],
                                             subject_id=ids["subject_id"],
                                             policy_id=ids["policy_id"], key="usb_copy",
                                             suppression_id=ids["review_id"]
                                             if op == "suppressions:review"
                                             else ids["suppression_id"],
                                             template_id=ids["template_id"],
                                             export_id=ids["export_id"],
                                             evidence_id=ids["evidence_id"],
                                             account_id=ids["viewer_id"],
                                             event_id=ids["event_id"])
        kwargs: dict[str, Any] = {}
        if method == "GET":
            kwargs["params"] = {"subject_id": ids["subject_id"]} \
                if op.startswith("activity:") else {}
            batch = {"people:get_batch": "subject_id", "cases:get_batch": "case_id",
                     "policies:get_batch": "policy_id"}.get(op)
            if batch:
                kwargs["params"] = {"ids": [ids[batch]]}
        elif op == "evidence:add":
            kwargs["data"], kwargs["files"] = POST_BODIES[op], {"file": EVIDENCE_FILE}
        elif op == "viewers:add":
            kwargs["json"] = {**POST_BODIES[op], "account_id": ids["new_viewer_id"]}
        elif method != "DELETE":
            kwargs["json"] = POST_BODIES[op] | (
                {"reviewer": ids["reviewer_id"]} if op == "alerts:review" else {})
        if op == "suppressions:create":
            until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
            kwargs["json"] = {**POST_BODIES[op], "subject_id": ids["subject_id"], "until": until}
        if op == "notices:send":
            kwargs["json"] = {**kwargs["json"], "template_id": ids["template_id"]}
        calls.append((op, method, url, kwargs))
    order = {"alerts:confirm": 1, "alerts:dismiss": 1, "alerts:dismiss_many": 1,
             "cases:add_note": 1, "notices:send": 1, "notice_templates:update": 1,
             "evidence:add": 1, "viewers:add": 1, "viewers:revoke": 1,
             "cases:close": 2, "notice_templates:delete": 3}
    return sorted(calls, key=lambda c: order.get(c[0], 0))


def _literal(type_, name: str, ids: dict[str, str], root: str) -> str | None:
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type, name, ids, root)
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLEnumType | GraphQLInputObjectType):
        return None
    by_name = {"subjectId": ids["subject_id"], "caseId": ids["case_id"],
               "alertId": ids["alert_id"]}
    by_root = {"alert": ids["alert_id"], "case": ids["case_id"], "policy": ids["policy_id"]}
    value = by_name.get(name) or (by_root.get(root) if name == "id" else None)
    return json.dumps(value) if value else None


def _selection(type_, depth: int, seen: tuple[str, ...]) -> str | None:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType):
        return " { __typename }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    if depth >= MAX_DEPTH or named.name in seen:
        return None
    parts = []
    for fname, f in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
               for a in f.args.values()):
            continue
        sub = _selection(f.type, depth + 1, (*seen, named.name))
        if sub is not None:  # nested pages kept small, to stay within the cost budget
            parts.append(fname + ("(first: 2)" if "first" in f.args else "") + sub)
    return " { " + " ".join(parts) + " }" if parts else None


async def _mutate(api: Api, http: httpx.AsyncClient, headers: dict[str, str], name: str,
                  input_type: str, value: dict[str, Any], secrets: list[str]) -> dict:
    """One mutation with its whole payload selected; checked for identity, then returned."""
    payload = schema._schema.mutation_type.fields[name].type
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input)" \
            f"{_selection(payload, 1, ())} }}"
    resp = await http.post(api.gateway, json={"query": query, "variables": {"input": value}},
                           headers=headers)
    assert resp.status_code == 200, resp.text
    _assert_clean(resp.text, secrets, f"GraphQL {name}")
    body = resp.json()
    # An Analyst's payload may name what the role may not read (a case's content): refused
    # at that field, the rest answered.
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in body.get("errors") or []), body
    assert body["data"][name]["errors"] == [], body
    return body["data"][name]


def _queries(ids: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for name, f in schema._schema.query_type.fields.items():
        args = []
        for arg, a in f.args.items():
            value = _literal(a.type, arg, ids, name)
            if arg == "first":
                value = "10"  # the walk's newest ten: this test's people, within the budget
            if value is None and isinstance(a.type, GraphQLNonNull) \
                    and a.default_value is Undefined:
                break
            if value is not None:
                args.append(f"{arg}: {value}")
        else:
            selection = _selection(f.type, 1, ())
            call = f"{name}({', '.join(args)})" if args else name
            out.append((name, f"query {{ {call}{selection or ''} }}"))
    return out


async def test_an_analyst_sees_no_identity_anywhere(api: Api, http: httpx.AsyncClient) -> None:
    ids, secrets = await _seed(api, http)
    analyst = api.auth(api.token("Analyst"))
    calls = _rest_calls(api, ids)
    assert {"alerts:list", "alerts:feed", "cases:get", "people:get", "activity:list",
            "subjects:scores", "cases:close"} <= {c[0] for c in calls}
    for op, method, url, kwargs in calls:
        resp = await http.request(method, url, headers=analyst, **kwargs)
        assert resp.status_code < 400, f"{op}: {resp.status_code} {resp.text[:300]}"
        _assert_clean(resp.text, secrets, op)

    queries = _queries(ids)
    assert {"alerts", "alert", "case", "cases", "person", "policies"} <= {q[0] for q in queries}
    for name, query in queries:
        resp = await http.post(api.gateway, json={"query": query}, headers=analyst)
        assert resp.status_code == 200, resp.text
        _assert_clean(resp.text, secrets, f"GraphQL {name}")
        errors = resp.json().get("errors") or []
        assert all(e["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND") for e in errors), \
            (name, errors)
        if name in ("alerts", "alert", "case", "person"):  # the walk did reach the data
            assert resp.json()["data"][name], (name, resp.text[:300])
    # Mutations answer with the same types: their payloads, selected whole, stay clean.
    confirmed = await _mutate(api, http, analyst, "confirmAlert", "ConfirmAlertInput",
                              {"alertId": ids["graphql_alert_id"]}, secrets)
    assert confirmed["alert"]["case"]["person"]["alias"], confirmed
    noted = await _mutate(api, http, analyst, "addNote", "AddNoteInput",
                          {"caseId": confirmed["alert"]["case"]["id"], "body": "seen"}, secrets)
    assert noted["note"] and noted["case"]["person"]["revealed"] is False
    # The check itself works: the Investigator holding the grant does see the name.
    investigator = api.auth(api.token("Investigator"))
    seen = await http.get(f"{api.identity}/people/{ids['subject_id']}", headers=investigator)
    assert re.search(FIRST_NAMES[0], seen.text)
