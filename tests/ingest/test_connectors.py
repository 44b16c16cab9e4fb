"""Connector uploads through the real ingest service: Microsoft 365 audit records, HR CSV and
physical badging, each a recorded run; idempotent; bad records reported; progress shown."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Api
from tests.factories import add_to_scope, db_fetch, person_email, subject_of, wait_for_alert


def _when(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%S")


def m365(operation: str, user: str, record_type: int, workload: str, **fields) -> dict:
    return {"CreationTime": _when(), "Id": str(uuid.uuid4()), "Operation": operation,
            "OrganizationId": "4a1d6c2e-7b5f-4c0e-9d3a-2f8e6b1c0a97", "RecordType": record_type,
            "UserKey": "10032001A2B3C4D5", "UserType": 0, "Version": 1, "Workload": workload,
            "UserId": user, "ClientIP": "203.0.113.24", **fields}


def usb_copy(user: str, n: int) -> dict:
    return m365("FileCopiedToRemovableMedia", user, 63, "Endpoint",
                ObjectId=f"C:\\Users\\x\\Documents\\customers-{n}.xlsx", FileExtension="xlsx",
                DeviceName="LT-01", Application="Microsoft Windows Explorer")


def mixed_records(user: str) -> list[dict]:
    return [
        m365("FileDownloaded", user, 6, "SharePoint", ObjectId="https://contoso.sharepoint.com/"
             "sites/Finance/Shared Documents/Q4.xlsx", SourceFileName="Q4.xlsx",
             SourceFileExtension="xlsx", SiteUrl="https://contoso.sharepoint.com/sites/Finance/"),
        m365("AnonymousLinkCreated", user, 14, "OneDrive", ObjectId="https://contoso-my."
             "sharepoint.com/personal/x/Documents/plan.docx", SourceFileName="plan.docx"),
        m365("FileAccessed", user, 6, "SharePoint", ObjectId="https://contoso.sharepoint.com/a"),
        m365("New-InboxRule", user, 1, "Exchange", ObjectId="rule-1", Parameters=[
            {"Name": "ForwardTo", "Value": "me@proton.me"}, {"Name": "Name", "Value": "fw"}]),
        usb_copy(user, 1),
        {"Id": "broken", "Operation": "FileDownloaded", "UserId": user},  # no CreationTime
    ]


async def _run(http: httpx.AsyncClient, api: Api, run_id: str) -> dict:
    resp = await http.get(f"{api.ingest}/connectors/runs/{run_id}",
                          headers=api.auth(api.admin_token()))
    assert resp.status_code == 200
    return resp.json()


async def test_m365_records_are_mapped_counted_and_kept(api: Api, http: httpx.AsyncClient
                                                        ) -> None:
    user = person_email()
    records = mixed_records(user)
    headers = api.auth(api.service_token("cases"))
    url = f"{api.ingest}/connectors/m365/records"
    refused = await http.post(url, headers=headers, json=records)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["invalid_params"] == [{"field": "CreationTime", "index": 5,
                                          "reason": problem["invalid_params"][0]["reason"]}]
    assert "nothing was stored" in problem["detail"]
    assert await db_fetch(api, "SELECT 1 FROM ingest.event_key WHERE id = $1",
                          f"m365:{records[0]['Id']}") == []

    resp = await http.post(url, headers=headers, json=records,
                           params={"on_error": "skip_invalid"})
    assert resp.status_code == 202, resp.text
    run = resp.json()
    assert run["status"] == "succeeded" and run["connector"] == "m365"
    assert (run["records"], run["accepted"], run["duplicates"], run["rejected"],
            run["unmapped"]) == (6, 4, 0, 1, 1)
    assert run["unmapped_operations"] == {"FileAccessed": 1}
    assert run["errors"][0]["index"] == 5 and run["errors"][0]["field"] == "CreationTime"
    assert run["progress"] == 1.0 and run["principal"] == api.service_subject("cases")

    rows = await db_fetch(api, "SELECT id, type, category, original, run_id, attributes "
                          "FROM ingest.activity_event WHERE run_id = $1 ORDER BY type",
                          uuid.UUID(run["id"]))
    assert [r["type"] for r in rows] == ["device.file_copied_to_usb",
                                         "email.forwarding_rule_created",
                                         "file.anonymous_link_created", "file.downloaded"]
    by_type = {r["type"]: r for r in rows}
    download = by_type["file.downloaded"]
    assert download["id"] == f"m365:{records[0]['Id']}"
    # The source record is kept whole, with the actor's identity replaced by the subject id.
    subject = subject_of(api, user)["subject_id"]
    assert json.loads(download["original"]) == {**records[0], "UserId": f"subject:{subject}",
                                                "UserKey": f"subject:{subject}"}
    assert all(user not in (r["original"] or "") + r["attributes"] for r in rows)

    again = (await http.post(url, headers=headers, json=records,
                             params={"on_error": "skip_invalid"})).json()
    assert (again["accepted"], again["duplicates"]) == (0, 4)

    # Streamed as NDJSON: the same mapping, one record per line.
    more = [usb_copy(user, n) for n in range(2, 7)]
    body = b"\n".join(json.dumps(r).encode() for r in more) + b"\n"
    streamed = await http.post(url, headers={**headers, "content-type": "application/x-ndjson"},
                               content=_chunks(body, 37))
    assert streamed.status_code == 202 and streamed.json()["accepted"] == 5


async def _chunks(body: bytes, size: int):
    for i in range(0, len(body), size):
        yield body[i:i + size]


async def test_runs_are_listed_for_admins_and_audited(api: Api, http: httpx.AsyncClient
                                                      ) -> None:
    user = person_email()
    resp = await http.post(f"{api.ingest}/connectors/m365/records",
                           headers=api.auth(api.admin_token()), json=[usb_copy(user, 1)])
    run_id = resp.json()["id"]
    bad = await http.post(f"{api.ingest}/connectors/m365/records",
                          headers=api.auth(api.admin_token()), json=mixed_records(user))
    assert bad.status_code == 422
    runs = (await http.get(f"{api.ingest}/connectors/runs", headers=api.auth(api.admin_token()),
                           params={"connector": "m365", "limit": 2})).json()
    assert runs["items"][1]["id"] == run_id
    rejected = runs["items"][0]
    assert rejected["status"] == "rejected" and rejected["accepted"] == 0
    assert rejected["rejected"] == 1 and rejected["errors"][0]["field"] == "CreationTime"
    only = (await http.get(f"{api.ingest}/connectors/runs", headers=api.auth(api.admin_token()),
                           params={"status": "rejected", "limit": 200})).json()
    assert {r["status"] for r in only["items"]} == {"rejected"}
    page1 = (await http.get(f"{api.ingest}/connectors/runs", headers=api.auth(api.admin_token()),
                            params={"connector": "m365", "limit": 1})).json()
    page2 = (await http.get(f"{api.ingest}/connectors/runs", headers=api.auth(api.admin_token()),
                            params={"connector": "m365", "limit": 1,
                                    "cursor": page1["next_cursor"]})).json()
    assert page2["items"][0]["id"] == run_id
    for role in ("Analyst", "Investigator", "Auditor"):
        denied = await http.get(f"{api.ingest}/connectors/runs", headers=api.auth(
            api.token(role)))
        assert denied.status_code == 403
    audit = (await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                            params={"action": "connector.run",
                                    "target": f"connector_run:{run_id}"})).json()
    assert audit["items"][0]["detail"]["accepted"] == 1
    missing = await http.get(f"{api.ingest}/connectors/runs/{uuid.uuid4()}",
                             headers=api.auth(api.admin_token()))
    assert missing.status_code == 404


async def test_long_upload_shows_progress_while_it_runs(api: Api, http: httpx.AsyncClient
                                                        ) -> None:
    user = person_email()
    lines = [json.dumps(usb_copy(user, n)).encode() + b"\n" for n in range(40)]
    body = b"".join(lines)

    async def slow():
        for i in range(0, len(lines), 10):
            yield b"".join(lines[i:i + 10])
            await asyncio.sleep(0.8)

    headers = {**api.auth(api.admin_token()), "content-type": "application/x-ndjson",
               "content-length": str(len(body))}
    upload = asyncio.create_task(http.post(f"{api.ingest}/connectors/m365/records",
                                           headers=headers, content=slow()))
    seen: list[dict] = []
    while not upload.done():
        page = (await http.get(f"{api.ingest}/connectors/runs",
                               headers=api.auth(api.admin_token()),
                               params={"status": "running", "limit": 5})).json()
        seen += [r for r in page["items"] if r["bytes_total"] == len(body)]
        await asyncio.sleep(0.2)
    done = (await upload).json()
    assert done["status"] == "succeeded" and done["accepted"] == 40
    assert seen, "the run was listed as running while it streamed"
    partial = [r["progress"] for r in seen if r["id"] == done["id"]]
    assert any(0 < p < 1 for p in partial), partial


HR_RESIGNATIONS = """work_email,ResignationDate,LastWorkingDate
{a},{d1},{d2}
{b},{d1},{d2},extra
"{c}",{d1},{d2}
"""


async def test_hr_csv_with_column_mapping_and_ragged_rows(api: Api, http: httpx.AsyncClient
                                                          ) -> None:
    a, b, c = person_email(), person_email(), person_email()
    today = datetime.now(UTC).date()
    text = HR_RESIGNATIONS.format(a=a, b=b, c=c, d1=(today - timedelta(days=3)).isoformat(),
                                  d2=(today + timedelta(days=11)).isoformat())
    headers = {**api.auth(api.admin_token()), "content-type": "text/csv"}
    url = f"{api.ingest}/connectors/hr/csv"
    params = {"column": "EmailAddress=work_email", "scenario": "resignation"}
    refused = await http.post(url, headers=headers, params=params, content=text)
    assert refused.status_code == 422
    assert refused.json()["invalid_params"][0]["index"] == 1
    assert "fields" in refused.json()["invalid_params"][0]["reason"]
    resp = await http.post(url, headers=headers, content=text,
                           params={**params, "on_error": "skip_invalid"})
    assert resp.status_code == 202, resp.text
    run = resp.json()
    assert (run["accepted"], run["rejected"]) == (2, 1)
    assert run["options"]["columns"] == {"EmailAddress": "work_email"}
    again = (await http.post(url, headers=headers, content=text,
                             params={**params, "on_error": "skip_invalid"})).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)  # derived ids: idempotent
    subject = subject_of(api, a)["subject_id"]
    rows = await db_fetch(api, "SELECT id, type, attributes FROM ingest.activity_event "
                          "WHERE subject_id = $1", uuid.UUID(subject))
    assert len(rows) == 1 and rows[0]["type"] == "hr.resignation"
    assert rows[0]["id"].startswith("hr_connector:") and a not in rows[0]["id"]
    assert json.loads(rows[0]["attributes"])["last_working_date"] == \
        (today + timedelta(days=11)).isoformat()

    mixed = ("EmailAddress,HRScenario,EffectiveDate,Remarks,OldLevel,NewLevel,Rating\n"
             f"{a},Job level change,{today},demoted,L5,L4,\n"
             f"{b},Performance improvement plan,{today},\"late, often\",,,2\n")
    resp = await http.post(url, headers=headers, content=mixed)
    assert resp.status_code == 202 and resp.json()["accepted"] == 2
    bad_header = await http.post(url, headers=headers, content="Name,When\nx,y\n")
    assert bad_header.status_code == 422 and bad_header.json()["code"] == "invalid_header"
    wrong_type = await http.post(url, headers={**headers, "content-type": "application/json"},
                                 content=mixed)
    assert wrong_type.status_code == 415
    bad_map = await http.post(url, headers=headers, content=mixed,
                              params={"column": "Salary=pay"})
    assert bad_map.status_code == 422


async def test_badging_records(api: Api, http: httpx.AsyncClient) -> None:
    user = person_email()
    records = [{"UserId": user, "AssetId": "Mid-Sec-7", "AssetName": "Main building, 1st floor",
                "EventTime": _when(timedelta(hours=2)), "AccessStatus": "Failed"},
               {"UserId": user, "AssetId": "Lab-2", "AssetName": "Lab 2",
                "EventTime": _when(timedelta(hours=1)), "AccessStatus": "Success"},
               {"UserId": user, "AssetId": "Lab-2", "AssetName": "Lab 2",
                "EventTime": _when(), "AccessStatus": "Maybe"}]
    url = f"{api.ingest}/connectors/badging"
    headers = api.auth(api.admin_token())
    resp = await http.post(url, headers=headers, json=records,
                           params={"on_error": "skip_invalid"})
    assert resp.status_code == 202, resp.text
    assert (resp.json()["accepted"], resp.json()["rejected"]) == (2, 1)
    assert resp.json()["errors"][0]["field"] == "AccessStatus"
    subject = subject_of(api, user)["subject_id"]
    rows = await db_fetch(api, "SELECT type FROM ingest.activity_event WHERE subject_id = $1 "
                          "ORDER BY occurred_at", uuid.UUID(subject))
    assert [r["type"] for r in rows] == ["physical.badge_failed", "physical.badge_succeeded"]
    too_many = await http.post(url, headers=headers, json=[records[0]] * 50_001)
    assert too_many.status_code == 422 and "50000" in too_many.json()["detail"]
    assert (await http.post(url, headers=headers, content=b"[]",
                            )).status_code in (415, 422)
    assert (await http.post(url, headers={**headers, "content-type": "text/csv"},
                            content=b"a,b\n")).status_code == 415


async def test_hr_and_m365_connectors_raise_a_departing_user_alert(
        api: Api, http: httpx.AsyncClient, policy: dict) -> None:
    """The reference product's main scenario through connectors alone: a resignation from the
    HR file, then copies to USB from Endpoint DLP records, and an alert."""
    user = person_email()
    add_to_scope(api, policy, subject_of(api, user)["subject_id"])
    resigned = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    csv_text = f"EmailAddress,ResignationDate,LastWorkingDate\n{user},{resigned},{resigned}\n"
    hr = await http.post(f"{api.ingest}/connectors/hr/csv", content=csv_text,
                         headers={**api.auth(api.admin_token()), "content-type": "text/csv"})
    assert hr.status_code == 202, hr.text
    usb = await http.post(f"{api.ingest}/connectors/m365/records",
                          headers=api.auth(api.admin_token()),
                          json=[usb_copy(user, n) for n in range(30)])
    assert usb.json()["accepted"] == 30
    alert = await wait_for_alert(api, policy["id"], subject_of(api, user)["subject_id"])
    assert alert["score"] > 0


async def test_odd_records_are_counted_not_failed(api: Api, http: httpx.AsyncClient) -> None:
    """Text the database cannot store (a lone surrogate), JSON nested too deeply or holding
    NaN get clear answers, never a 500: a bad line of NDJSON is one rejected record."""
    user = person_email()
    records = [usb_copy(user, 1), m365("\ud800Foo", user, 6, "SharePoint")]
    url = f"{api.ingest}/connectors/m365/records"
    whole = await http.post(url, content=json.dumps(records), headers={
        **api.auth(api.admin_token()), "content-type": "application/json"})
    assert whole.status_code == 422 and "not valid JSON" in whole.json()["detail"]
    lines = "\n".join(json.dumps(r) for r in records)
    resp = await http.post(url, content=lines, params={"on_error": "skip_invalid"}, headers={
        **api.auth(api.admin_token()), "content-type": "application/x-ndjson"})
    assert resp.status_code == 202, resp.text
    assert (resp.json()["accepted"], resp.json()["rejected"]) == (1, 1)
    assert resp.json()["errors"][0]["index"] == 1
    deep = b"[" * 50_000 + b"]" * 50_000
    for path, media in (("/connectors/m365/records", "application/json"),
                        ("/connectors/m365/records", "application/x-ndjson"),
                        ("/connectors/badging", "application/json"),
                        ("/events", "application/json")):
        for body in (deep, b'[{"UserId": NaN}]', b'{"events": [{"n": 1e400}]}'):
            resp = await http.post(f"{api.ingest}{path}", content=body, headers={
                **api.auth(api.admin_token()), "content-type": media})
            assert resp.status_code == 422, (path, media, body[:20], resp.text)
