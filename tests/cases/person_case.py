"""A case about a person who is in the directory (so identity knows their address), raised
under a policy scoped to that person alone."""

from __future__ import annotations

import uuid

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


async def person_case(api: Api, http: httpx.AsyncClient, token: str) -> dict:
    email = person_email()
    display = f"Orla Brightwater-{uuid.uuid4().hex[:4]}"
    resp = await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                           json={"email": email, "display_name": display})
    assert resp.status_code == 200, resp.text
    subject_id = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject_id]})
    ingest(api, departing_story(email))
    alert = await wait_for_alert(api, policy["id"], subject_id)
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                                headers=api.auth(token), json={"title": "Data <leaving>"})
    assert confirmed.status_code == 200, confirmed.text
    return {"email": email, "display": display, "subject_id": subject_id, "alert": alert,
            "case_id": confirmed.json()["case_id"], "alias": alert["alias"]}
