"""`openirm up --demo`: a small organisation and a departing employee who copies data out, so
that an alert exists a few seconds after start. The data arrives the way an organisation would
send it: the resignation in an HR connector CSV, copies to USB as Microsoft 365 Endpoint DLP
records, a failed badge swipe from the badging connector, the rest as canonical events.
Everything goes through the public APIs and is idempotent (fixed ids; natural keys whose
dates are the day's), so re-running it on the same day changes nothing."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from openirm.config import StackConfig

DEMO_PASSWORD = "demo-password-123"
DEMO_STAFF = (("analyst@openirm.local", "Ada Analyst", ["Analyst"]),
              ("investigator@openirm.local", "Ivan Investigator", ["Investigator"]),
              ("auditor@openirm.local", "Aude Auditor", ["Auditor"]))
PEOPLE = (("megan.bowen@contoso.example", "Megan Bowen", "Finance"),
          ("alex.wilber@contoso.example", "Alex Wilber", "Sales"),
          ("diego.siciliani@contoso.example", "Diego Siciliani", "Engineering"),
          ("grady.archie@contoso.example", "Grady Archie", "Engineering"),
          ("lee.gu@contoso.example", "Lee Gu", "Legal"))
DEPARTING = PEOPLE[0][0]
POLICY = "Departing users - data theft (demo)"


def _ok(resp: httpx.Response, *allowed: int) -> httpx.Response:
    if resp.status_code >= 400 and resp.status_code not in allowed:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.status_code} "
                           f"{resp.text}")
    return resp


def _token(client: httpx.Client, identity: str, email: str, password: str) -> dict[str, str]:
    resp = _ok(client.post(f"{identity}/auth/token", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def hr_csv(now: datetime) -> str:
    resigned = (now - timedelta(days=2)).date().isoformat()
    leaving = (now + timedelta(days=12)).date().isoformat()
    return f"EmailAddress,ResignationDate,LastWorkingDate\n{DEPARTING},{resigned},{leaving}\n"


def m365_records(now: datetime) -> list[dict]:
    """Copies to USB as Endpoint DLP reports them (RecordType 63)."""
    today = now.replace(minute=0, second=0, microsecond=0)
    return [{"CreationTime": (today - timedelta(hours=1, minutes=i)).strftime(
                 "%Y-%m-%dT%H:%M:%S"),
             "Id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"openirm-demo-usb-{i}")),
             "Operation": "FileCopiedToRemovableMedia", "RecordType": 63,
             "Workload": "Endpoint", "UserType": 0, "UserKey": "demo-user-key",
             "OrganizationId": "00000000-0000-4000-8000-000000000000",
             "UserId": DEPARTING, "DeviceName": "LT-FIN-042",
             "ObjectId": f"C:\\Users\\demo\\Documents\\Q3-forecast-{i}.xlsx",
             "FileExtension": "xlsx", "Application": "Microsoft Windows Explorer"}
            for i in range(15)]


def badging(now: datetime) -> list[dict]:
    return [{"UserId": DEPARTING, "AssetId": "FIN-ARCHIVE", "AssetName": "Finance archive room",
             "EventTime": f"{now.date().isoformat()}T00:30:00", "AccessStatus": "Failed"}]


def demo_events(now: datetime) -> list[dict]:
    today = now.replace(minute=0, second=0, microsecond=0)
    events = []
    burst = (("device.file_uploaded_to_cloud", 12, {"file_name": "customer-list-{i}.csv",
                                                     "destination": "dropbox.com"}),
             ("email.sent_external_with_attachment", 10,
              {"subject": "fwd: pricing {i}", "recipient_domain": "gmail.com"}))
    for activity, count, attrs in burst:
        for i in range(count):
            events.append({"id": f"demo-{activity}-{i}", "type": activity,
                           "occurred_at": (today - timedelta(hours=1, minutes=i)).isoformat(),
                           "actor": DEPARTING, "source": "demo",
                           "attributes": {k: v.format(i=i) for k, v in attrs.items()}})
    for n, (email, _, _) in enumerate(PEOPLE[1:]):
        for i in range(3):
            events.append({"id": f"demo-normal-{n}-{i}", "type": "file.downloaded",
                           "occurred_at": (today - timedelta(hours=i + 1)).isoformat(),
                           "actor": email, "source": "demo",
                           "attributes": {"file_name": f"report-{i}.docx"}})
    return events


def seed(config: StackConfig, admin_email: str, admin_password: str,
         wait_s: float = 30.0) -> dict:
    identity, scoring = config.url("identity"), config.url("scoring")
    ingest, cases = config.url("ingest"), config.url("cases")
    with httpx.Client(timeout=30) as client:
        admin = _token(client, identity, admin_email, admin_password)
        for email, name, roles in DEMO_STAFF:
            _ok(client.post(f"{identity}/accounts", headers=admin, json={
                "email": email, "display_name": name, "password": DEMO_PASSWORD,
                "roles": roles}), 409)
        for email, name, department in PEOPLE:
            _ok(client.post(f"{identity}/people", headers=admin, json={
                "email": email, "display_name": name, "department": department}))
        indicators = _ok(client.get(f"{scoring}/indicators", headers=admin)).json()
        for ind in indicators:
            if not ind["enabled"]:
                _ok(client.put(f"{scoring}/indicators/{ind['key']}", headers=admin,
                               json={"enabled": True}))
        _ok(client.post(f"{scoring}/policies", headers=admin, json={
            "name": POLICY, "template": "data_theft_departing_users",
            "description": "Seeded by openirm up --demo"}), 409)
        started = time.monotonic()
        now = datetime.now(UTC)
        runs = [_ok(client.post(f"{ingest}/connectors/hr/csv", content=hr_csv(now),
                                headers={**admin, "content-type": "text/csv"})).json(),
                _ok(client.post(f"{ingest}/connectors/m365/records", headers=admin,
                                json=m365_records(now))).json(),
                _ok(client.post(f"{ingest}/connectors/badging", headers=admin,
                                json=badging(now))).json()]
        receipt = _ok(client.post(f"{ingest}/events", headers=admin,
                                  json={"events": demo_events(now)})).json()
        receipt["accepted"] += sum(r["accepted"] for r in runs)
        analyst = _token(client, identity, DEMO_STAFF[0][0], DEMO_PASSWORD)
        alert = None
        while time.monotonic() - started < wait_s:
            items = _ok(client.get(f"{cases}/alerts", headers=analyst)).json()["items"]
            alert = next((a for a in items if a["policy_name"] == POLICY), None)
            if alert:
                break
            time.sleep(0.2)
        return {"receipt": receipt, "alert": alert,
                "alert_after_s": round(time.monotonic() - started, 2) if alert else None}
