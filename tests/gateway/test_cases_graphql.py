"""Cases through GraphQL: the case list with its filters and sorts, a case's notes, alerts,
evidence (uploaded as a GraphQL multipart request), viewers, notices and exports, with the
typed errors of their mutations and the roles that are refused."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gateway.schema.common import to_global_id
from tests.cases.person_case import person_case
from tests.conftest import Api
from tests.factories import fresh_alert
from tests.gateway.test_graphql import codes, gql

ERRORS = "errors { __typename ... on DomainError { code message } " \
         "... on ValidationError { fields { field reason } } " \
         "... on ConflictError { currentStatus } }"


async def _open_case(api: Api, policy: dict, token: str) -> dict:
    """A new person's alert confirmed into a new case through GraphQL: the case's fields."""
    alert = await fresh_alert(api, policy)
    confirmed = await gql(api, """mutation($input: ConfirmAlertInput!) {
        confirmAlert(input: $input) { alert { case { id rawId } } errors { __typename } } }""",
        token, input={"alertId": alert["id"], "title": "Copied files before leaving"})
    assert confirmed["data"]["confirmAlert"]["errors"] == [], confirmed
    return {"alert": alert, **confirmed["data"]["confirmAlert"]["alert"]["case"]}


async def test_case_list_filters_sorts_and_pages(api: Api, policy: dict) -> None:
    analyst = api.token("Analyst")
    since = datetime.now(UTC) - timedelta(seconds=1)
    older = await _open_case(api, policy, analyst)
    newer = await _open_case(api, policy, analyst)
    # A note moves the older case's "last updated" past the newer one's.
    noted = await gql(api, """mutation($input: AddNoteInput!) {
        addNote(input: $input) { note { rawId body } case { id updatedAt } errors { __typename } }
        }""", analyst, input={"caseId": older["id"], "body": "Timeline reviewed."})
    assert noted["data"]["addNote"]["errors"] == []
    assert noted["data"]["addNote"]["case"]["id"] == older["id"]
    query = """query($after: String, $sort: CaseSort!, $from: DateTime) {
        cases(status: ACTIVE, openedFrom: $from, sort: $sort, first: 1, after: $after) {
          edges { cursor node { id rawId status alertCount } }
          pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    params = {"from": since.isoformat()}
    seen: dict[str, list[str]] = {}
    for sort in ("OPENED_DESC", "UPDATED_DESC", "OPENED_ASC"):
        ids, after = [], None
        while True:
            page = await gql(api, query, analyst, after=after, sort=sort, **params)
            assert "errors" not in page, page
            conn = page["data"]["cases"]
            ids += [e["node"]["id"] for e in conn["edges"]]
            assert conn["pageInfo"]["hasPreviousPage"] is (after is not None)
            assert all(e["node"]["status"] == "ACTIVE" and e["node"]["alertCount"] == 1
                       for e in conn["edges"])
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["edges"][-1]["cursor"]  # an edge's cursor resumes after it
            assert after == conn["pageInfo"]["endCursor"]
        seen[sort] = [i for i in ids if i in (older["id"], newer["id"])]
    assert seen["OPENED_DESC"] == [newer["id"], older["id"]]
    assert seen["OPENED_ASC"] == [older["id"], newer["id"]]
    assert seen["UPDATED_DESC"] == [older["id"], newer["id"]]
    # A cursor made for one sort is refused for another.
    first = await gql(api, query, analyst, sort="OPENED_DESC", **params)
    other = await gql(api, query, analyst, sort="UPDATED_ASC",
                      after=first["data"]["cases"]["pageInfo"]["endCursor"], **params)
    assert codes(other) == ["BAD_USER_INPUT"]
    window = await gql(api, """{ cases(openedFrom: "2030-01-02T00:00:00Z",
        openedTo: "2030-01-01T00:00:00Z") { edges { node { id } } } }""", analyst)
    assert codes(window) == ["BAD_USER_INPUT"]


async def test_case_details_notes_alerts_stats_and_close(api: Api, policy: dict) -> None:
    investigator = api.token("Investigator")
    case = await _open_case(api, policy, investigator)
    await gql(api, """mutation($input: AddNoteInput!) { addNote(input: $input) {
        errors { __typename } } }""", investigator,
        input={"caseId": case["id"], "body": "USB copies after resignation."})
    got = await gql(api, """query($id: ID!) { case(id: $id) {
        id rawId title status actionTaken alertCount alias
        notes { nodes { id rawId body author case { id } } }
        alerts { nodes { alertId rawId policyName alias status severity policyId } } } }""",
        investigator, id=case["id"])
    detail = got["data"]["case"]
    assert detail["rawId"] == case["rawId"] and detail["status"] == "ACTIVE"
    assert detail["title"] == "Copied files before leaving" and detail["actionTaken"] is None
    assert [n["body"] for n in detail["notes"]["nodes"]] == ["USB copies after resignation."]
    assert detail["notes"]["nodes"][0]["case"]["id"] == case["id"]
    assert detail["alerts"]["nodes"] == [{
        "alertId": to_global_id("Alert", case["alert"]["id"]), "rawId": case["alert"]["id"],
        "policyName": policy["name"], "alias": case["alert"]["alias"], "status": "CONFIRMED",
        "severity": case["alert"]["severity"].upper(),
        "policyId": to_global_id("Policy", policy["id"])}]
    # Nodes: the case by its global id, a note by its own.
    note_id = detail["notes"]["nodes"][0]["id"]
    nodes = await gql(api, """query($ids: [ID!]!) { nodes(ids: $ids) {
        __typename id ... on Note { body } ... on Case { title } } }""", investigator,
        ids=[case["id"], note_id])
    assert [n["__typename"] for n in nodes["data"]["nodes"]] == ["Case", "Note"]
    assert nodes["data"]["nodes"][1]["body"] == "USB copies after resignation."

    close = """mutation($input: CloseCaseInput!) { closeCase(input: $input) {
        case { id status classification actionTaken closedAt } """ + ERRORS + " } }"
    blank = await gql(api, close, investigator, input={
        "caseId": case["id"], "classification": "BENIGN", "actionTaken": "   "})
    assert blank["data"]["closeCase"]["case"] is None
    assert blank["data"]["closeCase"]["errors"][0]["__typename"] == "ValidationError"
    closed = await gql(api, close, investigator, input={
        "caseId": case["id"], "classification": "CONFIRMED_VIOLATION",
        "actionTaken": "HR informed; access revoked"})
    assert closed["data"]["closeCase"]["errors"] == []
    got = closed["data"]["closeCase"]["case"]
    assert got["status"] == "CLOSED" and got["classification"] == "CONFIRMED_VIOLATION"
    assert got["actionTaken"] == "HR informed; access revoked" and got["closedAt"]
    again = await gql(api, close, investigator, input={
        "caseId": case["id"], "classification": "BENIGN", "actionTaken": "again"})
    assert again["data"]["closeCase"]["case"] is None
    assert [(e["__typename"], e["currentStatus"]) for e in
            again["data"]["closeCase"]["errors"]] == [("ConflictError", "closed")]
    late_note = await gql(api, """mutation($input: AddNoteInput!) { addNote(input: $input) {
        note { id } """ + ERRORS + " } }", investigator,
        input={"caseId": case["id"], "body": "too late"})
    assert [e["__typename"] for e in late_note["data"]["addNote"]["errors"]] == \
        ["ConflictError"]
    missing = await gql(api, """mutation($input: AddNoteInput!) { addNote(input: $input) {
        note { id } """ + ERRORS + " } }", investigator,
        input={"caseId": str(uuid.uuid4()), "body": "nobody"})
    assert [e["__typename"] for e in missing["data"]["addNote"]["errors"]] == ["NotFoundError"]
    wrong_type = await gql(api, """mutation($input: AddNoteInput!) { addNote(input: $input) {
        note { id } """ + ERRORS + " } }", investigator,
        input={"caseId": to_global_id("Alert", case["alert"]["id"]), "body": "x"})
    error = wrong_type["data"]["addNote"]["errors"][0]
    assert error["__typename"] == "ValidationError" and error["fields"][0]["field"] == "caseId"

    stats = await gql(api, """{ caseStats { byStatus { status count }
        byClassification { classification count } closedInWindow meanTimeToCloseSeconds
        windowFrom windowTo } openCasesOverTime(bucket: DAY) { bucket
        points { bucketStart bucketEnd open } } }""", investigator)
    assert "errors" not in stats, stats
    figures = stats["data"]["caseStats"]
    assert {s["status"] for s in figures["byStatus"]} == {"ACTIVE", "CLOSED"}
    assert figures["closedInWindow"] >= 1 and figures["meanTimeToCloseSeconds"] is not None
    assert any(c["classification"] == "CONFIRMED_VIOLATION" and c["count"] >= 1
               for c in figures["byClassification"])
    series = stats["data"]["openCasesOverTime"]
    assert series["bucket"] == "DAY" and 30 <= len(series["points"]) <= 32
    too_many = await gql(api, """{ openCasesOverTime(from: "2000-01-01T00:00:00Z",
        bucket: DAY) { bucket } }""", investigator)
    assert codes(too_many) == ["BAD_USER_INPUT"]
    viewer = await gql(api, "{ caseStats { closedInWindow } }", api.token("CaseViewer"))
    assert codes(viewer) == ["FORBIDDEN"]


async def _upload(api: Api, token: str, case_id: str, filename: str, content: bytes,
                  content_type: str, description: str) -> dict:
    """addEvidence as a GraphQL multipart request: operations, map, then the file part."""
    query = """mutation($input: AddEvidenceInput!) { addEvidence(input: $input) {
        evidence { id rawId filename contentType size sha256 description addedBy
                   downloadUrl case { id } } """ + ERRORS + " } }"
    operations = {"query": query, "variables": {"input": {
        "caseId": case_id, "file": None, "description": description}}}
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(
            api.gateway, headers=api.auth(token),
            data={"operations": json.dumps(operations),
                  "map": json.dumps({"0": ["variables.input.file"]})},
            files={"0": (filename, content, content_type)})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_evidence_uploaded_through_graphql_multipart(api: Api, policy: dict) -> None:
    analyst = api.token("Analyst")
    case = await _open_case(api, policy, analyst)
    content = b"Statement of the manager, 3 pages.\nSigned.\n" * 50
    uploaded = await _upload(api, analyst, case["id"], "statement.txt", content, "text/plain",
                             "Manager's statement")
    assert "errors" not in uploaded, uploaded
    payload = uploaded["data"]["addEvidence"]
    assert payload["errors"] == []
    evidence = payload["evidence"]
    assert evidence["sha256"] == hashlib.sha256(content).hexdigest()
    assert evidence["size"] == len(content) and evidence["filename"] == "statement.txt"
    assert evidence["contentType"] == "text/plain" and evidence["case"]["id"] == case["id"]
    # The download URL serves the same bytes with the same token.
    async with httpx.AsyncClient(timeout=30) as client:
        got = await client.get(evidence["downloadUrl"], headers=api.auth(analyst))
    assert got.status_code == 200 and got.content == content
    assert got.headers["etag"] == f'"{evidence["sha256"]}"'
    listed = await gql(api, """query($id: ID!, $eid: ID!) {
        case(id: $id) { evidence { nodes { id sha256 } } }
        evidence(id: $eid) { rawId description }
        node(id: $eid) { ... on Evidence { filename } } }""", api.token("Investigator"),
        id=case["id"], eid=evidence["id"])
    assert listed["data"]["case"]["evidence"]["nodes"] == [{"id": evidence["id"],
                                                            "sha256": evidence["sha256"]}]
    assert listed["data"]["evidence"] == {"rawId": evidence["rawId"],
                                          "description": "Manager's statement"}
    assert listed["data"]["node"] == {"filename": "statement.txt"}
    # The content is checked: a PDF that is not one is a ValidationError on `file`.
    fake = await _upload(api, analyst, case["id"], "scan.pdf", b"not a pdf at all",
                         "application/pdf", "Scan")
    errors = fake["data"]["addEvidence"]["errors"]
    assert fake["data"]["addEvidence"]["evidence"] is None
    assert errors[0]["__typename"] == "ValidationError"
    assert errors[0]["fields"][0]["field"] == "file"
    # A bare UUID does not say which case the evidence is filed under.
    bare = await gql(api, "query($id: ID!) { evidence(id: $id) { id } }", analyst,
                     id=evidence["rawId"])
    assert codes(bare) == ["BAD_USER_INPUT"]
    # Not for a case viewer (evidence is content) nor an Auditor.
    for role in ("CaseViewer", "Auditor"):
        refused = await _upload(api, api.token(role), case["id"], "a.txt", b"x\n",
                                "text/plain", "x")
        assert [e["__typename"] for e in refused["data"]["addEvidence"]["errors"]] == \
            ["ForbiddenError"], role


async def test_case_shared_with_a_viewer_and_taken_back(api: Api, policy: dict) -> None:
    analyst = api.token("Analyst")
    case = await _open_case(api, policy, analyst)
    viewer_id, viewer = api.new_account("CaseViewer")
    share = """mutation($input: ShareCaseInput!) { shareCase(input: $input) {
        viewer { accountId accountRawId reason sharedBy } case { id } """ + ERRORS + " } }"
    shared = await gql(api, share, analyst, input={
        "caseId": case["id"], "accountId": to_global_id("Account", viewer_id),
        "reason": "HR business partner"})
    payload = shared["data"]["shareCase"]
    assert payload["errors"] == [] and payload["case"]["id"] == case["id"]
    assert payload["viewer"]["accountRawId"] == viewer_id
    assert payload["viewer"]["reason"] == "HR business partner"
    twice = await gql(api, share, analyst, input={
        "caseId": case["id"], "accountId": viewer_id, "reason": "again"})
    assert [e["__typename"] for e in twice["data"]["shareCase"]["errors"]] == ["ConflictError"]
    not_a_viewer = await gql(api, share, analyst, input={
        "caseId": case["id"], "accountId": api.new_account("Analyst")[0], "reason": "x"})
    error = not_a_viewer["data"]["shareCase"]["errors"][0]
    assert error["__typename"] == "ValidationError"
    assert error["fields"][0]["field"] == "account_id"
    listed = await gql(api, """query($id: ID!) { case(id: $id) {
        viewers { nodes { accountRawId } } } }""", analyst, id=case["id"])
    assert listed["data"]["case"]["viewers"]["nodes"] == [{"accountRawId": viewer_id}]

    # The viewer reads the case and its alerts' metadata, but not its evidence.
    seen = await gql(api, """query($id: ID!) { case(id: $id) { id
        alerts { nodes { rawId status } } evidence { nodes { id } } } }""", viewer,
                     id=case["id"])
    assert seen["data"]["case"]["alerts"]["nodes"] == [{"rawId": case["alert"]["id"],
                                                        "status": "CONFIRMED"}]
    assert seen["data"]["case"]["evidence"] is None
    assert codes(seen) == ["FORBIDDEN"]
    assert seen["errors"][0]["path"] == ["case", "evidence"]
    refused = await gql(api, share, viewer, input={
        "caseId": case["id"], "accountId": viewer_id, "reason": "myself"})
    assert [e["__typename"] for e in refused["data"]["shareCase"]["errors"]] == \
        ["ForbiddenError"]

    unshare = """mutation($input: UnshareCaseInput!) { unshareCase(input: $input) {
        case { viewers { nodes { accountId } } } """ + ERRORS + " } }"
    revoked = await gql(api, unshare, analyst, input={
        "caseId": case["id"], "accountId": payload["viewer"]["accountId"]})
    assert revoked["data"]["unshareCase"] == {"case": {"viewers": {"nodes": []}},
                                              "errors": []}
    gone = await gql(api, "query($id: ID!) { case(id: $id) { id } }", viewer, id=case["id"])
    assert codes(gone) == ["NOT_FOUND"]
    again = await gql(api, unshare, analyst, input={
        "caseId": case["id"], "accountId": viewer_id})
    assert [e["__typename"] for e in again["data"]["unshareCase"]["errors"]] == \
        ["NotFoundError"]


async def _wait(api: Api, token: str, query: str, pick, done, within: float = 30,
                **variables: Any) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await gql(api, query, token, **variables)
        assert "errors" not in result, result
        value = pick(result["data"])
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


async def test_notice_templates_and_a_notice_sent(api: Api, http: httpx.AsyncClient) -> None:
    _, analyst = api.new_account("Analyst")
    person = await person_case(api, http, analyst)
    case_id = to_global_id("Case", person["case_id"])
    template_fields = "template { id rawId name subject trainingUrl cc }"
    create = """mutation($input: CreateNoticeTemplateInput!) {
        createNoticeTemplate(input: $input) { """ + template_fields + " " + ERRORS + " } }"
    body = {"name": f"Reminder {uuid.uuid4().hex[:8]}", "sendFrom": "irm@contoso.example",
            "cc": ["manager@contoso.example"], "subject": "About case {{case_id}}",
            "bodyHtml": "<p>Hello {{alias}}: {{message}}</p>",
            "trainingUrl": "https://training.contoso.example/data"}
    made = await gql(api, create, analyst, input=body)
    template = made["data"]["createNoticeTemplate"]["template"]
    assert made["data"]["createNoticeTemplate"]["errors"] == []
    assert template["cc"] == ["manager@contoso.example"]
    bad = await gql(api, create, analyst, input={**body, "name": f"x{body['name']}",
                                                 "bodyHtml": "{{ password }}"})
    error = bad["data"]["createNoticeTemplate"]["errors"][0]
    assert error["__typename"] == "ValidationError"
    assert error["fields"][0]["field"] == "body_html"
    update = """mutation($input: UpdateNoticeTemplateInput!) {
        updateNoticeTemplate(input: $input) { """ + template_fields + " " + ERRORS + " } }"
    changed = await gql(api, update, analyst, input={
        "id": template["id"], "subject": "Reminder about case {{case_id}}",
        "trainingUrl": None})
    assert changed["data"]["updateNoticeTemplate"]["template"] == {
        **template, "subject": "Reminder about case {{case_id}}", "trainingUrl": None}
    listed = await gql(api, """query($id: ID!) { noticeTemplates(first: 200) {
        nodes { id } } noticeTemplate(id: $id) { name } }""", analyst, id=template["id"])
    assert template["id"] in [t["id"] for t in listed["data"]["noticeTemplates"]["nodes"]]
    assert listed["data"]["noticeTemplate"]["name"] == body["name"]

    send = """mutation($input: SendNoticeInput!) { sendNotice(input: $input) {
        notice { id rawId state alias subject bodyHtml templateId templateName } """ \
        + ERRORS + " } }"
    sent = await gql(api, send, analyst, input={"caseId": case_id,
                                                "templateId": template["id"],
                                                "message": "Please <b>review</b>."})
    notice = sent["data"]["sendNotice"]["notice"]
    assert sent["data"]["sendNotice"]["errors"] == []
    assert notice["state"] == "QUEUED" and notice["alias"] == person["alias"]
    assert notice["subject"] == f"Reminder about case {person['case_id']}"
    assert "Please &lt;b&gt;review&lt;/b&gt;." in notice["bodyHtml"]
    assert notice["templateId"] == template["id"]
    assert person["email"] not in json.dumps(sent)
    state = await _wait(api, analyst, """query($id: ID!) { case(id: $id) {
        notices { nodes { id state attempts sentAt } } } }""",
        lambda d: next(n for n in d["case"]["notices"]["nodes"] if n["id"] == notice["id"]),
        lambda n: n["state"] == "SENT", id=case_id)
    assert state["state"] == "SENT" and state["attempts"] == 1 and state["sentAt"]
    page = await gql(api, """{ notices(state: SENT, first: 200) {
        edges { cursor node { id } } } }""", analyst)
    assert notice["id"] in [e["node"]["id"] for e in page["data"]["notices"]["edges"]]
    unknown = await gql(api, send, analyst, input={
        "caseId": case_id, "templateId": to_global_id("NoticeTemplate", str(uuid.uuid4()))})
    assert [e["__typename"] for e in unknown["data"]["sendNotice"]["errors"]] == \
        ["ValidationError"]
    refused = await gql(api, send, api.token("Auditor"), input={
        "caseId": case_id, "templateId": template["id"]})
    assert [e["__typename"] for e in refused["data"]["sendNotice"]["errors"]] == \
        ["ForbiddenError"]

    delete = """mutation($input: DeleteNoticeTemplateInput!) {
        deleteNoticeTemplate(input: $input) { deletedId """ + ERRORS + " } }"
    deleted = await gql(api, delete, analyst, input={"id": template["id"]})
    assert deleted["data"]["deleteNoticeTemplate"] == {"deletedId": template["id"],
                                                        "errors": []}
    again = await gql(api, delete, analyst, input={"id": template["id"]})
    assert [e["__typename"] for e in again["data"]["deleteNoticeTemplate"]["errors"]] == \
        ["NotFoundError"]
    kept = await gql(api, """query($id: ID!) { case(id: $id) {
        notices { nodes { templateId } } } }""", analyst, id=case_id)
    assert kept["data"]["case"]["notices"]["nodes"] == [{"templateId": None}]


async def test_export_started_and_followed_to_ready(api: Api, policy: dict) -> None:
    investigator = api.token("Investigator")
    case = await _open_case(api, policy, investigator)
    start = """mutation($input: StartCaseExportInput!) { startCaseExport(input: $input) {
        export { id rawId state progress contentIncluded bundleUrl case { id } } """ \
        + ERRORS + " } }"
    started = await gql(api, start, investigator, input={"caseId": case["id"]})
    assert started["data"]["startCaseExport"]["errors"] == []
    export = started["data"]["startCaseExport"]["export"]
    assert export["state"] in ("QUEUED", "RUNNING") and export["bundleUrl"] is None
    assert export["contentIncluded"] is True and export["case"]["id"] == case["id"]
    ready = await _wait(api, investigator, """query($id: ID!) { export(id: $id) {
        id state progress sizeBytes sha256 bundleUrl finishedAt } }""",
        lambda d: d["export"], lambda x: x["state"] in ("READY", "FAILED"), id=export["id"])
    assert ready["state"] == "READY" and ready["progress"] == 100 and ready["finishedAt"]
    listed = await gql(api, """query($id: ID!) { case(id: $id) {
        exports { nodes { id state } } } }""", investigator, id=case["id"])
    assert listed["data"]["case"]["exports"]["nodes"] == [{"id": export["id"],
                                                           "state": "READY"}]
    async with httpx.AsyncClient(timeout=30) as client:
        bundle = await client.get(ready["bundleUrl"], headers=api.auth(investigator))
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["case_id"] == case["rawId"]
    key = await gql(api, "{ exportSigningKey { algorithm keyId publicKeyPem } }")
    signing = key["data"]["exportSigningKey"]
    assert signing["algorithm"] == "Ed25519" and manifest["signing_key_id"] == signing["keyId"]
    assert "BEGIN PUBLIC KEY" in signing["publicKeyPem"]
    missing = await gql(api, start, investigator,
                        input={"caseId": to_global_id("Case", str(uuid.uuid4()))})
    assert [e["__typename"] for e in missing["data"]["startCaseExport"]["errors"]] == \
        ["NotFoundError"]
    viewer = await gql(api, "query($id: ID!) { export(id: $id) { id } }",
                       api.token("CaseViewer"), id=export["id"])
    assert codes(viewer) == ["FORBIDDEN"]
