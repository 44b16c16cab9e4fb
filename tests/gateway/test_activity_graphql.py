"""Activity through the gateway: a person's activity with risk levels, the chart and the
drill-down, a case's activity and content explorer, ingest's timeline, summary and catalogue,
and user activity reports from asking for one to marking its activities benign."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.schema.activity import ACTIVITY_TYPES
from gateway.schema.common import to_global_id
from tests.cases.test_investigation import _mail_and_files, _story
from tests.conftest import Api
from tests.factories import create_policy, departing_story, ingest, person_email, subject_of
from tests.gateway.test_graphql import codes, gql

ROOT = Path(__file__).resolve().parents[2]

PERSON_ACTIVITY = """
query($subject: ID!, $levels: [ActivityRiskLevel!], $types: [ActivityType!], $first: Int!,
      $after: String) {
  personActivity(subjectId: $subject, riskLevels: $levels, types: $types, first: $first,
                 after: $after) {
    edges { cursor node { eventId type category group source riskLevel policyIds
                          contentVisible attributes alias person { alias email }
                          excluded { kind } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


def _nodes(connection: dict) -> list[dict]:
    return [e["node"] for e in connection["edges"]]


async def test_person_activity_with_levels_chart_and_drill_down(api: Api) -> None:
    subject, policy, alert = await _story(api)
    analyst, inv = api.token("Analyst"), api.token("Investigator")
    person_id = to_global_id("Person", subject)
    policy_id = to_global_id("Policy", policy["id"])

    page = await gql(api, PERSON_ACTIVITY, analyst, subject=person_id, first=200)
    assert "errors" not in page, page
    items = _nodes(page["data"]["personActivity"])
    assert len(items) == 25 and not page["data"]["personActivity"]["pageInfo"]["hasNextPage"]
    assert all(not i["contentVisible"] and "file_name" not in i["attributes"] for i in items)
    assert {i["person"]["alias"] for i in items} == {alert["alias"]}
    assert {i["person"]["email"] for i in items} == {None}
    resignation = next(i for i in items if i["type"] == "HR_RESIGNATION")
    assert resignation["riskLevel"] == "NONE" and resignation["policyIds"] == []
    assert resignation["category"] == "HR" and resignation["group"] == "HR"
    usb = next(i for i in items if i["type"] == "DEVICE_FILE_COPIED_TO_USB")
    assert usb["riskLevel"] != "NONE" and policy_id in usb["policyIds"]
    assert usb["category"] == "EXFILTRATION" and usb["source"] == "Endpoint"

    # Filters by level; the bare subject id is accepted too.
    only_none = await gql(api, PERSON_ACTIVITY, analyst, subject=subject, levels=["NONE"],
                          first=50)
    assert [i["eventId"] for i in _nodes(only_none["data"]["personActivity"])] \
        == [resignation["eventId"]]
    risky = (await gql(api, PERSON_ACTIVITY, analyst, subject=person_id,
                       levels=["LOW", "MEDIUM", "HIGH"], first=10))["data"]["personActivity"]
    assert len(risky["edges"]) == 10 and risky["pageInfo"]["hasNextPage"]
    rest = (await gql(api, PERSON_ACTIVITY, analyst, subject=person_id,
                      levels=["LOW", "MEDIUM", "HIGH"], first=50,
                      after=risky["pageInfo"]["endCursor"]))["data"]["personActivity"]
    assert len(rest["edges"]) == 14 and not rest["pageInfo"]["hasNextPage"]
    assert rest["pageInfo"]["hasPreviousPage"]
    assert not {i["eventId"] for i in _nodes(risky)} & {i["eventId"] for i in _nodes(rest)}
    # Every edge's cursor resumes right after it, not only the last one.
    after_third = (await gql(api, PERSON_ACTIVITY, analyst, subject=person_id, first=2,
                             after=page["data"]["personActivity"]["edges"][2]["cursor"])
                   )["data"]["personActivity"]
    assert [i["eventId"] for i in _nodes(after_third)] == [i["eventId"] for i in items[3:5]]
    # Investigators see content.
    seen = await gql(api, PERSON_ACTIVITY, inv, subject=person_id,
                     types=["DEVICE_FILE_COPIED_TO_USB"], first=50)
    usb_seen = _nodes(seen["data"]["personActivity"])
    assert len(usb_seen) == 12 and usb_seen[0]["contentVisible"]
    assert usb_seen[0]["attributes"]["file_name"].startswith("secret-")

    # The chart: every day of the window, by level, with the policy's points.
    now = datetime.now(UTC)
    chart = await gql(api, """
        query($subject: ID!, $since: DateTime, $until: DateTime) {
          personActivityChart(subjectId: $subject, since: $since, until: $until) {
            total days { day total counts { level count } scores { policyId points } }
            policies { policyId policyName score severity } } }""", analyst,
        subject=person_id, since=(now - timedelta(days=7)).isoformat(),
        until=(now + timedelta(hours=1)).isoformat())
    assert "errors" not in chart, chart
    body = chart["data"]["personActivityChart"]
    assert len(body["days"]) in (8, 9) and body["total"] == 25
    today = next(d for d in body["days"] if d["total"] == 24)
    counts = {c["level"]: c["count"] for c in today["counts"]}
    assert list(counts) == ["NONE", "LOW", "MEDIUM", "HIGH"] and counts["NONE"] == 0
    indicator_points = sum(r["points"] for r in alert["explanation"]["contributions"]
                           if r["kind"] == "indicator" and r["day"] == today["day"])
    assert {s["policyId"]: s["points"] for s in today["scores"]}[policy_id] == indicator_points
    listed = {p["policyId"]: p for p in body["policies"]}
    assert listed[policy_id]["score"] == alert["score"]
    assert listed[policy_id]["policyName"] == policy["name"]

    # Drill-down: the rows that counted it and the alerts it fed, as Nodes.
    detail = await gql(api, """
        query($subject: ID!, $event: String!) {
          activity(subjectId: $subject, eventId: $event) {
            eventId riskLevel type
            contributions { policyId policyName kind key day level points alertIds }
            alerts { id rawId score status } } }""", analyst, subject=person_id,
        event=usb["eventId"])
    assert "errors" not in detail, detail
    one = detail["data"]["activity"]
    assert one["eventId"] == usb["eventId"] and one["riskLevel"] == usb["riskLevel"]
    alert_id = to_global_id("Alert", alert["id"])
    assert any(c["policyId"] == policy_id and c["kind"] == "INDICATOR"
               and c["day"] == today["day"] and alert_id in c["alertIds"]
               for c in one["contributions"])
    assert alert_id in [a["id"] for a in one["alerts"]]

    missing = await gql(api, "query($s: ID!) { activity(subjectId: $s, eventId: \"t-none\") "
                             "{ eventId } }", analyst, s=person_id)
    assert codes(missing) == ["NOT_FOUND"] and missing["data"] is None
    wrong = await gql(api, "query($s: ID!) { personActivity(subjectId: $s) { nodes "
                           "{ eventId } } }", analyst, s=alert_id)
    assert codes(wrong) == ["BAD_USER_INPUT"]
    assert wrong["errors"][0]["extensions"]["invalidParams"][0]["field"] == "subjectId"
    refused = await gql(api, "query($s: ID!) { personActivity(subjectId: $s) { nodes "
                             "{ eventId } } }", api.token("Auditor"), s=person_id)
    assert codes(refused) == ["FORBIDDEN"]


async def test_case_activity_and_the_content_explorer(api: Api) -> None:
    _, _, alert = await _story(api, extra=_mail_and_files)
    analyst, inv = api.token("Analyst"), api.token("Investigator")
    confirmed = await gql(api, """mutation($a: ID!) { confirmAlert(input: {alertId: $a}) {
        alert { case { id } } errors { __typename } } }""", analyst,
                          a=to_global_id("Alert", alert["id"]))
    case_id = confirmed["data"]["confirmAlert"]["alert"]["case"]["id"]

    activity = await gql(api, """query($c: ID!) { caseActivity(caseId: $c, first: 200) {
        nodes { eventId type riskLevel person { alias } } pageInfo { hasNextPage } } }""",
                         analyst, c=case_id)
    assert "errors" not in activity, activity
    nodes = activity["data"]["caseActivity"]["nodes"]
    assert len(nodes) == 29 and {n["person"]["alias"] for n in nodes} == {alert["alias"]}

    content = """query($c: ID!, $source: String, $kind: ContentKind, $label: String) {
        caseContent(caseId: $c, source: $source, kind: $kind, label: $label, first: 200) {
          nodes { kind key name location sources fileType labels conversation activityTypes
                  count firstSeen lastSeen } } }"""
    refused = await gql(api, content, analyst, c=case_id)
    assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None

    everything = await gql(api, content, inv, c=case_id)
    assert "errors" not in everything, everything
    items = everything["data"]["caseContent"]["nodes"]
    assert len([i for i in items if i["kind"] == "FILE"]) == 25
    sharepoint = (await gql(api, content, inv, c=case_id, source="sharepoint")
                  )["data"]["caseContent"]["nodes"]
    assert [i["name"] for i in sharepoint] == ["Budget.xlsx"]
    budget = sharepoint[0]
    assert budget["count"] == 2 and budget["sources"] == ["SharePoint"]
    assert budget["fileType"] == "xlsx" and budget["labels"] == ["Highly Confidential"]
    assert budget["activityTypes"] == ["FILE_DOWNLOADED"]
    assert budget["firstSeen"] < budget["lastSeen"]
    emails = (await gql(api, content, inv, c=case_id, kind="EMAIL"))["data"]["caseContent"]
    assert {e["conversation"] for e in emails["nodes"]} == {"thread:q3 numbers"}
    assert len(emails["nodes"]) == 2

    # The same through the case itself: an Analyst gets the case with its activity and a
    # FORBIDDEN error for its content only.
    nested = """query($c: ID!) { case(id: $c) { title
        activity(first: 200) { nodes { eventId } } content(first: 200) { nodes { name } } } }"""
    partial = await gql(api, nested, analyst, c=case_id)
    assert codes(partial) == ["FORBIDDEN"]
    assert partial["errors"][0]["path"] == ["case", "content"]
    got = partial["data"]["case"]
    assert got["content"] is None and got["title"]
    assert {n["eventId"] for n in got["activity"]["nodes"]} == {n["eventId"] for n in nodes}
    whole = await gql(api, nested, inv, c=case_id)
    assert "errors" not in whole, whole
    assert {n["name"] for n in whole["data"]["case"]["content"]["nodes"]} == {
        i["name"] for i in items}


async def test_ingest_timeline_summary_and_catalogue(api: Api) -> None:
    email = person_email()
    subject = subject_of(api, email)["subject_id"]
    ingest(api, departing_story(email))
    analyst, inv = api.token("Analyst"), api.token("Investigator")
    person_id = to_global_id("Person", subject)
    timeline = """query($s: ID!, $cats: [ActivityCategory!], $first: Int!) {
        activityEvents(subjectId: $s, categories: $cats, first: $first) {
          edges { cursor node { eventId type category group alias source occurredAt
                                receivedAt attributes contentVisible original } }
          pageInfo { hasNextPage endCursor } } }"""
    seen = await gql(api, timeline, analyst, s=person_id, first=100)
    assert "errors" not in seen, seen
    items = _nodes(seen["data"]["activityEvents"])
    assert len(items) == 25 and all(i["source"] == "test" for i in items)
    assert all(not i["contentVisible"] and i["original"] is None for i in items)
    assert all("file_name" not in i["attributes"] for i in items)
    paged = (await gql(api, timeline, analyst, s=person_id, first=10))["data"]["activityEvents"]
    assert len(paged["edges"]) == 10 and paged["pageInfo"]["hasNextPage"]
    hr = _nodes((await gql(api, timeline, analyst, s=person_id, cats=["HR"], first=10)
                 )["data"]["activityEvents"])
    assert [i["type"] for i in hr] == ["HR_RESIGNATION"]
    full = _nodes((await gql(api, timeline, inv, s=person_id, first=100))["data"]
                  ["activityEvents"])
    assert all(i["contentVisible"] for i in full)
    assert all(i["attributes"]["file_name"] for i in full if i["type"] != "HR_RESIGNATION")

    one = await gql(api, """query($s: ID!, $e: String!) { activityEvent(subjectId: $s,
        eventId: $e) { eventId type person { alias } } }""", analyst, s=person_id,
                    e=items[0]["eventId"])
    assert one["data"]["activityEvent"]["eventId"] == items[0]["eventId"]
    assert one["data"]["activityEvent"]["person"]["alias"] == items[0]["alias"]
    stranger = subject_of(api, person_email())["subject_id"]
    other = await gql(api, """query($s: ID!, $e: String!) { activityEvent(subjectId: $s,
        eventId: $e) { eventId } }""", analyst, s=stranger, e=items[0]["eventId"])
    assert codes(other) == ["NOT_FOUND"]

    summary = await gql(api, """query($s: ID!) { activitySummary(subjectId: $s) {
        total since until days { day category count } byCategory { category count }
        byType { type count } } }""", analyst, s=person_id)
    assert "errors" not in summary, summary
    body = summary["data"]["activitySummary"]
    assert body["total"] == 25 and sum(d["count"] for d in body["days"]) == 25
    assert body["byCategory"] == [{"category": "EXFILTRATION", "count": 24},
                                  {"category": "HR", "count": 1}]
    assert {"type": "DEVICE_FILE_COPIED_TO_USB", "count": 12} in body["byType"]

    types = await gql(api, "{ eventTypes { type category group description "
                           "requiredAttributes choices { attribute values } dateAttributes } }",
                      api.admin_token())
    assert "errors" not in types, types
    catalogue = {t["type"]: t for t in types["data"]["eventTypes"]}
    assert len(catalogue) == len(ACTIVITY_TYPES)
    browsing = catalogue["BROWSING_RISKY_SITE_VISITED"]
    assert browsing["requiredAttributes"] == ["url_category"]
    assert "phishing" in browsing["choices"][0]["values"]
    assert codes(await gql(api, "{ eventTypes { type } }", analyst)) == ["FORBIDDEN"]


def test_activity_types_match_ingests_catalogue() -> None:
    """The gateway's ActivityType enum is ingest's catalogue as its contract publishes it."""
    spec = json.loads((ROOT / "contracts/openapi/ingest.json").read_text())
    assert [v for v, _ in ACTIVITY_TYPES] == spec["components"]["schemas"]["ActivityType"]["enum"]


REPORT = """fragment R on ActivityReport {
    id rawId alias state progress total error sharedWith windowStart windowEnd finishedAt
    person { alias }
}"""


async def _follow(api: Api, token: str, report_id: str, within: float = 30) -> dict:
    """The report through `activityReport(id:)` until it is ready."""
    deadline = time.monotonic() + within
    states = []
    while time.monotonic() < deadline:
        got = await gql(api, REPORT + """query($id: ID!) { activityReport(id: $id) { ...R
            summary { byRiskLevel { level count } byCategory { category count }
                      byType { type count } byDay { day level count } } } }""", token,
                        id=report_id)
        assert "errors" not in got, got
        report = got["data"]["activityReport"]
        states.append(report["state"])
        assert report["state"] != "FAILED", report
        if report["state"] == "READY":
            return report
        await asyncio.sleep(0.2)
    raise AssertionError(f"report {report_id} not ready within {within} s: {states}")


ACTIVITIES = """query($id: ID!, $levels: [ActivityRiskLevel!], $first: Int!, $after: String) {
    node(id: $id) { ... on ActivityReport {
      activities(riskLevels: $levels, first: $first, after: $after) {
        nodes { eventId type category source riskLevel attributes excluded { kind } }
        pageInfo { hasNextPage endCursor } } } } }"""

BENIGN = """mutation($input: MarkReportActivitiesBenignInput!) {
    markReportActivitiesBenign(input: $input) { marked alreadyMarked
      errors { __typename ... on DomainError { code message }
               ... on ValidationError { fields { field reason } } } } }"""


async def test_activity_report_built_followed_and_marked_benign(api: Api) -> None:
    subject, _, alert = await _story(api)
    _, owner = api.new_account("Investigator")
    now = datetime.now(UTC)
    created = await gql(api, REPORT + """mutation($input: CreateActivityReportInput!) {
        createActivityReport(input: $input) { report { ...R } errors { __typename } } }""",
                        owner, input={"subjectId": to_global_id("Person", subject),
                                      "since": (now - timedelta(days=5)).isoformat(),
                                      "until": now.isoformat()})
    assert "errors" not in created, created
    payload = created["data"]["createActivityReport"]
    assert payload["errors"] == []
    report = payload["report"]
    assert report["state"] in ("QUEUED", "RUNNING", "READY")
    assert report["alias"] == alert["alias"] == report["person"]["alias"]
    assert report["id"] == to_global_id("ActivityReport", report["rawId"])

    ready = await _follow(api, owner, report["id"])
    assert ready["progress"] == 100 and ready["total"] == 25 and ready["finishedAt"]
    summary = ready["summary"]
    levels = {c["level"]: c["count"] for c in summary["byRiskLevel"]}
    assert sum(levels.values()) == 25 and levels["NONE"] == 1
    assert {"category": "HR", "count": 1} in summary["byCategory"]
    assert {"type": "DEVICE_FILE_COPIED_TO_USB", "count": 12} in summary["byType"]
    assert sum(d["count"] for d in summary["byDay"]) == 25
    listed = await gql(api, "{ activityReports(first: 50) { nodes { id state summary "
                            "{ byRiskLevel { level count } } } } }", owner)
    mine = next(r for r in listed["data"]["activityReports"]["nodes"] if r["id"] == report["id"])
    assert mine["state"] == "READY"
    assert {c["level"]: c["count"] for c in mine["summary"]["byRiskLevel"]} == levels

    first = (await gql(api, ACTIVITIES, owner, id=report["id"], first=20))["data"]["node"]
    page = first["activities"]
    more = (await gql(api, ACTIVITIES, owner, id=report["id"], first=20,
                      after=page["pageInfo"]["endCursor"]))["data"]["node"]["activities"]
    assert len(page["nodes"]) == 20 and len(more["nodes"]) == 5
    assert not more["pageInfo"]["hasNextPage"]
    items = page["nodes"] + more["nodes"]
    assert all("file_name" not in i["attributes"] for i in items)
    usb = [i["eventId"] for i in items if i["type"] == "DEVICE_FILE_COPIED_TO_USB"]
    assert len(usb) == 12

    # Typed domain errors: an event not in the report, an Analyst, another investigator.
    refused = (await gql(api, BENIGN, owner, input={
        "reportId": report["id"], "eventIds": [usb[0], "not-in-this-report"],
        "reason": "approved backup"}))["data"]["markReportActivitiesBenign"]
    assert refused["marked"] is None and refused["errors"][0]["__typename"] == "ValidationError"
    assert refused["errors"][0]["fields"] == [
        {"field": "event_ids.1", "reason": "not-in-this-report is not in the report"}]
    analyst = (await gql(api, BENIGN, api.token("Analyst"), input={
        "reportId": report["id"], "eventIds": usb, "reason": "approved backup"})
               )["data"]["markReportActivitiesBenign"]
    assert [e["__typename"] for e in analyst["errors"]] == ["ForbiddenError"]
    stranger = (await gql(api, BENIGN, api.token("Investigator"), input={
        "reportId": report["id"], "eventIds": usb, "reason": "approved backup"})
                )["data"]["markReportActivitiesBenign"]
    assert [e["__typename"] for e in stranger["errors"]] == ["NotFoundError"]

    marked = (await gql(api, BENIGN, owner, input={
        "reportId": report["id"], "eventIds": usb, "reason": "approved backup"})
              )["data"]["markReportActivitiesBenign"]
    assert marked["errors"] == [] and sorted(marked["marked"]) == sorted(usb)
    again = (await gql(api, BENIGN, owner, input={
        "reportId": report["id"], "eventIds": usb[:2], "reason": "approved backup"})
             )["data"]["markReportActivitiesBenign"]
    assert again["marked"] == [] and sorted(again["alreadyMarked"]) == sorted(usb[:2])
    benign = (await gql(api, ACTIVITIES, owner, id=report["id"], levels=["NONE"], first=50)
              )["data"]["node"]["activities"]["nodes"]
    assert sorted(i["eventId"] for i in benign if i["type"] == "DEVICE_FILE_COPIED_TO_USB") \
        == sorted(usb)


SHARE = """mutation($input: ShareActivityReportInput!) {
    shareActivityReport(input: $input) { report { id sharedWith }
      errors { __typename ... on DomainError { code } } } }"""
UNSHARE = SHARE.replace("shareActivityReport", "unshareActivityReport")
MEMBERSHIP = """mutation($input: AddReportPersonToPolicyInput!) {
    addReportPersonToPolicy(input: $input) {
      membership { id policyId reason startsOn until active }
      errors { __typename ... on ValidationError { fields { field } } } } }"""


async def test_sharing_a_report_and_adding_its_person_to_a_policy(api: Api) -> None:
    email = person_email()
    subject = subject_of(api, email)["subject_id"]
    ingest(api, departing_story(email))
    owner_id, owner = api.new_account("Investigator")
    colleague_id, colleague = api.new_account("Investigator")
    now = datetime.now(UTC)
    created = await gql(api, """mutation($input: CreateActivityReportInput!) {
        createActivityReport(input: $input) { report { id } } }""", owner, input={
        "subjectId": subject, "since": (now - timedelta(days=3)).isoformat(),
        "until": now.isoformat()})
    report_id = created["data"]["createActivityReport"]["report"]["id"]
    read = "query($id: ID!) { activityReport(id: $id) { id } }"
    assert codes(await gql(api, read, colleague, id=report_id)) == ["NOT_FOUND"]

    analyst_id, _ = api.new_account("Analyst")
    not_inv = (await gql(api, SHARE, owner, input={"reportId": report_id,
                                                   "accountId": analyst_id})
               )["data"]["shareActivityReport"]
    assert not_inv["report"] is None
    assert not_inv["errors"] == [{"__typename": "ValidationError",
                                  "code": "not_an_investigator"}]
    shared = (await gql(api, SHARE, owner, input={"reportId": report_id,
                                                  "accountId": colleague_id})
              )["data"]["shareActivityReport"]
    assert shared["errors"] == [] and shared["report"]["sharedWith"] == [f"user:{colleague_id}"]
    assert (await gql(api, read, colleague, id=report_id))["data"]["activityReport"]["id"] \
        == report_id
    reshare = (await gql(api, SHARE, colleague, input={"reportId": report_id,
                                                       "accountId": owner_id})
               )["data"]["shareActivityReport"]
    assert reshare["errors"] == [{"__typename": "ForbiddenError", "code": "not_report_owner"}]

    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    added = (await gql(api, MEMBERSHIP, colleague, input={
        "reportId": report_id, "policyId": to_global_id("Policy", policy["id"]), "days": 7,
        "reason": "investigating a report"}))["data"]["addReportPersonToPolicy"]
    assert added["errors"] == [], added
    membership = added["membership"]
    assert membership["policyId"] == to_global_id("Policy", policy["id"])
    assert membership["active"]
    assert (datetime.fromisoformat(membership["until"])
            - datetime.fromisoformat(membership["startsOn"])).days == 7
    too_long = (await gql(api, MEMBERSHIP, owner, input={
        "reportId": report_id, "policyId": policy["id"], "days": 31,
        "reason": "investigating a report"}))["data"]["addReportPersonToPolicy"]
    assert too_long["membership"] is None
    assert too_long["errors"] == [{"__typename": "ValidationError",
                                   "fields": [{"field": "days"}]}]
    unknown = (await gql(api, MEMBERSHIP, owner, input={
        "reportId": report_id, "policyId": str(uuid.uuid4()), "days": 3,
        "reason": "investigating a report"}))["data"]["addReportPersonToPolicy"]
    assert [e["__typename"] for e in unknown["errors"]] == ["NotFoundError"]

    unshared = (await gql(api, UNSHARE, owner, input={"reportId": report_id,
                                                      "accountId": colleague_id})
                )["data"]["unshareActivityReport"]
    assert unshared["errors"] == [] and unshared["report"]["sharedWith"] == []
    assert codes(await gql(api, read, colleague, id=report_id)) == ["NOT_FOUND"]
    again = (await gql(api, UNSHARE, owner, input={"reportId": report_id,
                                                   "accountId": colleague_id})
             )["data"]["unshareActivityReport"]
    assert [e["__typename"] for e in again["errors"]] == ["NotFoundError"]
