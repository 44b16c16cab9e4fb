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
    other = f"Ops-{uuid.uuid4().hex[:6]}"
    # Legal (2) and Ops (3) are each too small to show; hidden together they are 5, so the
    # totals minus Sales reveal neither.
    people = {big: [person_email() for _ in range(5)], small: [person_email() for _ in range(2)],
              other: [person_email() for _ in range(3)]}
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
    assert small not in rows and other not in rows and overview["departments_suppressed"] >= 2
    assert overview["min_group_size"] == 5 and overview["people_active"] >= 7
    assert 0 < overview["share_with_exfiltration"] <= 1
    types = {t["type"] for t in overview["top_activity_types"]}
    assert "file.downloaded" in types
    bad = await http.get(f"{api.scoring}/analytics", headers=api.auth(api.token("Analyst")),
                         params={"days": 0})
    assert bad.status_code == 422
    denied = await http.get(f"{api.scoring}/analytics", headers=api.auth(api.token("Auditor")))
    assert denied.status_code == 403


def test_what_is_hidden_cannot_be_worked_out_by_subtraction() -> None:
    from services.scoring.analytics.service import shown_departments

    depts = {"Sales": [8, 2], "HR": [6, 1], "Legal": [2, 1]}
    # Legal alone would be hidden: totals minus Sales and HR would give it away, so the
    # smallest shown (HR) is hidden with it.
    assert shown_departments(depts, 5) == [("Sales", [8, 2])]
    assert shown_departments({**depts, "Ops": [3, 0]}, 5) == [("HR", [6, 1]),
                                                              ("Sales", [8, 2])]
    assert shown_departments({"A": [5, 0], "B": [5, 5]}, 5) == [("A", [5, 0]), ("B", [5, 5])]
    assert shown_departments({"A": [5, 0], "B": [1, 1]}, 5) == []
