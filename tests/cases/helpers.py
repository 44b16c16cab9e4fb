"""Cases for a test: new people, a policy scoped to them alone (the shared stack's daily alert
cap is per policy), their alerts confirmed into one case each."""

from __future__ import annotations

import httpx

from tests.conftest import Api
from tests.factories import (
    create_policy,
    departing_story,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)


async def open_cases(api: Api, http: httpx.AsyncClient, n: int) -> list[dict]:
    emails = [person_email() for _ in range(n)]
    subjects = [subject_of(api, e)["subject_id"] for e in emails]
    policy = create_policy(api, scope={"kind": "people", "people": subjects})
    for email in emails:
        ingest(api, departing_story(email))
    lead = api.auth(api.token("Investigator"))
    cases = []
    for subject in subjects:  # one at a time: opening order is the order of the list
        alert = await wait_for_alert(api, policy["id"], subject)
        resp = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=lead,
                               json={"title": "Possible data theft"})
        assert resp.status_code == 200, resp.text
        case = await http.get(f"{api.cases}/cases/{resp.json()['case_id']}", headers=lead)
        cases.append(case.json())
    return cases
