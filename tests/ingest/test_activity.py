"""The activity API: one person's timeline, filtered and paged, with content only for roles
that may see it, and daily aggregates for charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Api
from tests.factories import event, ingest, person_email, subject_of


async def test_timeline_hides_content_from_analysts(api: Api, http: httpx.AsyncClient) -> None:
    actor = person_email()
    now = datetime.now(UTC)
    events = [event(actor, "device.file_copied_to_usb", at=now - timedelta(hours=i),
                    file_name=f"payroll-{i}.xlsx", path="C:\\hr", bytes=1000 + i)
              for i in range(5)]
    events += [event(actor, "file.deleted", at=now - timedelta(days=2), file_name="old.docx"),
               event(actor, "browsing.risky_site_visited", at=now - timedelta(days=3),
                     url="https://leaks.example/x", url_category="leaked_data")]
    ingest(api, events)
    subject = subject_of(api, actor)["subject_id"]
    url = f"{api.ingest}/activity"

    analyst = (await http.get(url, headers=api.auth(api.token("Analyst")),
                              params={"subject_id": subject})).json()
    assert len(analyst["items"]) == 7
    times = [i["occurred_at"] for i in analyst["items"]]
    assert times == sorted(times, reverse=True)  # newest first
    usb = analyst["items"][0]
    assert usb["type"] == "device.file_copied_to_usb" and usb["group"] == "device"
    assert usb["content_visible"] is False
    assert usb["attributes"] == {"bytes": 1000}  # no file name, no path
    browsing = next(i for i in analyst["items"] if i["category"] == "infiltration")
    assert browsing["attributes"] == {"url_category": "leaked_data"}  # no URL

    investigator = (await http.get(url, headers=api.auth(api.token("Investigator")),
                                   params={"subject_id": subject})).json()
    first = investigator["items"][0]
    assert first["content_visible"] is True
    assert first["attributes"]["file_name"] == "payroll-0.xlsx"

    filtered = (await http.get(url, headers=api.auth(api.token("Analyst")), params={
        "subject_id": subject, "category": "deletion"})).json()
    assert [i["type"] for i in filtered["items"]] == ["file.deleted"]
    by_type = (await http.get(url, headers=api.auth(api.token("Analyst")), params={
        "subject_id": subject, "type": ["file.deleted", "browsing.risky_site_visited"]})).json()
    assert len(by_type["items"]) == 2

    seen, cursor = [], None
    while True:
        params = {"subject_id": subject, "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await http.get(url, headers=api.auth(api.token("Analyst")),
                               params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in analyst["items"]]

    summary = (await http.get(f"{url}/summary", headers=api.auth(api.token("Analyst")),
                              params={"subject_id": subject})).json()
    assert summary["total"] == 7
    assert summary["by_category"] == {"exfiltration": 5, "deletion": 1, "infiltration": 1}
    assert sum(d["count"] for d in summary["days"]) == 7


async def test_activity_access_and_bad_windows(api: Api, http: httpx.AsyncClient) -> None:
    url = f"{api.ingest}/activity"
    params = {"subject_id": "7c1f5a9e-0000-4000-8000-000000000000"}
    assert (await http.get(url, params=params)).status_code == 401
    for role in ("Auditor", "Admin"):
        resp = await http.get(url, headers=api.auth(api.token(role)), params=params)
        assert resp.status_code == 403, role
    headers = api.auth(api.token("Analyst"))
    now = datetime.now(UTC)
    for bad in ({"since": now.isoformat(), "until": (now - timedelta(days=1)).isoformat()},
                {"since": (now - timedelta(days=500)).isoformat(), "until": now.isoformat()},
                {"since": "2026-01-01T00:00:00"}, {"cursor": "nonsense"},
                {"type": "device.teleported"}, {"until": "0001-01-05T00:00:00Z"},
                {"since": "9999-12-31T00:00:00Z"}):
        resp = await http.get(url, headers=headers, params=params | bad)
        assert resp.status_code == 422, bad
