"""Service clients through identity's REST API and the gateway: client credentials (RFC 6749
§4.4), secrets shown once, rotation, revocation, roles bound like any account's; and the
services themselves calling one another with their own clients."""

from __future__ import annotations

import base64
import hashlib
import uuid
from urllib.parse import quote_plus

import httpx
import pytest
from jose import jwt

from tests.conftest import Api
from tests.factories import audit_rows, db_fetch, event, person_email
from tests.gateway.test_graphql import gql

GRANT = "client_credentials"


async def new_client(api: Api, http: httpx.AsyncClient, *roles: str,
                     name: str | None = None) -> dict:
    resp = await http.post(f"{api.identity}/clients", headers=api.auth(api.admin_token()),
                           json={"name": name or f"it-{uuid.uuid4().hex[:10]}",
                                 "description": "a test integration", "roles": list(roles)})
    assert resp.status_code == 201, resp.text
    return resp.json()


async def client_token(api: Api, http: httpx.AsyncClient, client_id: str, secret: str
                       ) -> httpx.Response:
    return await http.post(f"{api.identity}/auth/client-token",
                           data={"grant_type": GRANT, "client_id": client_id,
                                 "client_secret": secret})


async def token_audit(api: Api, http: httpx.AsyncClient, actor: str) -> list[dict]:
    resp = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                          params={"action": "auth.client_token", "actor": actor})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def token_of(api: Api, http: httpx.AsyncClient, client: dict) -> str:
    resp = await client_token(api, http, client["id"], client["client_secret"])
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


async def test_the_secret_is_shown_once_and_kept_as_a_hash(api: Api,
                                                            http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    created = await http.post(f"{api.identity}/clients", headers=admin,
                              json={"name": f"siem-{uuid.uuid4().hex[:8]}",
                                    "description": "SIEM export", "roles": ["Integrator"]})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    client = created.json()
    secret = client["client_secret"]
    assert len(secret) >= 40 and client["roles"] == ["Integrator"]
    assert client["created_by"].startswith("user:") and client["revoked_at"] is None
    one = await http.get(f"{api.identity}/clients/{client['id']}", headers=admin)
    listed = await http.get(f"{api.identity}/clients", headers=admin)
    assert one.status_code == listed.status_code == 200
    assert "client_secret" not in one.json() and secret not in one.text + listed.text
    assert client["id"] in {c["id"] for c in listed.json()}
    rows = await db_fetch(api, "SELECT * FROM identity.service_client WHERE id = $1",
                          uuid.UUID(client["id"]))
    assert secret not in str(dict(rows[0]))
    assert rows[0]["secret_hash"] == hashlib.sha256(
        b"openirm-client-secret:" + secret.encode()).hexdigest()
    [audit] = await audit_rows(api, "client.create", f"client:{client['id']}")
    assert audit["detail"]["after"] == {"name": client["name"], "description": "SIEM export",
                                        "roles": ["Integrator"], "revoked": False}
    assert secret not in str(audit)


async def test_a_token_by_form_basic_or_json(api: Api, http: httpx.AsyncClient) -> None:
    client = await new_client(api, http, "Integrator")
    cid, secret = client["id"], client["client_secret"]
    url = f"{api.identity}/auth/client-token"
    form = await client_token(api, http, cid, secret)
    assert form.status_code == 200, form.text
    assert form.headers["cache-control"] == "no-store"
    body = form.json()
    assert body["token_type"] == "bearer" and 30 <= body["expires_in"] <= 3600
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == f"client:{cid}" and "roles" not in claims
    basic = base64.b64encode(f"{quote_plus(cid)}:{quote_plus(secret)}".encode()).decode()
    by_basic = await http.post(url, data={"grant_type": GRANT},
                               headers={"Authorization": f"Basic {basic}"})
    assert by_basic.status_code == 200, by_basic.text
    by_json = await http.post(url, json={"grant_type": GRANT, "client_id": cid,
                                         "client_secret": secret})
    assert by_json.status_code == 200, by_json.text
    by_name = await client_token(api, http, client["name"], secret)
    assert by_name.status_code == 401  # ids only: a name is easy to guess
    # The token works like any other: identity knows it is not a staff account.
    me = await http.get(f"{api.identity}/accounts/me",
                        headers=api.auth(by_json.json()["access_token"]))
    assert me.status_code == 404
    [used] = [c for c in (await http.get(f"{api.identity}/clients",
                                         headers=api.auth(api.admin_token()))).json()
              if c["id"] == cid]
    assert used["last_used_at"] is not None
    mine = await token_audit(api, http, f"client:{cid}")
    assert len(mine) == 3 and {a["outcome"] for a in mine} == {"success"}
    assert mine[0]["detail"]["name"] == client["name"]


async def test_bad_requests_get_clear_errors(api: Api, http: httpx.AsyncClient) -> None:
    client = await new_client(api, http, "Integrator")
    cid, secret = client["id"], client["client_secret"]
    url = f"{api.identity}/auth/client-token"
    cases = [
        ({"data": {"grant_type": "password", "client_id": cid, "client_secret": secret}},
         400, "unsupported_grant_type"),
        ({"data": {"grant_type": GRANT, "client_id": cid}}, 401, "invalid_client"),
        ({"data": {"grant_type": GRANT}}, 401, "invalid_client"),
        ({"data": {"client_id": cid, "client_secret": secret}}, 422, "invalid_input"),
        ({"content": "grant_type=client_credentials&grant_type=x",
          "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
         422, "invalid_input"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}},
         422, "invalid_input"),
        ({"content": b"grant_type=client_credentials", "headers": {"Content-Type":
                                                                   "text/plain"}},
         415, "unsupported_media_type"),
        ({"data": {"grant_type": GRANT, "client_id": cid, "client_secret": secret},
          "headers": {"Authorization": "Basic " + base64.b64encode(
              f"{cid}:{secret}".encode()).decode()}}, 400, "invalid_request"),
        ({"data": {"grant_type": GRANT}, "headers": {"Authorization": "Basic %%%"}},
         401, "invalid_client"),
    ]
    for kwargs, status, code in cases:
        resp = await http.post(url, **kwargs)
        assert (resp.status_code, resp.json()["code"]) == (status, code), (kwargs, resp.text)
    missing = await http.post(url, data={"grant_type": GRANT, "client_id": cid})
    assert missing.json()["detail"] == "client_secret is missing (form field, JSON or HTTP " \
                                       "Basic)"
    no_grant = await http.post(url, data={"client_id": cid, "client_secret": secret})
    assert no_grant.json()["invalid_params"][0]["field"] == "grant_type"


async def test_a_wrong_secret_is_refused_audited_and_throttled(api: Api,
                                                               http: httpx.AsyncClient) -> None:
    client = await new_client(api, http, "Integrator")
    cid = client["id"]
    wrong = await client_token(api, http, cid, "oirm_not-the-secret")
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert (wrong.json()["code"], wrong.json()["detail"]) == (
        "invalid_client", "client_id or client_secret is wrong")
    unknown = await client_token(api, http, str(uuid.uuid4()), "x")
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]
    failures = await token_audit(api, http, f"client:{cid}")
    assert failures[0]["outcome"] == "failure"
    assert failures[0]["detail"]["reason"] == "client_id or client_secret is wrong"
    for _ in range(4):  # five failures in all: the client is locked, even for the right one
        assert (await client_token(api, http, cid, "wrong")).status_code == 401
    locked = await client_token(api, http, cid, client["client_secret"])
    assert locked.status_code == 429 and locked.json()["code"] == "client_token_locked"
    assert 1 <= int(locked.headers["Retry-After"]) <= 900
    throttled = [a for a in await token_audit(api, http, f"client:{cid}")
                 if a["outcome"] == "throttled"]
    assert throttled


async def test_roles_are_bound_and_revoking_cuts_the_client_off_everywhere(
        api: Api, http: httpx.AsyncClient) -> None:
    service = await new_client(api, http, "Integrator")
    analyst = await new_client(api, http, "Analyst")
    service_token, analyst_token = (await token_of(api, http, service),
                                    await token_of(api, http, analyst))
    events = {"events": [event(person_email(), "file.downloaded", file_name="a.txt")]}
    posted = await http.post(f"{api.ingest}/events", headers=api.auth(service_token),
                             json=events)
    assert posted.status_code == 202, posted.text
    alerts = await http.get(f"{api.cases}/alerts", headers=api.auth(analyst_token))
    assert alerts.status_code == 200, alerts.text
    # Each only what its role allows.
    assert (await http.get(f"{api.cases}/alerts",
                           headers=api.auth(service_token))).status_code == 403
    assert (await http.post(f"{api.ingest}/events", headers=api.auth(analyst_token),
                            json=events)).status_code == 403
    admin = api.auth(api.admin_token())
    for client in (service, analyst):
        revoked = await http.delete(f"{api.identity}/clients/{client['id']}", headers=admin)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["roles"] == [] and revoked.json()["revoked_at"]
    # Tokens already issued: refused at once by every service (their roles are gone).
    assert (await http.post(f"{api.ingest}/events", headers=api.auth(service_token),
                            json=events)).status_code == 403
    assert (await http.get(f"{api.cases}/alerts",
                           headers=api.auth(analyst_token))).status_code == 403
    assert (await http.get(f"{api.scoring}/policies",
                           headers=api.auth(analyst_token))).status_code == 403
    # And no new token.
    again = await client_token(api, http, service["id"], service["client_secret"])
    assert again.status_code == 401 and again.json()["detail"] == "the client is revoked"
    rows = await db_fetch(api, "SELECT secret_hash, revoked_at FROM identity.service_client "
                          "WHERE id = $1", uuid.UUID(service["id"]))
    assert rows[0]["secret_hash"] is None and rows[0]["revoked_at"] is not None
    assert not await db_fetch(api, "SELECT 1 FROM identity.casbin_rule WHERE v0 = $1",
                              f"client:{service['id']}")
    # Kept for the audit trail, listed as revoked; its name can be given out again.
    listed = (await http.get(f"{api.identity}/clients", headers=admin)).json()
    assert any(c["id"] == service["id"] and c["revoked_at"] for c in listed)
    [audit] = await audit_rows(api, "client.revoke", f"client:{service['id']}")
    assert audit["detail"]["before"]["roles"] == ["Integrator"]
    assert audit["detail"]["after"] == {**audit["detail"]["before"], "roles": [],
                                        "revoked": True}
    twice = await http.delete(f"{api.identity}/clients/{service['id']}", headers=admin)
    assert twice.status_code == 409 and twice.json()["code"] == "client_revoked"
    for path, method in ((f"/clients/{service['id']}/secret", "POST"),
                         (f"/clients/{service['id']}/roles", "PUT")):
        resp = await http.request(method, api.identity + path, headers=admin,
                                  json={"roles": ["Integrator"]})
        assert resp.status_code == 409, path
    reused = await new_client(api, http, name=service["name"])
    assert reused["id"] != service["id"]


async def test_a_rotated_secret_replaces_the_old_one(api: Api, http: httpx.AsyncClient) -> None:
    client = await new_client(api, http, "Analyst")
    earlier_token = await token_of(api, http, client)
    admin = api.auth(api.admin_token())
    rotated = await http.post(f"{api.identity}/clients/{client['id']}/secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = rotated.json()["client_secret"]
    assert new_secret != client["client_secret"] and rotated.json()["secret_rotated_at"]
    old = await client_token(api, http, client["id"], client["client_secret"])
    assert old.status_code == 401
    assert (await client_token(api, http, client["id"], new_secret)).status_code == 200
    # A token issued before keeps working until it expires (minutes); revoke cuts it off.
    assert (await http.get(f"{api.cases}/alerts",
                           headers=api.auth(earlier_token))).status_code == 200
    [audit] = await audit_rows(api, "client.secret.rotate", f"client:{client['id']}")
    assert audit["detail"]["before"]["secret_set_at"] != audit["detail"]["after"][
        "secret_set_at"]
    assert new_secret not in str(audit)


async def test_roles_of_a_client_change_at_once(api: Api, http: httpx.AsyncClient) -> None:
    client = await new_client(api, http)
    token = await token_of(api, http, client)
    admin = api.auth(api.admin_token())
    assert (await http.get(f"{api.cases}/alerts", headers=api.auth(token))).status_code == 403
    put = await http.put(f"{api.identity}/clients/{client['id']}/roles", headers=admin,
                         json={"roles": ["Analyst", "Analyst"]})
    assert put.status_code == 200 and put.json()["roles"] == ["Analyst"]
    assert (await http.get(f"{api.cases}/alerts", headers=api.auth(token))).status_code == 200
    [audit] = await audit_rows(api, "client.roles.set", f"client:{client['id']}")
    assert (audit["detail"]["before"], audit["detail"]["after"]) == ([], ["Analyst"])
    bad = await http.put(f"{api.identity}/clients/{client['id']}/roles", headers=admin,
                         json={"roles": ["Analyst", "Root"]})
    assert bad.status_code == 422
    assert (bad.json()["invalid_params"][0]["field"],
            bad.json()["invalid_params"][0]["index"]) == ("roles", 1)
    missing = await http.put(f"{api.identity}/clients/{uuid.uuid4()}/roles", headers=admin,
                             json={"roles": []})
    assert missing.status_code == 404 and missing.json()["code"] == "client_not_found"


async def test_client_input_is_validated(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    bad_name = await http.post(f"{api.identity}/clients", headers=admin,
                               json={"name": "has spaces", "roles": []})
    assert bad_name.status_code == 422
    assert bad_name.json()["invalid_params"][0]["field"] == "name"
    client = await new_client(api, http)
    dup = await http.post(f"{api.identity}/clients", headers=admin,
                          json={"name": client["name"]})
    assert dup.status_code == 409 and dup.json()["code"] == "client_exists"
    for role in ("Analyst", "Investigator", "Auditor"):
        resp = await http.post(f"{api.identity}/clients", headers=api.auth(api.token(role)),
                               json={"name": "nope"})
        assert resp.status_code == 403, role
    assert (await http.get(f"{api.identity}/clients/{uuid.uuid4()}",
                           headers=admin)).status_code == 404


async def test_the_services_call_each_other_as_their_own_clients(
        api: Api, http: httpx.AsyncClient) -> None:
    """Each service got its own client from the launcher (role `service`, and no other's
    credentials); ingest calls identity with it, so taking its role away cuts ingest off
    at once, and giving it back restores it."""
    admin = api.auth(api.admin_token())
    clients = {c["name"]: c for c in (await http.get(f"{api.identity}/clients",
                                                     headers=admin)).json()
               if c["revoked_at"] is None}
    for name in ("identity", "ingest", "scoring", "cases"):
        mine = api.stack.clients[name]
        assert clients[f"openirm-{name}"]["id"] == mine.client_id
        assert clients[f"openirm-{name}"]["roles"] == ["service"]
        env = api.stack.env(name)
        assert (env["OPENIRM_CLIENT_ID"], env["OPENIRM_CLIENT_SECRET"]) == (
            mine.client_id, mine.client_secret)
        others = {c.client_secret for n, c in api.stack.clients.items() if n != name}
        assert not others & set(env.values())
    assert not {"OPENIRM_CLIENT_ID", "OPENIRM_CLIENT_SECRET"} & set(api.stack.env("gateway"))
    ingest_id = api.stack.clients["ingest"].client_id
    batch = {"events": [event(person_email(), "file.downloaded", file_name="x.txt")]}
    assert (await http.post(f"{api.ingest}/events", headers=admin,
                            json=batch)).status_code == 202
    issued = await token_audit(api, http, f"client:{ingest_id}")
    assert issued and issued[0]["detail"]["name"] == "openirm-ingest"
    roles_url = f"{api.identity}/clients/{ingest_id}/roles"
    try:
        assert (await http.put(roles_url, headers=admin, json={"roles": []})).status_code == 200
        # A new person: ingest must ask identity for a pseudonym, as itself.
        batch = {"events": [event(person_email(), "file.downloaded", file_name="y.txt")]}
        cut = await http.post(f"{api.ingest}/events", headers=admin, json=batch)
        assert cut.status_code == 403, cut.text
    finally:
        restored = await http.put(roles_url, headers=admin, json={"roles": ["service"]})
        assert restored.status_code == 200
    assert (await http.post(f"{api.ingest}/events", headers=admin,
                            json=batch)).status_code == 202


async def test_clients_through_graphql(api: Api) -> None:
    admin = api.admin_token()
    name = f"gql-{uuid.uuid4().hex[:8]}"
    created = await gql(api, """mutation($input: CreateClientInput!) {
        createClient(input: $input) { clientSecret client { id name roles revokedAt } } }""",
                        admin, input={"name": name, "roles": ["INTEGRATOR"]})
    payload = created["data"]["createClient"]
    client_id = payload["client"]["id"]
    assert payload["client"] == {"id": client_id, "name": name, "roles": ["INTEGRATOR"],
                                 "revokedAt": None}
    listed = await gql(api, "{ clients(first: 500) { nodes { id name } } }", admin)
    assert {"id": client_id, "name": name} in listed["data"]["clients"]["nodes"]
    assert "clientSecret" not in str(listed)
    roles = await gql(api, """mutation($id: ID!) {
        setClientRoles(input: {clientId: $id, roles: [ANALYST]}) { client { roles } } }""",
                      admin, id=client_id)
    assert roles["data"]["setClientRoles"]["client"]["roles"] == ["ANALYST"]
    rotated = await gql(api, """mutation($id: ID!) {
        rotateClientSecret(input: {clientId: $id}) { clientSecret
          client { secretRotatedAt } } }""", admin, id=client_id)
    new_secret = rotated["data"]["rotateClientSecret"]["clientSecret"]
    assert new_secret != payload["clientSecret"]
    raw_id = (await gql(api, "query($id: ID!) { client(id: $id) { rawId } }", admin,
                        id=client_id))["data"]["client"]["rawId"]
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await client_token(api, http, raw_id, new_secret)).status_code == 200
    revoked = await gql(api, """mutation($id: ID!) {
        revokeClient(input: {clientId: $id}) { client { roles revokedAt } } }""", admin,
                        id=client_id)
    assert revoked["data"]["revokeClient"]["client"]["roles"] == []
    one = await gql(api, "query($id: ID!) { client(id: $id) { revokedAt } }", admin,
                    id=client_id)
    assert one["data"]["client"]["revokedAt"] is not None
    forbidden = await gql(api, "{ clients { nodes { id } } }", api.token("Analyst"))
    assert [e["extensions"]["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]


async def test_provisioning_from_configuration_is_idempotent(api: Api,
                                                             http: httpx.AsyncClient) -> None:
    """What `openirm provision-clients` does for compose: the operator chooses each client's
    id and secret; running it again changes nothing, a new secret replaces the old one, and
    a revoked client is refused rather than brought back."""

    from openirm.launcher import ClientCredentials, _ensure_service_clients
    from services.identity.clients.exceptions import ClientRevoked

    env, name = api.stack.env("identity"), f"probe{uuid.uuid4().hex[:6]}"
    chosen = ClientCredentials(str(uuid.uuid4()), "s" * 40)
    first = await _ensure_service_clients(env, (name,), {name: chosen})
    again = await _ensure_service_clients(env, (name,), {name: chosen})
    assert first == again == {name: chosen}
    assert (await client_token(api, http, chosen.client_id, "s" * 40)).status_code == 200
    target = f"client:{chosen.client_id}"
    assert len(await audit_rows(api, "client.create", target)) == 1
    assert not await audit_rows(api, "client.secret.rotate", target)
    await _ensure_service_clients(env, (name,), {name: ClientCredentials(chosen.client_id,
                                                                         "t" * 40)})
    assert (await client_token(api, http, chosen.client_id, "s" * 40)).status_code == 401
    assert (await client_token(api, http, chosen.client_id, "t" * 40)).status_code == 200
    [rotated] = await audit_rows(api, "client.secret.rotate", target)
    assert rotated["actor"] == "system:launcher"
    admin = api.auth(api.admin_token())
    got = (await http.get(f"{api.identity}/clients/{chosen.client_id}", headers=admin)).json()
    assert (got["name"], got["roles"]) == (f"openirm-{name}", ["service"])
    await http.delete(f"{api.identity}/clients/{chosen.client_id}", headers=admin)
    with pytest.raises(ClientRevoked):
        await _ensure_service_clients(env, (name,), {name: chosen})
    # Without configuration (openirm up): a fresh client of that name, a new secret each run.
    fresh = await _ensure_service_clients(env, (name,))
    later = await _ensure_service_clients(env, (name,))
    assert fresh[name].client_id == later[name].client_id != chosen.client_id
    assert fresh[name].client_secret != later[name].client_secret


async def test_integrators_send_activity_and_nothing_else(api: Api,
                                                         http: httpx.AsyncClient) -> None:
    """`service` reaches every service's internal API, so no Admin can grant it: integrators
    get `Integrator`, which sends activity and nothing else."""
    admin = api.auth(api.admin_token())
    reserved = await http.post(f"{api.identity}/clients", headers=admin,
                               json={"name": f"it-{uuid.uuid4().hex[:8]}",
                                     "roles": ["service"]})
    assert reserved.status_code == 422 and reserved.json()["code"] == "reserved_role"
    client = await new_client(api, http, "Integrator")
    widened = await http.put(f"{api.identity}/clients/{client['id']}/roles", headers=admin,
                             json={"roles": ["Integrator", "service"]})
    assert widened.status_code == 422 and widened.json()["code"] == "reserved_role"
    token = api.auth(await token_of(api, http, client))
    batch = {"events": [event(person_email(), "file.downloaded", file_name="z.txt")]}
    assert (await http.post(f"{api.ingest}/events", headers=token,
                            json=batch)).status_code == 202
    for method, url, body in [
            ("GET", f"{api.ingest}/events/feed", None),
            ("POST", f"{api.identity}/people/resolve", {"identifiers": ["a@b.example"]}),
            ("GET", f"{api.identity}/roles/accounts", None),
            ("GET", f"{api.cases}/cases", None),
            ("PUT", f"{api.scoring}/subjects/{uuid.uuid4()}/attributes", {"high_impact": False}),
            ("GET", f"{api.identity}/access/scope?subject=user:x", None)]:
        resp = await http.request(method, url, headers=token, json=body)
        assert resp.status_code == 403, (method, url, resp.status_code)
