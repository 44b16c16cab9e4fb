"""The triage slice of the GraphQL API against the running services: the queue's filters,
sorts and cursors, an alert's history and related alerts, bulk dismissal and send for review,
triage settings and dashboard, risk levels, a person's risk score, suppression rules and
benign marks, each with its typed errors and role refusals."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.schema.common import to_global_id
from tests.conftest import Api
from tests.factories import (
    add_to_scope,
    departing_story,
    fresh_alert,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)
from tests.gateway.test_graphql import codes, gql

ERRORS = "errors { __typename ... on DomainError { code message } " \
         "... on ConflictError { currentStatus } ... on ValidationError { fields { field } } }"
QUEUE = """query($policies: [ID!], $sort: AlertSort!, $order: SortOrder, $first: Int!,
                 $after: String, $status: [AlertStatus!]) {
  alerts(policyIds: $policies, status: $status, sort: $sort, order: $order, first: $first,
         after: $after) {
    edges { cursor node { id rawId status score priority slaDueAt slaBreached detectedAt
                          summary riskFactors caseStatus relatedCount
                          priorityComponents { name points detail } } }
    pageInfo { hasNextPage endCursor hasPreviousPage } } }"""


def gid(kind: str, key: str) -> str:
    return to_global_id(kind, key)


async def test_queue_filters_sorts_and_resumes_after_any_edge(api: Api, policy: dict) -> None:
    alerts = [await fresh_alert(api, policy) for _ in range(3)]
    analyst = api.token("Analyst")
    policies = [gid("Policy", policy["id"])]
    for sort, order in (("DETECTED", None), ("SCORE", "ASC"), ("PRIORITY", None),
                        ("SLA_DUE", None), ("SEVERITY", "DESC")):
        whole = await gql(api, QUEUE, analyst, policies=policies, sort=sort, order=order,
                          first=50, status=["NEEDS_REVIEW"])
        assert "errors" not in whole, whole
        edges = whole["data"]["alerts"]["edges"]
        ours = {a["id"] for a in alerts}
        assert ours <= {e["node"]["rawId"] for e in edges}, sort
        # Resuming after the first edge gives exactly the rest of the list, in order.
        rest = await gql(api, QUEUE, analyst, policies=policies, sort=sort, order=order,
                         first=50, status=["NEEDS_REVIEW"], after=edges[0]["cursor"])
        assert "errors" not in rest, (sort, rest)
        assert [e["node"]["id"] for e in rest["data"]["alerts"]["edges"]] == \
            [e["node"]["id"] for e in edges[1:]], sort
        assert rest["data"]["alerts"]["pageInfo"]["hasPreviousPage"] is True
    detected = [e["node"] for e in edges]
    for node in detected:
        assert node["status"] == "NEEDS_REVIEW" and node["caseStatus"] is None
        assert node["priority"] == sum(p["points"] for p in node["priorityComponents"])
        assert node["summary"] and not node["slaBreached"]
        assert datetime.fromisoformat(node["slaDueAt"]) > datetime.fromisoformat(
            node["detectedAt"])
    # Ascending by score: each score at least the one before.
    by_score = (await gql(api, QUEUE, analyst, policies=policies, sort="SCORE", order="ASC",
                          first=50))["data"]["alerts"]["edges"]
    scores = [e["node"]["score"] for e in by_score]
    assert scores == sorted(scores)
    # A page at a time, by priority: the service's cursor carries the walk on.
    one = await gql(api, QUEUE, analyst, policies=policies, sort="PRIORITY", first=1)
    assert one["data"]["alerts"]["pageInfo"]["hasNextPage"] is True
    two = await gql(api, QUEUE, analyst, policies=policies, sort="PRIORITY", first=1,
                    after=one["data"]["alerts"]["pageInfo"]["endCursor"])
    assert two["data"]["alerts"]["edges"][0]["node"]["id"] != \
        one["data"]["alerts"]["edges"][0]["node"]["id"]
    # A cursor of another sort is the caller's mistake.
    wrong = await gql(api, QUEUE, analyst, policies=policies, sort="SCORE", first=1,
                      after=one["data"]["alerts"]["pageInfo"]["endCursor"])
    assert codes(wrong) == ["BAD_USER_INPUT"]
    # Counts and the chart over the same filters.
    counted = await gql(api, """query($policies: [ID!]) {
        alertCounts(policyIds: $policies) { total bySeverity { severity count }
                                            byStatus { status count } }
        openAlertsOverTime(policyIds: $policies, bucket: DAY) {
            bucket points { start end open } } }""", analyst, policies=policies)
    assert "errors" not in counted, counted
    counts = counted["data"]["alertCounts"]
    assert counts["total"] == len(by_score)
    assert sum(s["count"] for s in counts["bySeverity"]) == counts["total"]
    assert {s["status"]: s["count"] for s in counts["byStatus"]}["NEEDS_REVIEW"] >= 3
    chart = counted["data"]["openAlertsOverTime"]
    assert chart["bucket"] == "DAY" and chart["points"][-1]["open"] >= 3
    backwards = await gql(api, """{ openAlertsOverTime(from: "2026-02-01T00:00:00Z",
        to: "2026-01-01T00:00:00Z") { bucket } }""", analyst)
    assert codes(backwards) == ["BAD_USER_INPUT"]
    # The queue is for reviewers only.
    refused = await gql(api, "{ alertCounts { total } }", api.admin_token())
    assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None


async def test_history_related_and_alerts_of_a_person(api: Api, policy: dict) -> None:
    alert = await fresh_alert(api, policy)
    analyst = api.token("Analyst")
    got = await gql(api, """query($id: ID!, $subject: ID!) {
        alert(id: $id) { id subjectId history { nodes { change status severity score changedAt
                                                         case { id } } }
                         related { subjectId alias total groups { policyName } } }
        alertsOfPerson(subjectId: $subject, first: 10) {
            edges { cursor node { id } } pageInfo { hasNextPage } } }""", analyst,
        id=gid("Alert", alert["id"]), subject=alert["subject_id"])
    assert "errors" not in got, got
    node = got["data"]["alert"]
    assert node["subjectId"] == alert["subject_id"]
    history = node["history"]["nodes"]
    assert history[0]["change"] == "CREATED"
    assert history[0]["status"] == "NEEDS_REVIEW" and history[0]["case"] is None
    assert node["related"] == {"subjectId": alert["subject_id"], "alias": alert["alias"],
                               "total": 0, "groups": []}
    assert [e["node"]["id"] for e in got["data"]["alertsOfPerson"]["edges"]] == [node["id"]]
    # A policy's global id is not a person's.
    wrong = await gql(api, """query($subject: ID!) { alertsOfPerson(subjectId: $subject) {
        edges { cursor } } }""", analyst, subject=gid("Policy", policy["id"]))
    assert codes(wrong) == ["BAD_USER_INPUT"]


async def test_send_for_review_then_dismiss_in_bulk(api: Api, policy: dict) -> None:
    first, second = await fresh_alert(api, policy), await fresh_alert(api, policy)
    analyst = api.token("Analyst")
    reviewer_id, reviewer = api.new_account("Investigator")
    send = f"""mutation($input: SendAlertForReviewInput!) {{ sendAlertForReview(input: $input) {{
        alert {{ id status reviewerAccountId reviewComment reviewRequestedAt }} {ERRORS} }} }}"""
    sent = await gql(api, send, analyst, input={
        "alertId": gid("Alert", first["id"]), "reviewerId": reviewer_id,
        "comment": "please look"})
    payload = sent["data"]["sendAlertForReview"]
    assert payload["errors"] == [], payload
    assert payload["alert"]["status"] == "NEEDS_REVIEW"
    assert payload["alert"]["reviewerAccountId"] == reviewer_id
    assert payload["alert"]["reviewComment"] == "please look"
    mine = await gql(api, """{ alerts(reviewer: "me", first: 200) { edges { node { rawId } } } }""",
                     reviewer)
    assert [e["node"]["rawId"] for e in mine["data"]["alerts"]["edges"]] == [first["id"]]
    # A reviewer that may not triage alerts is refused on the reviewer field.
    auditor_id, _ = api.new_account("Auditor")
    bad = await gql(api, send, analyst, input={"alertId": gid("Alert", second["id"]),
                                               "reviewerId": auditor_id})
    errors = bad["data"]["sendAlertForReview"]["errors"]
    assert [e["__typename"] for e in errors] == ["ValidationError"], errors
    assert errors[0]["code"] == "invalid_reviewer"
    # An Admin may not triage.
    admin = await gql(api, send, api.admin_token(), input={
        "alertId": gid("Alert", second["id"]), "reviewerId": reviewer_id})
    assert [e["__typename"] for e in admin["data"]["sendAlertForReview"]["errors"]] == \
        ["ForbiddenError"]

    bulk = f"""mutation($input: DismissAlertsInput!) {{ dismissAlerts(input: $input) {{
        dismissedAlertIds refused {{ alertId code currentStatus }} {ERRORS} }} }}"""
    missing = str(uuid.uuid4())
    done = await gql(api, bulk, analyst, input={
        "alertIds": [gid("Alert", first["id"]), second["id"], missing],
        "reason": "EXPECTED_ACTIVITY", "comment": "migration"})
    result = done["data"]["dismissAlerts"]
    assert result["errors"] == [], result
    assert sorted(result["dismissedAlertIds"]) == sorted([gid("Alert", first["id"]),
                                                          gid("Alert", second["id"])])
    assert result["refused"] == [{"alertId": gid("Alert", missing), "code": "ALERT_NOT_FOUND",
                                  "currentStatus": None}]
    again = await gql(api, bulk, analyst, input={"alertIds": [first["id"]], "reason": "OTHER"})
    assert again["data"]["dismissAlerts"]["refused"] == [{
        "alertId": gid("Alert", first["id"]), "code": "ALERT_NOT_OPEN",
        "currentStatus": "DISMISSED"}]
    bad_id = await gql(api, bulk, analyst, input={"alertIds": ["nope"], "reason": "OTHER"})
    assert bad_id["data"]["dismissAlerts"]["dismissedAlertIds"] is None
    assert [e["__typename"] for e in bad_id["data"]["dismissAlerts"]["errors"]] == \
        ["ValidationError"]
    too_many = await gql(api, bulk, analyst, input={
        "alertIds": [str(uuid.uuid4()) for _ in range(401)], "reason": "OTHER"})
    assert [e["__typename"] for e in too_many["data"]["dismissAlerts"]["errors"]] == \
        ["ValidationError"]
    refused = await gql(api, bulk, api.admin_token(), input={"alertIds": [second["id"]],
                                                             "reason": "OTHER"})
    assert [e["__typename"] for e in refused["data"]["dismissAlerts"]["errors"]] == \
        ["ForbiddenError"]


async def test_triage_settings_and_dashboard(api: Api) -> None:
    analyst = api.token("Analyst")
    current = await gql(api, "{ triageSettings { slaHours { high medium low } updatedAt } }",
                        analyst)
    hours = current["data"]["triageSettings"]["slaHours"]
    assert all(isinstance(v, int) and v >= 1 for v in hours.values())
    update = f"""mutation($input: UpdateTriageSettingsInput!) {{
        updateTriageSettings(input: $input) {{
            triageSettings {{ slaHours {{ high medium low }} updatedAt }} {ERRORS} }} }}"""
    # The same hours again (other tests' alerts keep their due times), as an Admin.
    same = await gql(api, update, api.admin_token(), input={"slaHours": hours})
    payload = same["data"]["updateTriageSettings"]
    assert payload["errors"] == [] and payload["triageSettings"]["slaHours"] == hours
    assert payload["triageSettings"]["updatedAt"]
    zero = await gql(api, update, api.admin_token(), input={"slaHours": {**hours, "high": 0}})
    errors = zero["data"]["updateTriageSettings"]["errors"]
    assert [e["__typename"] for e in errors] == ["ValidationError"]
    assert any("high" in f["field"] for f in errors[0]["fields"]), errors
    refused = await gql(api, update, analyst, input={"slaHours": hours})
    assert [e["__typename"] for e in refused["data"]["updateTriageSettings"]["errors"]] == \
        ["ForbiddenError"]

    dashboard = await gql(api, """{ triageDashboard(bucket: WEEK) { from to bucket
        alerts { total bySeverity { severity count } }
        openAlertsOverTime { end open } openCasesOverTime { open }
        timeToTriage { count meanSeconds } timeToResolve { count meanSeconds }
        sla { breachedNow breachedBeforeTriage triagedWithinSla } } }""", api.admin_token())
    assert "errors" not in dashboard, dashboard
    board = dashboard["data"]["triageDashboard"]
    assert board["bucket"] == "WEEK" and board["openAlertsOverTime"]
    # The last 30 days, from the Monday of the first week.
    span = datetime.fromisoformat(board["to"]) - datetime.fromisoformat(board["from"])
    assert timedelta(days=30) <= span < timedelta(days=38)
    assert codes(await gql(api, "{ triageDashboard { bucket } }",
                           api.token("Auditor"))) == ["FORBIDDEN"]


async def test_risk_level_and_risk_score_of_a_person(api: Api, policy: dict) -> None:
    alert = await fresh_alert(api, policy)
    subject = alert["subject_id"]
    admin, analyst = api.admin_token(), api.token("Analyst")
    level_of = {"high": "ELEVATED", "medium": "MODERATE", "low": "MINOR"}[alert["severity"]]
    query = """query($subject: ID!) {
        riskLevel(subjectId: $subject) { subjectId alias level rule sourceType sourceId
                                         expiresAt policies { id } alert { id } case { id } }
        riskLevels(subjectId: $subject) { edges { node { level } } } }"""
    got = await gql(api, query, analyst, subject=gid("Person", subject))
    assert "errors" not in got, got
    level = got["data"]["riskLevel"]
    assert level["level"] == level_of and level["rule"] == f"ALERT_{alert['severity'].upper()}"
    assert level["sourceType"] == "ALERT" and level["sourceId"] == gid("Alert", alert["id"])
    assert level["alert"] == {"id": gid("Alert", alert["id"])} and level["case"] is None
    assert level["policies"] == [{"id": gid("Policy", policy["id"])}]
    assert got["data"]["riskLevels"]["edges"] == [{"node": {"level": level_of}}]
    # An Admin reads levels, but not the alert behind one: that field alone is refused.
    as_admin = await gql(api, query, admin, subject=subject)
    assert as_admin["data"]["riskLevel"]["level"] == level_of
    assert as_admin["data"]["riskLevel"]["alert"] is None
    assert codes(as_admin) == ["FORBIDDEN"]
    assert as_admin["errors"][0]["path"] == ["riskLevel", "alert"]

    settings = await gql(api, """{ riskLevelSettings { expiryDays alertStatuses
        elevatedSeverities confirmedViolationLevel } }""", admin)
    assert "errors" not in settings, settings
    assert settings["data"]["riskLevelSettings"]["expiryDays"] > 0
    assert codes(await gql(api, "{ riskLevelSettings { expiryDays } }", analyst)) == \
        ["FORBIDDEN"]
    clash = await gql(api, f"""mutation {{ updateRiskLevelSettings(input: {{
        elevatedSeverities: [HIGH], moderateSeverities: [HIGH] }}) {{
        riskLevelSettings {{ expiryDays }} {ERRORS} }} }}""", admin)
    payload = clash["data"]["updateRiskLevelSettings"]
    assert payload["riskLevelSettings"] is None
    assert [e["__typename"] for e in payload["errors"]] == ["ValidationError"]

    score = await gql(api, """query($subject: ID!) { riskScore(subjectId: $subject) {
        subjectId alias highImpact violations
        scores { policyName score severity version contributions { kind points }
                 policy { id } } } }""", analyst, subject=subject)
    assert "errors" not in score, score
    mine = [s for s in score["data"]["riskScore"]["scores"]
            if s["policy"]["id"] == gid("Policy", policy["id"])]
    assert mine and mine[0]["score"] >= alert["score"]
    assert mine[0]["severity"] == alert["severity"].upper()
    assert sum(c["points"] for c in mine[0]["contributions"]) >= mine[0]["score"]
    assert codes(await gql(api, """query($s: ID!) { riskScore(subjectId: $s) { alias } }""",
                           admin, s=subject)) == ["FORBIDDEN"]
    unknown = await gql(api, """query($s: ID!) { riskLevel(subjectId: $s) { level } }""",
                        analyst, s="not-an-id")
    assert codes(unknown) == ["BAD_USER_INPUT"]


async def _until(what, within: float = 20) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if got := await what():
            return got
        await asyncio.sleep(0.2)
    raise AssertionError("never happened")


async def test_suppressions_and_benign_marks(api: Api, policy: dict) -> None:
    actor = person_email()
    subject = subject_of(api, actor)["subject_id"]
    add_to_scope(api, policy, subject)
    story = departing_story(actor)
    ingest(api, story)
    alert = await wait_for_alert(api, policy["id"], subject)
    analyst, investigator = api.token("Analyst"), api.token("Investigator")
    now = datetime.now(UTC)
    create = f"""mutation($input: CreateSuppressionInput!) {{ createSuppression(input: $input) {{
        suppression {{ id rawId state activityTypes until alertId alert {{ id }}
                      person {{ alias }} periods {{ start end }} }} {ERRORS} }} }}"""
    made = await gql(api, create, analyst, input={
        "subjectId": gid("Person", subject), "activityTypes": ["device.file_printed"],
        "until": (now + timedelta(days=2)).isoformat(), "reason": "Approved print run",
        "alertId": gid("Alert", alert["id"])})
    payload = made["data"]["createSuppression"]
    assert payload["errors"] == [], payload
    rule = payload["suppression"]
    assert rule["id"] == gid("Suppression", rule["rawId"]) and rule["state"] == "ACTIVE"
    assert rule["alertId"] == rule["alert"]["id"] == gid("Alert", alert["id"])
    assert rule["person"]["alias"] == alert["alias"] and len(rule["periods"]) == 1
    fetched = await gql(api, """query($id: ID!, $s: ID!) {
        node(id: $id) { ... on Suppression { rawId reason } }
        suppressions(subjectId: $s, state: ACTIVE) { edges { node { id } } } }""",
        analyst, id=rule["id"], s=subject)
    assert fetched["data"]["node"] == {"rawId": rule["rawId"], "reason": "Approved print run"}
    assert [e["node"]["id"] for e in fetched["data"]["suppressions"]["edges"]] == [rule["id"]]
    past = await gql(api, create, analyst, input={
        "subjectId": subject, "activityTypes": ["device.file_printed"],
        "until": (now - timedelta(days=1)).isoformat(), "reason": "too late"})
    assert [e["__typename"] for e in past["data"]["createSuppression"]["errors"]] == \
        ["ValidationError"]
    refused = await gql(api, create, api.admin_token(), input={
        "subjectId": subject, "activityTypes": ["device.file_printed"],
        "until": (now + timedelta(days=1)).isoformat(), "reason": "admin"})
    assert [e["__typename"] for e in refused["data"]["createSuppression"]["errors"]] == \
        ["ForbiddenError"]

    review = f"""mutation($input: ReviewSuppressionInput!) {{ reviewSuppression(input: $input) {{
        suppression {{ state }} {ERRORS} }} }}"""
    early = await gql(api, review, analyst, input={"suppressionId": rule["id"],
                                                   "decision": "END", "comment": "done"})
    assert early["data"]["reviewSuppression"]["errors"][0]["__typename"] == "ConflictError"
    end = f"""mutation($input: EndSuppressionInput!) {{ endSuppression(input: $input) {{
        suppression {{ state endedAt }} {ERRORS} }} }}"""
    ended = await gql(api, end, analyst, input={"suppressionId": rule["id"],
                                                "comment": "print run over"})
    assert ended["data"]["endSuppression"]["errors"] == []
    assert ended["data"]["endSuppression"]["suppression"]["state"] == "ENDED"
    twice = await gql(api, end, analyst, input={"suppressionId": rule["id"]})
    assert twice["data"]["endSuppression"]["errors"] == [{
        "__typename": "ConflictError", "code": twice["data"]["endSuppression"]["errors"][0]
        ["code"], "message": twice["data"]["endSuppression"]["errors"][0]["message"],
        "currentStatus": "ended"}]
    wrong_kind = await gql(api, end, analyst, input={"suppressionId": gid("Alert",
                                                                          alert["id"])})
    assert [e["__typename"] for e in wrong_kind["data"]["endSuppression"]["errors"]] == \
        ["ValidationError"]

    # Benign marks: an Investigator's tool.
    usb = sorted(e["id"] for e in story if e["type"] == "device.file_copied_to_usb")[:2]
    mark = f"""mutation($input: MarkActivitiesBenignInput!) {{
        markActivitiesBenign(input: $input) {{ marked {{ eventId reason markedBy }}
                                              alreadyMarked {ERRORS} }} }}"""
    marked = await gql(api, mark, investigator, input={"subjectId": subject,
                                                       "eventIds": usb, "reason": "backup"})
    result = marked["data"]["markActivitiesBenign"]
    assert result["errors"] == [], result
    assert sorted(m["eventId"] for m in result["marked"]) == usb
    assert result["alreadyMarked"] == []
    again = await gql(api, mark, investigator, input={"subjectId": subject,
                                                      "eventIds": usb[:1], "reason": "backup"})
    assert again["data"]["markActivitiesBenign"]["alreadyMarked"] == usb[:1]
    foreign = await gql(api, mark, investigator, input={"subjectId": subject,
                                                        "eventIds": ["t-not-theirs"],
                                                        "reason": "backup"})
    assert [e["__typename"] for e in foreign["data"]["markActivitiesBenign"]["errors"]] == \
        ["ValidationError"]
    as_analyst = await gql(api, mark, analyst, input={"subjectId": subject, "eventIds": usb,
                                                      "reason": "backup"})
    assert [e["__typename"] for e in as_analyst["data"]["markActivitiesBenign"]["errors"]] \
        == ["ForbiddenError"]
    listed = await gql(api, """query($s: ID!) { benignActivities(subjectId: $s) {
        edges { node { eventId subjectId } } } }""", investigator, s=subject)
    assert sorted(e["node"]["eventId"] for e in listed["data"]["benignActivities"]["edges"]) \
        == usb

    async def excluded() -> list[dict]:
        got = await gql(api, """query($s: ID!) { excludedEvents(subjectId: $s, first: 1) {
            edges { cursor node { eventId kind type benignMarkId suppressionId } }
            pageInfo { hasNextPage endCursor } } }""", analyst, s=subject)
        edges = got["data"]["excludedEvents"]["edges"]
        if not edges:
            return []
        rest = await gql(api, """query($s: ID!, $after: String) {
            excludedEvents(subjectId: $s, after: $after) { edges { node { eventId } } } }""",
            analyst, s=subject, after=edges[0]["cursor"])
        return [edges[0]["node"], *(e["node"] for e in rest["data"]["excludedEvents"]["edges"])]

    events = await _until(excluded)
    assert sorted(e["eventId"] for e in events) == usb
    assert events[0]["kind"] == "BENIGN" and events[0]["benignMarkId"]
    assert events[0]["suppressionId"] is None

    unmark = f"""mutation($input: UnmarkActivityBenignInput!) {{
        unmarkActivityBenign(input: $input) {{ eventId {ERRORS} }} }}"""
    undone = await gql(api, unmark, investigator, input={"subjectId": subject,
                                                         "eventId": usb[0]})
    assert undone["data"]["unmarkActivityBenign"] == {"eventId": usb[0], "errors": []}
    gone = await gql(api, unmark, investigator, input={"subjectId": subject,
                                                       "eventId": usb[0]})
    assert [e["__typename"] for e in gone["data"]["unmarkActivityBenign"]["errors"]] == \
        ["NotFoundError"]
