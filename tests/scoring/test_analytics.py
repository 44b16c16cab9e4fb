"""Analytics without any policy: organisation-level shares, never for small groups."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.conftest import Api
from tests.factories import event, ingest, person_email, subject_of


async def test_departments_below_the_minimum_size_are_never_shown(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    big, small = f"Sales-{uuid.uuid4().hex[:6]}", f"Legal-{uuid.uuid4().hex[:6]}"
    people = {big: [person_email() for _ in range(5)], small: [person_email() for _ in range(2)]}
    # Two of the five in Sales copy to USB; everyone else only downloads.
    events = [event(p, "device.file_copied_to_usb") for p in people[big][:2]]
    events += [event(p, "file.downloaded") for group in people.values() for p in group]
    ingest(api, events)
    for department, group in people.items():
        for actor in group:
            subject = subject_of(api, actor)["subject_id"]
            (await http.put(f"{api.scoring}/subjects/{subject}/attributes", headers=admin,
                            json={"department": department})).raise_for_status()
    deadline = time.monotonic() + 15
    while True:  # until scoring has read the events
        overview = (await http.get(f"{api.scoring}/analytics",
                                   headers=api.auth(api.token("Analyst")),
                                   params={"days": 7})).json()
        rows = {d["department"]: d for d in overview["departments"]}
        if (big in rows and rows[big]["people_with_exfiltration"] == 2) \
                or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert rows[big] == {"department": big, "people": 5, "people_with_exfiltration": 2,
                         "share_with_exfiltration": 0.4}
    assert small not in rows and overview["departments_suppressed"] >= 1
    assert overview["min_group_size"] == 5 and overview["people_active"] >= 7
    assert 0 < overview["share_with_exfiltration"] <= 1
    types = {t["type"] for t in overview["top_activity_types"]}
    assert "file.downloaded" in types
    bad = await http.get(f"{api.scoring}/analytics", headers=api.auth(api.token("Analyst")),
                         params={"days": 0})
    assert bad.status_code == 422
    denied = await http.get(f"{api.scoring}/analytics", headers=api.auth(api.token("Auditor")))
    assert denied.status_code == 403
