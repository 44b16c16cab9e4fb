"""Policies and scoring administration through the gateway: a policy's lifecycle (scope,
update, activation, people added by hand, health), priority user groups, global settings and
their versions, what-if replays followed to the end, and the typed errors of each."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.factories import (
    add_to_scope,
    deactivate_policy,
    departing_story,
    enable_indicators,
    ingest,
    people_policy,
    person_email,
    subject_of,
    wait_for_score,
)
from tests.gateway.test_graphql import codes, gql

ERRORS = "errors { __typename ... on DomainError { code message } " \
         "... on ValidationError { fields { field reason } } " \
         "... on ConflictError { currentStatus } }"
POLICY = """id rawId name template description active alertThreshold boosters
    priorityContent scope { kind subjectIds groups priorityGroupIds }
    indicators { key mode thresholds }"""


async def _mutate(api: Api, field: str, input_type: str, selection: str, token: str, /,
                  **input: Any) -> dict:
    """One mutation with `input`; its payload (no top-level error allowed)."""
    result = await gql(api, f"""mutation($input: {input_type}!) {{
        {field}(input: $input) {{ {selection} {ERRORS} }} }}""", token, input=input)
    assert "errors" not in result, result
    return result["data"][field]


def _person() -> str:
    return person_email()


async def test_policy_lifecycle_through_graphql(api: Api) -> None:
    admin, analyst = api.admin_token(), api.token("Analyst")
    enable_indicators(api)
    subject = subject_of(api, _person())["subject_id"]
    other = subject_of(api, _person())["subject_id"]
    name = f"GraphQL policy {uuid.uuid4().hex[:8]}"
    made = await _mutate(
        api, "createPolicy", "CreatePolicyInput", f"policy {{ {POLICY} }}", admin,
        name=name, template="data_theft_departing_users", active=False, boosters=[],
        description="made through GraphQL", priorityContent=["SITES"],
        scope={"kind": "PEOPLE", "people": [subject]},
        indicators=[{"key": "usb_copy", "thresholds": [1, 5, 10]}, {"key": "cloud_upload"}])
    assert made["errors"] == []
    policy = made["policy"]
    assert policy["name"] == name and policy["active"] is False
    assert policy["scope"] == {"kind": "PEOPLE", "subjectIds": [subject], "groups": [],
                               "priorityGroupIds": []}
    assert policy["priorityContent"] == ["SITES"] and policy["boosters"] == []
    usb, cloud = policy["indicators"]
    assert usb == {"key": "usb_copy", "mode": "CUSTOM", "thresholds": [1, 5, 10]}
    assert cloud["key"] == "cloud_upload" and cloud["mode"] == "DEFAULT"
    assert len(cloud["thresholds"]) == 3  # the indicator's defaults, as scored

    # The same name again is a conflict; a bad threshold a validation error naming the field.
    again = await _mutate(api, "createPolicy", "CreatePolicyInput", "policy { id }", admin,
                          name=name, template="data_theft_departing_users",
                          scope={"kind": "PEOPLE", "people": [subject]}, active=False)
    assert again["policy"] is None
    assert again["errors"][0]["__typename"] == "ConflictError"
    assert again["errors"][0]["code"] == "policy_name_taken"
    bad = await _mutate(api, "createPolicy", "CreatePolicyInput", "policy { id }", admin,
                        name=f"{name} bad", template="data_theft_departing_users",
                        alertThreshold=0, active=False)
    assert bad["policy"] is None and bad["errors"][0]["__typename"] == "ValidationError"
    assert "alert_threshold" in {f["field"].split(".")[-1] for f in bad["errors"][0]["fields"]}

    # An Analyst reads it (with its health) but may not change it.
    read = await gql(api, """query($id: ID!) { policy(id: $id) { name active
        health { status reasons { level code message } } } }""", analyst, id=policy["id"])
    assert read["data"]["policy"]["name"] == name
    health = read["data"]["policy"]["health"]
    assert health["status"] in ("RECOMMENDATIONS", "WARNINGS")
    assert {"level": "RECOMMENDATION", "code": "inactive"} in [
        {k: r[k] for k in ("level", "code")} for r in health["reasons"]]
    refused = await _mutate(api, "updatePolicy", "UpdatePolicyInput", "policy { id }",
                            analyst, policyId=policy["id"], alertThreshold=50)
    assert refused == {"policy": None, "errors": [
        {"__typename": "ForbiddenError", "code": refused["errors"][0]["code"],
         "message": refused["errors"][0]["message"]}]}

    # Update: the given fields change, the others stay.
    updated = await _mutate(api, "updatePolicy", "UpdatePolicyInput", f"policy {{ {POLICY} }}",
                            admin, policyId=policy["id"], alertThreshold=45,
                            scope={"kind": "PEOPLE", "people": [subject, other]})
    assert updated["errors"] == []
    assert updated["policy"]["alertThreshold"] == 45
    assert updated["policy"]["description"] == "made through GraphQL"
    assert sorted(updated["policy"]["scope"]["subjectIds"]) == sorted([subject, other])
    # An id of another type is refused in the payload, naming the input field.
    wrong = await _mutate(api, "updatePolicy", "UpdatePolicyInput", "policy { id }", admin,
                          policyId=_global("Replay", str(uuid.uuid4())), alertThreshold=45)
    assert wrong["errors"][0]["__typename"] == "ValidationError"
    assert wrong["errors"][0]["fields"] == [{"field": "policyId",
                                             "reason": wrong["errors"][0]["message"]}]

    on = await _mutate(api, "activatePolicy", "PolicyIdInput", "policy { active }", admin,
                       policyId=policy["id"])
    assert on == {"policy": {"active": True}, "errors": []}
    listed = await gql(api, """query { policies(active: true, first: 200) {
        nodes { id } } }""", analyst)
    assert policy["id"] in {p["id"] for p in listed["data"]["policies"]["nodes"]}
    off = await _mutate(api, "deactivatePolicy", "PolicyIdInput", "policy { active }", admin,
                        policyId=policy["id"])
    assert off == {"policy": {"active": False}, "errors": []}
    inactive = await gql(api, """query { policies(active: false, template:
        "data_theft_departing_users", first: 200) { nodes { id active template } } }""", admin)
    nodes = inactive["data"]["policies"]["nodes"]
    assert policy["id"] in {p["id"] for p in nodes} and not any(p["active"] for p in nodes)

    # A person added by hand, listed with their alias, then removed.
    added = await _mutate(api, "addPolicyMember", "AddPolicyMemberInput",
                          "member { memberId subjectId reason active startsOn until "
                          "policy { id } person { alias } }", admin,
                          policyId=policy["id"], subjectId=other, reason="Reported by HR",
                          days=5)
    member = added["member"]
    assert added["errors"] == [] and member["active"] is True
    assert member["subjectId"] == other and member["policy"]["id"] == policy["id"]
    assert member["person"]["alias"]
    assert (datetime.fromisoformat(member["until"]) - datetime.fromisoformat(
        member["startsOn"])).days == 5
    members = await gql(api, """query($id: ID!) { policy(id: $id) {
        members(first: 10) { nodes { memberId subjectId } } } }""", analyst, id=policy["id"])
    assert members["data"]["policy"]["members"]["nodes"] == [
        {"memberId": member["memberId"], "subjectId": other}]
    short = await _mutate(api, "addPolicyMember", "AddPolicyMemberInput", "member { active }",
                          admin, policyId=policy["id"], subjectId=other, reason="no")
    assert short["errors"][0]["__typename"] == "ValidationError"
    removed = await _mutate(api, "removePolicyMember", "RemovePolicyMemberInput",
                            "member { memberId active }", admin, policyId=policy["id"],
                            memberId=member["memberId"])
    assert removed == {"member": {"memberId": member["memberId"], "active": False},
                       "errors": []}
    gone = await _mutate(api, "removePolicyMember", "RemovePolicyMemberInput",
                         "member { active }", admin, policyId=policy["id"],
                         memberId=str(uuid.uuid4()))
    assert gone["errors"][0]["__typename"] == "NotFoundError"

    deleted = await _mutate(api, "deletePolicy", "PolicyIdInput", "deletedPolicyId", admin,
                            policyId=policy["id"])
    assert deleted == {"deletedPolicyId": policy["id"], "errors": []}
    after = await gql(api, "query($id: ID!) { policy(id: $id) { id } }", admin,
                      id=policy["id"])
    assert codes(after) == ["NOT_FOUND"] and after["data"] is None


def _global(type_name: str, key: str) -> str:
    import base64

    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


async def test_catalogues_and_indicator_switch(api: Api) -> None:
    admin, analyst = api.admin_token(), api.token("Analyst")
    enable_indicators(api)
    boosters = await gql(api, """{ indicators(kind: BOOSTER, first: 200) {
        nodes { key kind enabled defaultThresholds } } }""", admin)
    nodes = boosters["data"]["indicators"]["nodes"]
    assert nodes and all(n["kind"] == "BOOSTER" for n in nodes)
    device = await gql(api, """{ indicators(group: "device", first: 2) {
        pageInfo { hasNextPage endCursor } nodes { key group defaultByteThresholds } } }""",
                       admin)
    page = device["data"]["indicators"]
    assert len(page["nodes"]) == 2 and page["pageInfo"]["hasNextPage"] is True
    usb = await gql(api, """{ indicators(group: "device", first: 200) {
        nodes { key defaultByteThresholds } } }""", admin)
    assert any(n["defaultByteThresholds"] for n in usb["data"]["indicators"]["nodes"])
    # Enabled indicators in use cannot be disabled: a conflict in the payload.
    used = people_policy(api)
    try:
        key = used["indicators"][0]["key"]
        refused = await _mutate(api, "setIndicatorEnabled", "SetIndicatorEnabledInput",
                                "indicator { key enabled }", admin, key=key, enabled=False)
        assert refused["indicator"] is None
        assert refused["errors"][0]["__typename"] == "ConflictError"
        same = await _mutate(api, "setIndicatorEnabled", "SetIndicatorEnabledInput",
                             "indicator { key enabled }", admin, key=key, enabled=True)
        assert same == {"indicator": {"key": key, "enabled": True}, "errors": []}
    finally:
        deactivate_policy(api, used["id"])
    unknown = await _mutate(api, "setIndicatorEnabled", "SetIndicatorEnabledInput",
                            "indicator { key }", admin, key="no_such_indicator", enabled=True)
    assert unknown["errors"][0]["__typename"] == "NotFoundError"
    assert codes(await gql(api, "{ indicators { nodes { key } } }", analyst)) == ["FORBIDDEN"]

    sequences = await gql(api, "{ sequences { nodes { key name steps withinDays builtIn } } }",
                          admin)
    built_in = [s for s in sequences["data"]["sequences"]["nodes"] if s["builtIn"]]
    assert built_in and all(len(s["steps"]) >= 2 for s in built_in)
    templates = await gql(api, """{ templates { key prerequisites supportsSequences
        defaultAlertThreshold } }""", analyst)
    departing = next(t for t in templates["data"]["templates"]
                     if t["key"] == "data_theft_departing_users")
    assert "hr" in departing["prerequisites"] and departing["defaultAlertThreshold"] >= 1

    overview = await gql(api, """{ analytics(days: 7) { start end minGroupSize peopleActive
        topActivityTypes { type events people } departmentsSuppressed } }""", analyst)
    data = overview["data"]["analytics"]
    assert (datetime.fromisoformat(data["end"]) - datetime.fromisoformat(data["start"])).days \
        == 6
    assert data["minGroupSize"] >= 2
    too_long = await gql(api, "{ analytics(days: 365) { start } }", analyst)
    assert codes(too_long) == ["BAD_USER_INPUT"]

    subject = subject_of(api, _person())["subject_id"]
    attributes = await _mutate(api, "setSubjectAttributes", "SetSubjectAttributesInput",
                               "attributes { subjectId department highImpact violations }",
                               admin, subjectId=subject, department="Finance", highImpact=True)
    assert attributes == {"attributes": {"subjectId": subject, "department": "Finance",
                                         "highImpact": True, "violations": 0}, "errors": []}
    analyst_try = await _mutate(api, "setSubjectAttributes", "SetSubjectAttributesInput",
                                "attributes { subjectId }", analyst, subjectId=subject)
    assert analyst_try["errors"][0]["__typename"] == "ForbiddenError"


async def test_priority_groups_through_graphql(api: Api) -> None:
    admin, analyst = api.admin_token(), api.token("Analyst")
    enable_indicators(api)
    first, second = (subject_of(api, _person())["subject_id"] for _ in range(2))
    name = f"Executives {uuid.uuid4().hex[:8]}"
    made = await _mutate(api, "createPriorityGroup", "CreatePriorityGroupInput",
                         "priorityGroup { id rawId name description memberIds reviewers }",
                         admin, name=name, description="Board", members=[first])
    assert made["errors"] == []
    group = made["priorityGroup"]
    assert group["name"] == name and group["memberIds"] == [first]
    taken = await _mutate(api, "createPriorityGroup", "CreatePriorityGroupInput",
                          "priorityGroup { id }", admin, name=name)
    assert taken["errors"][0]["__typename"] == "ConflictError"

    updated = await _mutate(api, "updatePriorityGroup", "UpdatePriorityGroupInput",
                            "priorityGroup { description memberIds }", admin,
                            priorityGroupId=group["id"], description="Board and officers",
                            members=[first, second])
    assert updated["priorityGroup"]["description"] == "Board and officers"
    assert sorted(updated["priorityGroup"]["memberIds"]) == sorted([first, second])
    read = await gql(api, """query($id: ID!) { priorityGroup(id: $id) { name
        members(first: 1) { pageInfo { hasNextPage } nodes { rawId alias } } } }""",
                     admin, id=group["id"])
    people = read["data"]["priorityGroup"]["members"]
    assert people["pageInfo"]["hasNextPage"] is True
    assert people["nodes"][0]["rawId"] in (first, second) and people["nodes"][0]["alias"]
    by_node = await gql(api, "query($id: ID!) { node(id: $id) { ... on PriorityGroup { name } } }",
                        admin, id=group["id"])
    assert by_node["data"]["node"] == {"name": name}
    listed = await gql(api, "{ priorityGroups(first: 200) { nodes { id } } }", admin)
    assert group["id"] in {g["id"] for g in listed["data"]["priorityGroups"]["nodes"]}
    assert codes(await gql(api, "{ priorityGroups { nodes { id } } }", analyst)) == \
        ["FORBIDDEN"]

    # A policy scoped to the group holds it: deleting it is a conflict until the policy goes.
    policy = await _mutate(
        api, "createPolicy", "CreatePolicyInput", "policy { id scope { priorityGroupIds } }",
        admin, name=f"Priority {uuid.uuid4().hex[:8]}", template="data_leaks_priority_users",
        active=False, boosters=[], scope={"kind": "PRIORITY_GROUPS",
                                          "priorityGroups": [group["id"]]})
    assert policy["errors"] == [], policy
    assert policy["policy"]["scope"]["priorityGroupIds"] == [group["id"]]
    held = await _mutate(api, "deletePriorityGroup", "DeletePriorityGroupInput",
                         "deletedPriorityGroupId", admin, priorityGroupId=group["id"])
    assert held["errors"][0]["__typename"] == "ConflictError"
    await _mutate(api, "deletePolicy", "PolicyIdInput", "deletedPolicyId", admin,
                  policyId=policy["policy"]["id"])
    deleted = await _mutate(api, "deletePriorityGroup", "DeletePriorityGroupInput",
                            "deletedPriorityGroupId", admin, priorityGroupId=group["id"])
    assert deleted == {"deletedPriorityGroupId": group["id"], "errors": []}
    assert codes(await gql(api, "query($id: ID!) { priorityGroup(id: $id) { id } }", admin,
                           id=group["id"])) == ["NOT_FOUND"]


SETTINGS = "version createdBy settings { analyticsMinGroupSize enabledIndicators " \
           "timeframes { activationDays pastDays } detections { alertVolume } }"


async def test_settings_update_and_versions(api: Api) -> None:
    admin, analyst = api.admin_token(), api.token("Analyst")
    before = (await gql(api, f"{{ settings {{ {SETTINGS} }} }}", admin))["data"]["settings"]
    size = before["settings"]["analyticsMinGroupSize"]
    changed = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                            f"settings {{ {SETTINGS} }}", admin,
                            expectedVersion=before["version"],
                            analyticsMinGroupSize=size + 1)
    try:
        assert changed["errors"] == []
        now = changed["settings"]
        assert now["version"] == before["version"] + 1
        assert now["settings"] == {**before["settings"], "analyticsMinGroupSize": size + 1}
        assert now["createdBy"]

        versions = await gql(api, """{ settingsVersions(first: 2) {
            pageInfo { hasNextPage endCursor } nodes { version settings {
              analyticsMinGroupSize } } } }""", admin)
        nodes = versions["data"]["settingsVersions"]["nodes"]
        assert [v["version"] for v in nodes] == [now["version"], before["version"]]
        assert nodes[1]["settings"]["analyticsMinGroupSize"] == size
        page = versions["data"]["settingsVersions"]["pageInfo"]
        if page["hasNextPage"]:
            rest = await gql(api, """query($after: String) { settingsVersions(first: 1,
                after: $after) { nodes { version } } }""", admin, after=page["endCursor"])
            assert rest["data"]["settingsVersions"]["nodes"][0]["version"] == \
                before["version"] - 1
        old = await gql(api, "query($v: Int!) { settingsVersion(version: $v) { version "
                        "settings { analyticsMinGroupSize } } }", admin, v=before["version"])
        assert old["data"]["settingsVersion"] == {
            "version": before["version"], "settings": {"analyticsMinGroupSize": size}}
        missing = await gql(api, "{ settingsVersion(version: 2000000000) { version } }", admin)
        assert codes(missing) == ["NOT_FOUND"]

        stale = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                              "settings { version }", admin, expectedVersion=before["version"],
                              analyticsMinGroupSize=size)
        assert stale["settings"] is None
        assert stale["errors"][0]["__typename"] == "ConflictError"
        assert stale["errors"][0]["currentStatus"] == f"version {now['version']}"
        invalid = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                                "settings { version }", admin, analyticsMinGroupSize=1)
        assert invalid["errors"][0]["__typename"] == "ValidationError"
        assert invalid["errors"][0]["fields"]
        unknown = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                                "settings { version }", admin,
                                enabledIndicators=[*before["settings"]["enabledIndicators"],
                                                   "no_such_indicator"])
        assert unknown["errors"][0]["__typename"] == "ValidationError"
        assert unknown["errors"][0]["fields"][0]["field"] == "enabled_indicators"
        refused = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                                "settings { version }", analyst, analyticsMinGroupSize=size)
        assert refused["errors"][0]["__typename"] == "ForbiddenError"
        assert codes(await gql(api, "{ settings { version } }", analyst)) == ["FORBIDDEN"]
    finally:
        restored = await _mutate(api, "updateSettings", "UpdateSettingsInput",
                                 "settings { settings { analyticsMinGroupSize } }", admin,
                                 analyticsMinGroupSize=size)
        assert restored["errors"] == []


REPLAY = """id rawId state progress finished policyName start end peopleTotal peopleDone
    eventsRead error policy { id } result { alertCount peopleInScope eventsRead
      bySeverity { severity count }
      alerts(first: 10) { nodes { subjectId alias score severity person { alias }
        explanation { contributions { indicator count level points } } } } }"""


async def _finished(api: Api, replay_id: str) -> dict:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        result = await gql(api, f"query($id: ID!) {{ replay(id: $id) {{ {REPLAY} }} }}",
                           api.admin_token(), id=replay_id)
        assert "errors" not in result, result
        if result["data"]["replay"]["finished"]:
            return result["data"]["replay"]
        await asyncio.sleep(0.3)
    raise AssertionError("the replay did not finish")


async def test_a_replay_followed_to_its_result(api: Api) -> None:
    admin, analyst = api.admin_token(), api.token("Analyst")
    enable_indicators(api)
    # A person's story, stored and scored under a live policy that cannot alert.
    actor = _person()
    subject = subject_of(api, actor)["subject_id"]
    live = people_policy(api, alert_threshold=100)
    try:
        add_to_scope(api, live, subject)
        ingest(api, departing_story(actor, usb=12, cloud=0))
        await wait_for_score(api, live["id"], subject, lambda s: s["score"] > 0)
    finally:
        deactivate_policy(api, live["id"])
    today = datetime.now(UTC).date()
    started = await _mutate(
        api, "startReplay", "StartReplayInput", "replay { id state progress policyName }",
        admin, start=(today - timedelta(days=10)).isoformat(), end=today.isoformat(),
        policy={"name": "Tighter USB", "template": "data_theft_departing_users",
                "boosters": [], "alertThreshold": 30,
                "indicators": [{"key": "usb_copy", "thresholds": [1, 5, 10]}],
                "scope": {"kind": "PEOPLE", "people": [subject]}})
    assert started["errors"] == []
    assert started["replay"]["state"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    assert started["replay"]["policyName"] == "Tighter USB"

    replay = await _finished(api, started["replay"]["id"])
    assert replay["state"] == "SUCCEEDED" and replay["progress"] == 1.0
    assert replay["error"] is None and replay["policy"] is None  # a draft
    assert replay["peopleTotal"] == replay["peopleDone"] >= 1  # everyone with history
    result = replay["result"]
    assert result["peopleInScope"] == 1 and result["alertCount"] == 1
    assert {c["severity"]: c["count"] for c in result["bySeverity"]} == {
        "HIGH": 0, "MEDIUM": 0, "LOW": 1}
    [alert] = result["alerts"]["nodes"]
    assert alert["subjectId"] == subject and alert["score"] == 35
    assert alert["severity"] == "LOW" and alert["person"]["alias"] == alert["alias"]
    assert [(c["indicator"], c["count"], c["level"]) for c in
            alert["explanation"]["contributions"]] == [("usb_copy", 12, "HIGH")]

    listed = await gql(api, """{ replays(state: SUCCEEDED, first: 200) {
        nodes { id policyName peopleTotal } } }""", admin)
    mine = [r for r in listed["data"]["replays"]["nodes"] if r["id"] == replay["id"]]
    # A list entry fetches the detail it lacks (peopleTotal) when asked for it.
    assert mine == [{"id": replay["id"], "policyName": "Tighter USB",
                     "peopleTotal": replay["peopleTotal"]}]
    by_node = await gql(api, "query($id: ID!) { node(id: $id) { ... on Replay { state } } }",
                        admin, id=replay["id"])
    assert by_node["data"]["node"] == {"state": "SUCCEEDED"}

    # Finished: cancelling is a conflict with the state it is in.
    late = await _mutate(api, "cancelReplay", "CancelReplayInput", "replay { state }", admin,
                         replayId=replay["id"])
    assert late["replay"] is None
    assert late["errors"][0]["__typename"] == "ConflictError"
    assert late["errors"][0]["currentStatus"] == "succeeded"
    # Exactly one of policyId and policy: otherwise a validation error.
    neither = await _mutate(api, "startReplay", "StartReplayInput", "replay { id }", admin,
                            start=today.isoformat(), end=today.isoformat())
    assert neither["replay"] is None
    assert neither["errors"][0]["__typename"] == "ValidationError"
    refused = await _mutate(api, "startReplay", "StartReplayInput", "replay { id }", analyst,
                            start=today.isoformat(), end=today.isoformat(),
                            policy={"template": "data_theft_departing_users"})
    assert refused["errors"][0]["__typename"] == "ForbiddenError"
    assert codes(await gql(api, "{ replays { nodes { id } } }", analyst)) == ["FORBIDDEN"]


async def test_a_replay_of_an_existing_policy_with_draft_settings_can_be_cancelled(
        api: Api) -> None:
    admin = api.admin_token()
    live = people_policy(api, alert_threshold=100)
    deactivate_policy(api, live["id"])
    today = datetime.now(UTC).date()
    started = await _mutate(
        api, "startReplay", "StartReplayInput", "replay { id state policy { rawId } }", admin,
        policyId=live["id"], start=(today - timedelta(days=399)).isoformat(),
        end=today.isoformat(), settings={"detections": {"excludedKeywords": ["payroll"]}})
    assert started["errors"] == [], started
    assert started["replay"]["policy"] == {"rawId": live["id"]}
    cancelled = await _mutate(api, "cancelReplay", "CancelReplayInput", "replay { state }",
                              admin, replayId=started["replay"]["id"])
    if cancelled["errors"]:  # it finished first: a conflict naming how it ended
        assert cancelled["errors"][0]["__typename"] == "ConflictError"
    else:
        assert cancelled["replay"]["state"] in ("CANCELLED", "RUNNING")
        replay = await _finished(api, started["replay"]["id"])
        assert replay["state"] == "CANCELLED" and replay["result"] is None
