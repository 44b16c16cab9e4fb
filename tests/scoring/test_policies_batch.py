"""GET /policies/batch: many policies in one call, each exactly as GET /policies/{policy_id}
shows it; ids of no policy (deleted, never made) are listed as missing."""

from __future__ import annotations

import uuid

import httpx

from services.kit.batch import MAX_BATCH_IDS
from tests.conftest import Api
from tests.factories import create_policy, person_email, subject_of


async def _batch(api: Api, http: httpx.AsyncClient, token: str | None, ids: list[str]
                 ) -> httpx.Response:
    headers = api.auth(token) if token else {}
    return await http.get(f"{api.scoring}/policies/batch", headers=headers,
                          params={"ids": ids})


async def test_a_batch_shows_each_policy_as_the_single_read_does(
        api: Api, http: httpx.AsyncClient) -> None:
    someone = subject_of(api, person_email())["subject_id"]
    made = [create_policy(api, scope={"kind": "people", "people": [someone]}, active=False)
            for _ in range(3)]
    admin = api.auth(api.admin_token())
    deleted = await http.delete(f"{api.scoring}/policies/{made[1]['id']}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    unknown = str(uuid.uuid4())
    asked = [made[2]["id"], made[1]["id"], unknown, made[0]["id"], made[2]["id"]]
    for role in ("Admin", "Analyst", "Investigator"):
        token = api.admin_token() if role == "Admin" else api.token(role)
        resp = await _batch(api, http, token, asked)
        assert resp.status_code == 200, resp.text
        singles = [await http.get(f"{api.scoring}/policies/{i}", headers=api.auth(token))
                   for i in asked[:4]]
        assert [r.status_code for r in singles] == [200, 404, 404, 200]
        assert resp.json() == {"items": [singles[0].json(), singles[3].json()],
                               "missing": [made[1]["id"], unknown]}


async def test_batch_roles_and_cap(api: Api, http: httpx.AsyncClient) -> None:
    some = [str(uuid.uuid4())]
    assert (await _batch(api, http, None, some)).status_code == 401
    for token in (api.token("Auditor"), api.token("CaseViewer"), api.service_token()):
        refused = await _batch(api, http, token, some)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    analyst = api.token("Analyst")
    full = await _batch(api, http, analyst, [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS)])
    assert full.status_code == 200 and len(full.json()["missing"]) == MAX_BATCH_IDS
    over = await _batch(api, http, analyst,
                        [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 1)])
    assert over.status_code == 422
    assert over.json()["invalid_params"][0]["field"] == "ids"
    assert f"at most {MAX_BATCH_IDS}" in over.json()["detail"]
    empty = await http.get(f"{api.scoring}/policies/batch", headers=api.auth(analyst))
    assert empty.status_code == 422
