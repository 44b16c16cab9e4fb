"""Identity benchmark: sign-in latency against its bound (one argon2 verify), token-verify
latency (the codec alone in process, OpenIRM's and an external OIDC issuer's tokens, and an
authenticated cheap request against an unauthenticated /healthz as the bare limit), and how
long a role change takes to reach every service (granted, then revoked).

    uv run python -m bench.identity [--quick]

Starts its own stack on embedded PostgreSQL and Redis (or OPENIRM_DATABASE_URL /
OPENIRM_REDIS_URL when set), trusting a fake OIDC issuer served from this process. The last
line printed is one JSON object with the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid

import httpx
from argon2 import PasswordHasher

from bench.common import PASSWORD, pct, sign_in, start_stack
from openirm.launcher import Stack
from services.kit.tokens import OidcIssuer, TokenCodec, TokenVerifier
from tests.fake_idp import AUDIENCE, FakeIdP


def ms(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, pct(values, 0.95) * 1000


async def sign_ins(client: httpx.AsyncClient, url: str, email: str,
                   n: int) -> tuple[list[float], list[float]]:
    """n sign-ins, each followed by one bare argon2 verify in this process with the
    parameters identity hashes with (argon2-cffi's defaults): the bound of a sign-in,
    measured in turns so that a busy machine slows both alike. Seconds each."""
    hasher = PasswordHasher()
    hashed = hasher.hash(PASSWORD)
    signed, bare = [], []
    for _ in range(n):
        t = time.perf_counter()
        resp = await client.post(f"{url}/auth/token", json={"email": email,
                                                            "password": PASSWORD})
        signed.append(time.perf_counter() - t)
        resp.raise_for_status()
        t = time.perf_counter()
        hasher.verify(hashed, PASSWORD)
        bare.append(time.perf_counter() - t)
    return signed, bare


async def verify_in_process(idp: FakeIdP, n: int) -> dict[str, float]:
    """Microseconds per verify: the codec alone; the same token through the verifier when an
    issuer is configured (the routing it adds); an issuer's RS256 token, keys cached. The
    three are measured in turns, median of 6 rounds, so a busy machine skews them alike."""
    codec = TokenCodec("bench-secret-of-32-characters-xx", "openirm", "openirm", 900)
    token = codec.issue(f"user:{uuid.uuid4()}", email="a@x.example")
    async with httpx.AsyncClient() as http:
        issuer = OidcIssuer(idp.issuer, AUDIENCE, http=http)

        async def resolve(email: str) -> str | None:
            return "user:1"

        verifier = TokenVerifier(codec, issuer, resolve)
        external = idp.token("a@x.example")
        await verifier.verify(external)  # fetch the keys once

        async def codec_alone() -> None:
            codec.verify(token)

        async def routed() -> None:
            await verifier.verify(token)

        async def oidc() -> None:
            await verifier.verify(external)

        rounds: dict[str, list[float]] = {"codec_us": [], "routed_us": [], "oidc_us": []}
        variants = list(zip(rounds, (codec_alone, routed, oidc), strict=True))
        for i in range(6):
            for name, fn in variants[i % 3:] + variants[:i % 3]:  # each goes first in turn
                t = time.perf_counter()
                for _ in range(n):
                    await fn()
                rounds[name].append((time.perf_counter() - t) / n * 1e6)
    return {name: statistics.median(values) for name, values in rounds.items()}


async def request_latencies(client: httpx.AsyncClient,
                            calls: dict[str, tuple[str, str | None]],
                            n: int) -> dict[str, list[float]]:
    """n GETs of each (url, token), one of each in turn; seconds each."""
    out: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(n):
        for name, (url, token) in calls.items():
            headers = {"Authorization": f"Bearer {token}"} if token else None
            t = time.perf_counter()
            resp = await client.get(url, headers=headers)
            out[name].append(time.perf_counter() - t)
            assert resp.status_code == 200, resp.text
    return out


async def role_changes(stack: Stack, admin: str,
                       n: int) -> tuple[list[float], list[float], list[float]]:
    """Grant an account Analyst, poll one Analyst endpoint in each service until all four
    answer 2xx; then revoke and poll until all four answer 403. Seconds from sending the
    PUT to the last service agreeing, and to the PUT's own answer (committed, published)."""
    url = stack.config.url
    admin_h = {"Authorization": f"Bearer {admin}"}
    codec = TokenCodec(stack.secrets["jwt_secret"], "openirm", "openirm", 600)
    email = f"bench-roles-{uuid.uuid4().hex[:6]}@contoso.example"
    async with httpx.AsyncClient(timeout=30) as c:
        resp = await c.post(f"{url('identity')}/accounts", headers=admin_h, json={
            "email": email, "display_name": "Role changes", "password": PASSWORD})
        resp.raise_for_status()
        account_id = resp.json()["id"]
        ingest = stack.clients["ingest"]  # resolve as ingest does, with its own client
        person = await c.post(f"{url('identity')}/people/resolve", json={
            "identifiers": ["bench-person@contoso.example"]}, headers={
            "Authorization": f"Bearer {codec.issue(f'client:{ingest.client_id}')}"})
        person.raise_for_status()
        subject = person.json()["items"][0]["subject_id"]
    token = await sign_in(stack, email)
    probes = {"identity": f"{url('identity')}/people/{subject}",
              "ingest": f"{url('ingest')}/activity?subject_id={subject}",
              "scoring": f"{url('scoring')}/policies",
              "cases": f"{url('cases')}/alerts?limit=1"}

    async def until(client: httpx.AsyncClient, probe: str, ok: bool, started: float) -> float:
        h = {"Authorization": f"Bearer {token}"}
        while True:
            status = (await client.get(probe, headers=h)).status_code
            if (status < 300) if ok else (status == 403):
                return time.perf_counter() - started
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{probe} still answers {status} after 30 s")
            await asyncio.sleep(0.01)  # 4 pollers in a tight loop would load the 2 cores

    grants: list[float] = []
    revokes: list[float] = []
    puts: list[float] = []
    clients = [httpx.AsyncClient(timeout=30) for _ in probes]
    try:
        async with httpx.AsyncClient(timeout=30) as c:

            async def put(roles: list[str], started: float) -> float:
                resp = await c.put(f"{url('identity')}/accounts/{account_id}/roles",
                                   headers=admin_h, json={"roles": roles})
                resp.raise_for_status()
                return time.perf_counter() - started

            for _ in range(n):
                for roles, out, ok in ((["Analyst"], grants, True), ([], revokes, False)):
                    started = time.perf_counter()
                    # Polling starts with the PUT: a service that agrees early is timed too.
                    results = await asyncio.gather(put(roles, started), *(
                        until(client, probe, ok, started)
                        for client, probe in zip(clients, probes.values(), strict=True)))
                    puts.append(results[0])
                    out.append(max(results[1:]))
    finally:
        for client in clients:
            await client.aclose()
    return grants, revokes, puts


async def main(quick: bool) -> dict:
    n_sign_in = 5 if quick else 100
    n_requests = 100 if quick else 2000
    n_changes = 5 if quick else 20
    n_verify = 200 if quick else 2000
    idp = FakeIdP()
    os.environ.update(idp.env(min_refetch_s=60))
    stack, startup_s = await start_stack()
    try:
        assert stack.admin is not None
        identity = stack.config.url("identity")
        async with httpx.AsyncClient(timeout=30) as c:
            await sign_ins(c, identity, stack.admin.email, 1)  # warm-up
            signin_s, limit_s = await sign_ins(c, identity, stack.admin.email, n_sign_in)
        signin_p50, signin_p95 = ms(signin_s)
        argon2_p50, _ = ms(limit_s)
        print(f"sign-in: p50 {signin_p50:.1f} ms, p95 {signin_p95:.1f} ms over {n_sign_in}; "
              f"bare argon2 verify p50 {argon2_p50:.1f} ms "
              f"(sign-in is {signin_p50 / argon2_p50:.2f}x its bound)", flush=True)

        verify = await verify_in_process(idp, n_verify)
        print(f"token verify in process: codec {verify['codec_us']:.1f} us; the same token "
              f"with an OIDC issuer configured {verify['routed_us']:.1f} us; an issuer's "
              f"RS256 token (keys cached) {verify['oidc_us']:.1f} us", flush=True)

        admin = await sign_in(stack, stack.admin.email)
        me = f"{identity}/accounts/me"
        idp_token = idp.token(stack.admin.email)
        calls = {"healthz": (f"{identity}/healthz", None), "me": (me, admin),
                 "idp": (me, idp_token)}
        async with httpx.AsyncClient(timeout=30) as c:
            await request_latencies(c, calls, 20)  # warm-up (and the issuer's keys fetched)
            got = await request_latencies(c, calls, n_requests)
        bare, authed, via_idp = got["healthz"], got["me"], got["idp"]
        bare_p50, bare_p95 = ms(bare)
        me_p50, me_p95 = ms(authed)
        idp_p50, idp_p95 = ms(via_idp)
        print(f"GET /healthz (no token, the bare limit): p50 {bare_p50:.2f} ms, p95 "
              f"{bare_p95:.2f} ms; GET /accounts/me (token check + one account read): p50 "
              f"{me_p50:.2f} ms, p95 {me_p95:.2f} ms ({me_p50 / bare_p50:.2f}x); with an IdP "
              f"token: p50 {idp_p50:.2f} ms, p95 {idp_p95:.2f} ms", flush=True)

        grants, revokes, puts = await role_changes(stack, admin, n_changes)
        grant_p50, grant_p95 = ms(grants)
        revoke_p50, revoke_p95 = ms(revokes)
        put_p50, put_p95 = ms(puts)
        print(f"role change reaching all 4 services ({n_changes} grants, {n_changes} revokes): "
              f"granted p50 {grant_p50:.0f} ms, p95 {grant_p95:.0f} ms, max "
              f"{max(grants) * 1000:.0f} ms; revoked p50 {revoke_p50:.0f} ms, p95 "
              f"{revoke_p95:.0f} ms, max {max(revokes) * 1000:.0f} ms; the PUT's own answer "
              f"p50 {put_p50:.0f} ms, p95 {put_p95:.0f} ms", flush=True)
    finally:
        stack.stop()
        idp.stop()
    return {"bench": "identity", "quick": quick,
            "sign_in_p50_ms": round(signin_p50, 1), "sign_in_p95_ms": round(signin_p95, 1),
            "argon2_verify_limit_ms": round(argon2_p50, 1),
            "sign_in_ratio_to_limit": round(signin_p50 / argon2_p50, 2),
            "codec_verify_us": round(verify["codec_us"], 1),
            "codec_verify_oidc_configured_us": round(verify["routed_us"], 1),
            "oidc_verify_us": round(verify["oidc_us"], 1),
            "healthz_p50_ms": round(bare_p50, 2), "healthz_p95_ms": round(bare_p95, 2),
            "accounts_me_p50_ms": round(me_p50, 2), "accounts_me_p95_ms": round(me_p95, 2),
            "accounts_me_ratio_to_healthz": round(me_p50 / bare_p50, 2),
            "accounts_me_oidc_p50_ms": round(idp_p50, 2),
            "accounts_me_oidc_p95_ms": round(idp_p95, 2),
            "role_grant_p50_ms": round(grant_p50), "role_grant_p95_ms": round(grant_p95),
            "role_grant_max_ms": round(max(grants) * 1000),
            "role_revoke_p50_ms": round(revoke_p50), "role_revoke_p95_ms": round(revoke_p95),
            "role_revoke_max_ms": round(max(revokes) * 1000),
            "role_put_p50_ms": round(put_p50), "role_put_p95_ms": round(put_p95),
            "role_changes": n_changes, "startup_s": round(startup_s, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick))))
