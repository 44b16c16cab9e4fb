"""Global settings through the real scoring service: versions, audit, validation, and what a
change does to scores (aggregates rebuilt from the stored signals)."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    departing_story,
    event,
    ingest,
    person_email,
    put_settings,
    settings_of,
    subject_of,
    wait_for_alert,
    wait_for_score,
)


def _indicator_rows(score: dict) -> dict[str, tuple[int, str, int]]:
    return {c["indicator"]: (c["count"], c["level"], c["points"])
            for c in score["contributions"] if c["kind"] == "indicator"}


async def test_a_change_is_a_new_audited_version(api: Api, http: httpx.AsyncClient,
                                                 restore_settings: dict) -> None:
    before = settings_of(api)
    doc = {**restore_settings, "analytics_min_group_size": 7}
    resp = put_settings(api, doc)
    assert resp.status_code == 200, resp.text
    after = resp.json()
    assert after["version"] == before["version"] + 1
    assert after["settings"]["analytics_min_group_size"] == 7
    same = put_settings(api, doc)  # the same document again is no new version
    assert same.json()["version"] == after["version"]
    admin = api.auth(api.admin_token())
    old = await http.get(f"{api.scoring}/settings/versions/{before['version']}", headers=admin)
    assert old.json()["settings"] == before["settings"]
    listed = (await http.get(f"{api.scoring}/settings/versions", headers=admin,
                             params={"limit": 1})).json()
    assert [v["version"] for v in listed["items"]] == [after["version"]]
    older = (await http.get(f"{api.scoring}/settings/versions", headers=admin,
                            params={"limit": 1, "cursor": listed["next_cursor"]})).json()
    assert [v["version"] for v in older["items"]] == [before["version"]]
    rows = await audit_rows(api, "settings.update", f"settings:{after['version']}")
    assert rows[0]["detail"]["before"]["analytics_min_group_size"] == \
        before["settings"]["analytics_min_group_size"]
    assert rows[0]["detail"]["after"]["analytics_min_group_size"] == 7
    missing = await http.get(f"{api.scoring}/settings/versions/999999", headers=admin)
    assert missing.status_code == 404


async def test_bad_settings_are_refused_with_the_field(api: Api, restore_settings: dict) -> None:
    cases = [
        ({"detections": {"unallowed_domains": ["not a domain"]}}, "unallowed_domains"),
        ({"custom_indicators": [{"key": "custom_x", "name": "X", "category": "access",
                                 "activity_types": ["no.such_type"],
                                 "default_thresholds": [1, 2, 3]}]}, "activity_types"),
        ({"custom_indicators": [{"key": "custom_x", "name": "X", "category": "access",
                                 "activity_types": ["file.copied"],
                                 "default_thresholds": [3, 2, 1]}]}, "default_thresholds"),
        ({"timeframes": {"activation_days": 31}}, "activation_days"),
        ({"enabled_indicators": ["no_such_indicator"]}, "enabled_indicators"),
        ({"detections": {"alert_volume": "lots"}}, "alert_volume"),
    ]
    for change, field in cases:
        resp = put_settings(api, {**restore_settings, **change})
        assert resp.status_code == 422, change
        assert field in resp.text, (field, resp.text)


async def test_an_indicator_a_policy_uses_cannot_be_disabled(api: Api,
                                                             http: httpx.AsyncClient) -> None:
    policy = create_policy(api, indicators=[{"key": "usb_copy"}])
    resp = await http.put(f"{api.scoring}/indicators/usb_copy",
                          headers=api.auth(api.admin_token()), json={"enabled": False})
    assert resp.status_code == 409 and resp.json()["code"] == "setting_in_use"
    assert "usb_copy" in resp.json()["detail"] and "is used by policy" in resp.json()["detail"]
    await http.delete(f"{api.scoring}/policies/{policy['id']}",
                      headers=api.auth(api.admin_token()))


async def test_excluding_a_file_type_rebuilds_scores_and_records_the_version(
        api: Api, restore_settings: dict) -> None:
    policy = create_policy(api)
    actor = person_email()
    ext = f"x{uuid.uuid4().hex[:6]}"
    events = departing_story(actor, usb=12, cloud=3)
    for e in events:
        if e["type"] == "device.file_copied_to_usb":
            e["attributes"]["file_extension"] = ext
    ingest(api, events)
    subject = subject_of(api, actor)["subject_id"]
    await wait_for_alert(api, policy["id"], subject)
    version = put_settings(api, {**restore_settings, "detections": {
        **restore_settings["detections"], "excluded_file_types": [ext]}}).json()["version"]
    score = await wait_for_score(api, policy["id"], subject,
                                 lambda s: s["settings_version"] == version)
    assert _indicator_rows(score) == {"cloud_upload": (3, "low", 10)}
    assert score["score"] == 10


async def test_unallowed_domains_and_priority_labels_weigh_more(
        api: Api, restore_settings: dict) -> None:
    domain = f"drop-{uuid.uuid4().hex[:6]}.example"
    label = f"Secret-{uuid.uuid4().hex[:6]}"
    put_settings(api, {**restore_settings,
                       "detections": {**restore_settings["detections"],
                                      "unallowed_domains": [domain]},
                       "priority_content": {**restore_settings["priority_content"],
                                            "labels": [label]}}).raise_for_status()
    policy = create_policy(api, priority_content=["labels"])
    actor = person_email()
    events = departing_story(actor, usb=0, cloud=0)
    # 5 emails to the unallowed domain count as 10 (medium); 4 USB copies of labelled files
    # count as 8 (low, 1-9).
    events += [event(actor, "email.sent_external_with_attachment", target_domain=f"mx.{domain}")
               for _ in range(5)]
    events += [event(actor, "device.file_copied_to_usb", sensitivity_label=label,
                     file_name=f"plan-{i}.docx") for i in range(4)]
    ingest(api, events)
    subject = subject_of(api, actor)["subject_id"]
    alert = await wait_for_alert(api, policy["id"], subject)
    rows = {c["indicator"]: c for c in alert["explanation"]["contributions"]
            if c["kind"] == "indicator"}
    email, usb = rows["email_external_attachment"], rows["usb_copy"]
    assert (email["count"], email["unallowed_count"], email["weighted_count"],
            email["level"]) == (5, 5, 10, "medium")
    assert (usb["count"], usb["priority_count"], usb["weighted_count"], usb["level"]) == \
        (4, 4, 8, "low")
    assert set(alert["explanation"]["risk_factors"]) >= {"unallowed_domains",
                                                         "priority_content"}


async def test_custom_indicators_count_from_history(api: Api, restore_settings: dict) -> None:
    actor = person_email()
    tag = uuid.uuid4().hex[:6]
    events = departing_story(actor, usb=0, cloud=0)
    events += [event(actor, "chat.external_message", channel=tag) for _ in range(4)]
    ingest(api, events)
    subject = subject_of(api, actor)["subject_id"]
    key = f"custom_chat_{tag}"
    doc = {**restore_settings, "custom_indicators": [
        *restore_settings["custom_indicators"],
        {"key": key, "name": "External chat messages", "category": "exfiltration",
         "activity_types": ["chat.external_message"], "default_thresholds": [1, 3, 10]}]}
    doc["enabled_indicators"] = [*doc["enabled_indicators"], key]
    put_settings(api, doc).raise_for_status()
    policy = create_policy(api, indicators=[{"key": key}], alert_threshold=20)
    alert = await wait_for_alert(api, policy["id"], subject)
    assert [(c["indicator"], c["count"], c["level"]) for c in
            alert["explanation"]["contributions"]] == [(key, 4, "medium")]
    # Removing it while the policy uses it is refused; after the policy goes, it can go.
    assert put_settings(api, restore_settings).status_code == 409
    async with httpx.AsyncClient() as http:
        await http.delete(f"{api.scoring}/policies/{policy['id']}",
                          headers=api.auth(api.admin_token()))


async def test_endpoint_alerts_below_the_minimum_status_are_not_imported(
        api: Api, restore_settings: dict) -> None:
    put_settings(api, {**restore_settings, "detections": {
        **restore_settings["detections"], "min_endpoint_alert_status": "in_progress"}}
    ).raise_for_status()
    policy = create_policy(api, template="security_policy_violations", alert_threshold=10)
    new, worked = person_email(), person_email()
    for actor, status in ((new, "new"), (worked, "in_progress")):
        ingest(api, [event(actor, "endpoint_security.alert", severity="high", status=status),
                     event(actor, "security.antivirus_disabled")])
    alert = await wait_for_alert(api, policy["id"], subject_of(api, worked)["subject_id"])
    assert alert["explanation"]["trigger"]["kind"] == "endpoint_security.alert"
    quiet = subject_of(api, new)["subject_id"]
    async with httpx.AsyncClient() as http:
        scores = (await http.get(f"{api.scoring}/subjects/{quiet}/scores",
                                 headers=api.auth(api.token("Analyst")))).json()
    assert not [s for s in scores if s["policy_id"] == policy["id"]]


async def test_custom_sequences_are_detected(api: Api, http: httpx.AsyncClient,
                                             restore_settings: dict) -> None:
    key = f"custom_seq_{uuid.uuid4().hex[:6]}"
    doc = {**restore_settings, "custom_sequences": [
        *restore_settings["custom_sequences"],
        {"key": key, "name": "Rename then print", "within_days": 2,
         "steps": [["device.file_renamed"], ["device.file_printed"]]}]}
    put_settings(api, doc).raise_for_status()
    listed = (await http.get(f"{api.scoring}/sequences",
                             headers=api.auth(api.admin_token()))).json()
    assert {"key": key, "name": "Rename then print", "within_days": 2, "built_in": False,
            "steps": [["device.file_renamed"], ["device.file_printed"]]} in listed
    policy = create_policy(api, indicators=[{"key": "print", "thresholds": [50, 60, 70]}],
                           sequences=[key], alert_threshold=20)
    actor = person_email()
    ingest(api, [event(actor, "hr.resignation"),
                 event(actor, "device.file_renamed", path="/d/q3.xlsx"),
                 event(actor, "device.file_printed", path="/d/q3.xlsx")])
    alert = await wait_for_alert(api, policy["id"], subject_of(api, actor)["subject_id"])
    assert [(c["kind"], c.get("sequence"), c["points"]) for c in
            alert["explanation"]["contributions"]] == [("sequence", key, 20)]
    await http.delete(f"{api.scoring}/policies/{policy['id']}",
                      headers=api.auth(api.admin_token()))
