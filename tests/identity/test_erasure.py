"""Erasure by crypto-shredding: the person's data key and sealed identity are destroyed; the
subject id and alias stay, pseudonymous for good."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx

from tests.conftest import Api
from tests.factories import audit_rows, db_fetch, person_email, subject_of


async def _erase(api: Api, http: httpx.AsyncClient, subject_id: str, token: str | None = None,
                 body: dict | None = None) -> httpx.Response:
    headers = api.auth(token or api.admin_token())
    return await http.request("DELETE", f"{api.identity}/people/{subject_id}", headers=headers,
                              json={"reason": "DSR-2026-0042"} if body is None else body)


async def test_erasure_destroys_key_and_identity_and_keeps_the_alias(
        api: Api, http: httpx.AsyncClient) -> None:
    email = person_email()
    admin = api.auth(api.admin_token())
    await http.post(f"{api.identity}/people", headers=admin, json={
        "email": email, "display_name": "Erin Erased", "department": "Sales", "region": "SE",
        "high_impact": True})
    person = subject_of(api, email)
    sid = uuid.UUID(person["subject_id"])
    [before] = await db_fetch(api, "SELECT p.identity_ct, p.lookup_hash, k.wrapped_key "
                              "FROM identity.person p JOIN identity.person_key k "
                              "USING (subject_id) WHERE subject_id = $1", sid)

    erased = await _erase(api, http, str(sid))
    assert erased.status_code == 200, erased.text
    assert erased.json()["alias"] == person["alias"] and email not in erased.text

    # Nothing of the identity or its key is left in the database.
    [row] = await db_fetch(api, "SELECT * FROM identity.person WHERE subject_id = $1", sid)
    assert (row["identity_ct"], row["lookup_hash"], row["alias"], row["department"],
            row["region"], row["high_impact"]) == (None, None, person["alias"], "Sales", "SE",
                                                   False)
    assert row["erased_at"] is not None
    assert await db_fetch(api, "SELECT 1 FROM identity.person_key WHERE subject_id = $1",
                          sid) == []
    for column, value in (("identity_ct", before["identity_ct"]),
                          ("lookup_hash", before["lookup_hash"])):
        assert await db_fetch(api, f"SELECT 1 FROM identity.person WHERE {column} = $1",
                              value) == []
    assert await db_fetch(api, "SELECT 1 FROM identity.person_key WHERE wrapped_key = $1",
                          before["wrapped_key"]) == []

    # Reading says erased and shows the alias only; a reveal is refused.
    read = (await http.get(f"{api.identity}/people/{sid}", headers=admin)).json()
    assert (read["alias"], read["erased"], read["identity"], read["revealed"]) == (
        person["alias"], True, None, False)
    reveal = await http.post(f"{api.identity}/people/{sid}/reveal",
                             headers=api.auth(api.token("Investigator")),
                             json={"case_id": str(uuid.uuid4()),
                                   "justification": "needed for the case"})
    assert reveal.status_code == 409 and reveal.json()["code"] == "person_erased"

    # The same email coming back is a new subject.
    again = subject_of(api, email)
    assert again["subject_id"] != str(sid) and again["alias"] != person["alias"]

    # Audited with the reason, never the identity; the feed says erased.
    [audit] = await audit_rows(api, "person.erase", f"subject:{sid}")
    assert audit["detail"] == {"reason": "DSR-2026-0042", "alias": person["alias"]}
    assert email not in json.dumps(audit) and "Erin" not in json.dumps(audit)
    assert audit["actor"].startswith("user:")

    # Scoring hears of it (high impact no longer claimed for a shredded person).
    analyst = api.auth(api.token("Analyst"))
    deadline, seen = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        got = await http.get(f"{api.scoring}/subjects/{sid}", headers=analyst)
        seen = got.json() if got.status_code == 200 else None
        if seen and seen["high_impact"] is False:
            break
        await asyncio.sleep(0.2)
    assert seen is not None and (seen["alias"], seen["department"], seen["high_impact"]) == (
        person["alias"], "Sales", False)

    twice = await _erase(api, http, str(sid))
    assert twice.status_code == 409 and twice.json()["code"] == "person_erased"


async def test_erasure_errors_and_access(api: Api, http: httpx.AsyncClient) -> None:
    sid = subject_of(api, person_email())["subject_id"]
    assert (await _erase(api, http, str(uuid.uuid4()))).status_code == 404
    no_reason = await _erase(api, http, sid, body={})
    assert no_reason.status_code == 422 and no_reason.json()["invalid_params"][0]["field"] \
        == "reason"
    assert (await _erase(api, http, sid, body={"reason": "x"})).status_code == 422
    anonymous = await http.request("DELETE", f"{api.identity}/people/{sid}",
                                   json={"reason": "a reason"})
    assert anonymous.status_code == 401
    for role in ("Analyst", "Investigator", "Auditor"):
        refused = await _erase(api, http, sid, token=api.token(role))
        assert refused.status_code == 403
    denied = [r for r in await audit_rows(api, "people.erase", f"/people/{sid}")
              if r["outcome"] == "denied"]
    assert len(denied) == 3
    # Still there: nothing was erased by the refused calls.
    [row] = await db_fetch(api, "SELECT erased_at FROM identity.person WHERE subject_id = $1",
                           uuid.UUID(sid))
    assert row["erased_at"] is None


async def test_import_and_erase_through_graphql(api: Api) -> None:
    async def gql(query: str, token: str, **variables: object) -> dict:
        async with httpx.AsyncClient(timeout=30) as client:
            resp = await client.post(api.gateway, json={"query": query, "variables": variables},
                                     headers=api.auth(token))
        assert resp.status_code == 200
        return resp.json()

    admin, email = api.admin_token(), person_email()
    imported = await gql("""mutation($input: ImportPeopleInput!) { importPeople(input: $input) {
        summary { rows created updated rejected applied rejectedRows { index field reason } }
        errors { __typename } } }""", admin,
        input={"rows": [{"email": email, "department": "Legal", "highImpact": True,
                         "employmentStart": "2024-05-01"},
                        {"email": "nope"}], "onError": "SKIP_INVALID"})
    assert imported["data"]["importPeople"] == {"errors": [], "summary": {
        "rows": 2, "created": 1, "updated": 0, "rejected": 1, "applied": True,
        "rejectedRows": [{"index": 1, "field": "email",
                          "reason": "String should match pattern '^[^@\\s]+@[^@\\s]+$'"}]}}
    refused = await gql("""mutation($input: ImportPeopleInput!) { importPeople(input: $input) {
        summary { rows } errors { __typename ... on DomainError { code }
          ... on ValidationError { fields { field } } } } }""", admin,
        input={"rows": [{"email": "ok@example.com"}, {"email": "nope"}]})
    assert refused["data"]["importPeople"] == {"summary": None, "errors": [
        {"__typename": "ValidationError", "code": "import_rejected",
         "fields": [{"field": "rows.1.email"}]}]}

    sid = subject_of(api, email)["subject_id"]
    erased = await gql("""mutation($input: ErasePersonInput!) { erasePerson(input: $input) {
        person { rawId alias erased erasedAt } } }""", admin,
        input={"personId": sid, "reason": "DSR-77"})
    assert erased["data"]["erasePerson"]["person"]["rawId"] == sid
    assert erased["data"]["erasePerson"]["person"]["erased"] is True
    person = await gql("query($id: ID!) { person(subjectId: $id) { alias erased email } }",
                       api.token("Analyst"), id=sid)
    assert person["data"]["person"]["erased"] is True
    assert person["data"]["person"]["email"] is None
    again = await gql("""mutation($input: ErasePersonInput!) { erasePerson(input: $input) {
        errors { __typename } } }""", admin, input={"personId": sid, "reason": "DSR-77"})
    assert again["data"]["erasePerson"]["errors"] == [{"__typename": "ConflictError"}]
    denied = await gql("""mutation($input: ErasePersonInput!) { erasePerson(input: $input) {
        person { alias } errors { __typename } } }""", api.token("Analyst"),
        input={"personId": sid, "reason": "DSR-77"})
    assert denied["data"]["erasePerson"] == {"person": None,
                                             "errors": [{"__typename": "ForbiddenError"}]}
    status = await gql("{ identityKeyStatus { keyId remaining run { status } } }", admin)
    assert len(status["data"]["identityKeyStatus"]["keyId"]) == 16
    assert (await gql("{ identityKeyStatus { keyId } }", api.token("Analyst")))["errors"][0][
        "extensions"]["code"] == "FORBIDDEN"


async def test_ingest_files_an_erased_email_under_a_new_subject_at_once(
        api: Api, http: httpx.AsyncClient) -> None:
    """Ingest caches who an email is for minutes; an erasure must not wait for that."""
    from tests.factories import event

    email = person_email()

    async def subject_of_new_event() -> str:
        sent = event(email, "file.downloaded")
        resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                               json={"events": [sent]})
        assert resp.status_code == 202, resp.text
        [row] = await db_fetch(api, "SELECT subject_id FROM ingest.activity_event "
                                    "WHERE id = $1", sent["id"])
        return str(row["subject_id"])

    old = await subject_of_new_event()
    assert await subject_of_new_event() == old  # cached, same person
    erased = await _erase(api, http, old)
    assert erased.status_code == 200, erased.text
    assert await subject_of_new_event() != old
