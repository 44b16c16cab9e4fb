"""Sign-in, tokens and role assignment through identity's REST API."""

from __future__ import annotations

import time
import uuid

import httpx
from jose import jwt

from services.kit.tokens import TokenCodec, key_id
from tests.conftest import PASSWORD, Api


async def test_sign_in_returns_a_short_lived_token(api: Api, http: httpx.AsyncClient) -> None:
    resp = await http.post(f"{api.identity}/auth/token",
                           json={"email": api.admin_email, "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 3600
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"].startswith("user:") and claims["exp"] - claims["iat"] <= 3600
    assert "roles" not in claims  # roles are read from the rules, never frozen into a token
    me = await http.get(f"{api.identity}/accounts/me", headers=api.auth(body["access_token"]))
    assert me.json()["roles"] == ["Admin"]


async def test_wrong_password_is_refused_and_audited(api: Api, http: httpx.AsyncClient) -> None:
    resp = await http.post(f"{api.identity}/auth/token",
                           json={"email": api.admin_email, "password": "wrong-password"})
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "invalid_credentials"
    unknown = await http.post(f"{api.identity}/auth/token",
                              json={"email": "nobody@test.example", "password": "x"})
    assert unknown.status_code == 401
    audit = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "auth.sign_in", "actor": "email:nobody@test.example"})
    assert audit.json()["items"][0]["outcome"] == "failure"


async def test_bad_tokens_get_401(api: Api, http: httpx.AsyncClient) -> None:
    good = api.token("Analyst")
    secret = api.stack.secrets["jwt_secret"]
    expired = TokenCodec(secret, "openirm", "openirm", 60).issue("user:x", ttl_s=-10)
    wrong_key = TokenCodec("another-secret-of-32-characters!!", "openirm", "openirm",
                           60).issue("user:x")
    wrong_aud = TokenCodec(secret, "openirm", "someone-else", 60).issue("user:x")
    header, payload, sig = good.split(".")
    tampered = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), sig])
    unsigned = jwt.encode({"sub": "user:x", "exp": int(time.time()) + 60}, "",
                          algorithm="HS256").rsplit(".", 1)[0] + "."
    wrong_iss = TokenCodec(secret, "someone-else", "openirm", 60).issue("user:x")
    # Another key that claims to be the stack's current one.
    forged_kid = jwt.encode({"sub": "user:x", "iss": "openirm", "aud": "openirm",
                             "iat": int(time.time()), "exp": int(time.time()) + 60},
                            "another-secret-of-32-characters!!", algorithm="HS256",
                            headers={"kid": key_id(secret)})
    alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."
    for token, code, reason in (
            (expired, "token_expired", "token has expired"),
            (wrong_key, "token_invalid", "token was signed with an unknown or retired key"),
            (forged_kid, "token_invalid", "token signature does not verify"),
            (wrong_aud, "token_invalid", "token is for another audience"),
            (wrong_iss, "token_invalid", "token is from another issuer"),
            (tampered, "token_invalid", "token signature does not verify"),
            (unsigned, "token_invalid", "token signature does not verify"),
            (alg_none, "token_invalid", "token algorithm 'none' is refused (only HS256)"),
            ("garbage", "token_invalid", "token is not a JWT")):
        resp = await http.get(f"{api.cases}/alerts", headers=api.auth(token))
        assert resp.status_code == 401, token
        assert (resp.json()["code"], resp.json()["detail"]) == (code, reason)
    missing = await http.get(f"{api.cases}/alerts")
    assert missing.status_code == 401 and missing.json()["code"] == "token_missing"


async def test_role_change_takes_effect_at_once_in_every_service(
        api: Api, http: httpx.AsyncClient) -> None:
    account_id, token = api.new_account()
    admin = api.auth(api.admin_token())
    assert (await http.get(f"{api.cases}/alerts", headers=api.auth(token))).status_code == 403
    resp = await http.put(f"{api.identity}/accounts/{account_id}/roles", headers=admin,
                          json={"roles": ["Analyst"]})
    assert resp.status_code == 200 and resp.json()["roles"] == ["Analyst"]
    # Same token, new rules: no restart, no new sign-in.
    assert (await http.get(f"{api.cases}/alerts", headers=api.auth(token))).status_code == 200
    assert (await http.get(f"{api.scoring}/policies",
                           headers=api.auth(token))).status_code == 200
    await http.put(f"{api.identity}/accounts/{account_id}/roles", headers=admin,
                   json={"roles": []})
    assert (await http.get(f"{api.cases}/alerts", headers=api.auth(token))).status_code == 403
    audit = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "account.roles.set",
                                   "target": f"user:{account_id}"})
    changes = [e["detail"] for e in audit.json()["items"]]
    assert {"before": ["Analyst"], "after": []} in changes
    assert {"before": [], "after": ["Analyst"]} in changes


async def test_only_admins_manage_accounts(api: Api, http: httpx.AsyncClient) -> None:
    body = {"email": "x@test.example", "display_name": "X", "password": PASSWORD,
            "roles": ["Admin"]}
    for role in ("Analyst", "Investigator", "Auditor"):
        resp = await http.post(f"{api.identity}/accounts", headers=api.auth(api.token(role)),
                               json=body)
        assert resp.status_code == 403, role


async def test_account_input_is_validated(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    short = await http.post(f"{api.identity}/accounts", headers=admin,
                            json={"email": "y@test.example", "display_name": "Y",
                                  "password": "short", "roles": []})
    assert short.status_code == 422
    assert short.json()["invalid_params"][0]["field"] == "password"
    role = await http.post(f"{api.identity}/accounts", headers=admin,
                           json={"email": "y@test.example", "display_name": "Y",
                                 "password": PASSWORD, "roles": ["Superuser"]})
    assert role.status_code == 422
    invalid = role.json()["invalid_params"][0]
    assert (invalid["field"], invalid["index"]) == ("roles", 0)
    _, token = api.new_account("Analyst")
    dup_email = (await http.get(f"{api.identity}/accounts/me", headers=api.auth(token))).json()
    dup = await http.post(f"{api.identity}/accounts", headers=admin,
                          json={"email": dup_email["email"], "display_name": "Dup",
                                "password": PASSWORD, "roles": []})
    assert dup.status_code == 409 and dup.json()["code"] == "account_exists"


async def test_repeated_failed_sign_ins_lock_the_email(api: Api, http: httpx.AsyncClient
                                                       ) -> None:
    email = f"throttled-{uuid.uuid4().hex[:8]}@test.example"
    created = await http.post(f"{api.identity}/accounts", headers=api.auth(api.admin_token()),
                              json={"email": email, "display_name": "T", "password": PASSWORD,
                                    "roles": ["Analyst"]})
    assert created.status_code == 201, created.text
    ok = await http.post(f"{api.identity}/auth/token", json={"email": email,
                                                             "password": PASSWORD})
    assert ok.status_code == 200  # a success in between resets nothing that is not there
    for _ in range(5):
        wrong = await http.post(f"{api.identity}/auth/token",
                                json={"email": email, "password": "wrong-password"})
        assert wrong.status_code == 401
    locked = await http.post(f"{api.identity}/auth/token", json={"email": email.upper(),
                                                                 "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["code"] == "sign_in_locked"
    assert 1 <= int(locked.headers["Retry-After"]) <= 900
    audit = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "auth.sign_in", "outcome": "throttled"})
    assert audit.status_code == 200
    # An unknown email is counted and locked the same way: no way to tell them apart.
    ghost = f"ghost-{uuid.uuid4().hex[:8]}@test.example"
    codes = [(await http.post(f"{api.identity}/auth/token",
                              json={"email": ghost, "password": "x"})).status_code
             for _ in range(6)]
    assert codes == [401] * 5 + [429]


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(
        api: Api, http: httpx.AsyncClient) -> None:
    email = f"session-{uuid.uuid4().hex[:8]}@test.example"
    (await http.post(f"{api.identity}/accounts", headers=api.auth(api.admin_token()),
                     json={"email": email, "display_name": "S", "password": PASSWORD,
                           "roles": ["Analyst"]})).raise_for_status()
    signed_in = (await http.post(f"{api.identity}/auth/token",
                                 json={"email": email, "password": PASSWORD})).json()
    first = signed_in["refresh_token"]
    assert signed_in["refresh_expires_in"] == 12 * 3600
    renewed = await http.post(f"{api.identity}/auth/refresh", json={"refresh_token": first})
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()["refresh_token"]
    assert second != first
    me = await http.get(f"{api.identity}/accounts/me",
                        headers=api.auth(renewed.json()["access_token"]))
    assert me.json()["email"] == email
    # The first one again: copied. The whole session ends, the second one too.
    reused = await http.post(f"{api.identity}/auth/refresh", json={"refresh_token": first})
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_refresh_token"
    assert "already used" in reused.json()["detail"]
    after = await http.post(f"{api.identity}/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401
    # Sign-out ends a fresh session; an unknown token is refused without telling more.
    fresh = (await http.post(f"{api.identity}/auth/token",
                             json={"email": email, "password": PASSWORD})).json()
    out = await http.post(f"{api.identity}/auth/sign-out",
                          json={"refresh_token": fresh["refresh_token"]})
    assert out.status_code == 204
    gone = await http.post(f"{api.identity}/auth/refresh",
                           json={"refresh_token": fresh["refresh_token"]})
    assert gone.status_code == 401
    unknown = await http.post(f"{api.identity}/auth/refresh",
                              json={"refresh_token": "x" * 43})
    assert unknown.status_code == 401 and unknown.json()["detail"] == \
        "refresh token is not valid"
    audit = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "auth.sign_out"})
    assert audit.json()["items"]


async def test_one_account_is_read_by_id(api: Api, http: httpx.AsyncClient) -> None:
    account_id, _ = api.new_account("Analyst", "Auditor")
    admin = api.auth(api.admin_token())
    one = await http.get(f"{api.identity}/accounts/{account_id}", headers=admin)
    assert one.status_code == 200, one.text
    listed = (await http.get(f"{api.identity}/accounts", headers=admin)).json()
    assert one.json() == next(a for a in listed if a["id"] == account_id)
    assert sorted(one.json()["roles"]) == ["Analyst", "Auditor"]
    missing = await http.get(f"{api.identity}/accounts/{uuid.uuid4()}", headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "account_not_found"
    refused = await http.get(f"{api.identity}/accounts/{account_id}",
                             headers=api.auth(api.token("Analyst")))
    assert refused.status_code == 403
