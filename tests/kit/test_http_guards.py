"""What every service does before any work: size limits, NUL refusal, clear answers to races."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.conftest import PASSWORD, Api


async def test_nul_characters_are_refused_everywhere(api: Api, http: httpx.AsyncClient) -> None:
    headers = {**api.auth(api.admin_token()), "content-type": "application/json"}

    async def chunks():
        # The escape is split across two chunks of the stream.
        yield b'{"events": [{"id": "a\\u00'
        yield b'00", "type": "file.downloaded"}]}'

    split = await http.post(f"{api.ingest}/events", headers=headers, content=chunks())
    assert split.status_code == 422 and "NUL" in split.json()["detail"]
    query = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"actor": "a\x00b"})
    assert query.status_code == 422


async def test_oversized_bodies_get_413(api: Api, http: httpx.AsyncClient) -> None:
    headers = {**api.auth(api.admin_token()), "content-type": "application/json"}

    async def huge():
        block = b" " * (1024 * 1024)
        for _ in range(40):
            yield block

    resp = await http.post(f"{api.ingest}/events", headers=headers, content=huge())
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"


async def test_concurrent_creates_get_one_201_and_409s(api: Api) -> None:
    body = {"email": f"race-{uuid.uuid4().hex[:8]}@test.example", "display_name": "Race",
            "password": PASSWORD, "roles": ["Analyst"]}
    async with httpx.AsyncClient(timeout=30) as client:
        results = await asyncio.gather(*(
            client.post(f"{api.identity}/accounts", headers=api.auth(api.admin_token()),
                        json=body) for _ in range(5)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409], [r.text for r in results]


async def test_concurrent_role_changes_leave_one_consistent_set(api: Api) -> None:
    account_id, _ = api.new_account()
    admin = api.auth(api.admin_token())
    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(
            client.put(f"{api.identity}/accounts/{account_id}/roles", headers=admin,
                       json={"roles": [role]}) for role in ("Analyst", "Investigator") * 3))
        accounts = (await client.get(f"{api.identity}/accounts", headers=admin)).json()
    [account] = [a for a in accounts if a["id"] == account_id]
    assert account["roles"] in (["Analyst"], ["Investigator"])


async def test_out_of_range_values_are_4xx_not_5xx(api: Api, http: httpx.AsyncClient) -> None:
    auditor = api.auth(api.token("Auditor"))
    resp = await http.get(f"{api.identity}/audit", headers=auditor,
                          params={"since": "0001-01-01T00:00:00+01:00"})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
