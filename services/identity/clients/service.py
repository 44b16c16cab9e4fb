"""Service clients: machine callers with client credentials (integrators, and OpenIRM's own
services), each bound to roles like a staff account."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.accounts import repository as roles_repo
from services.identity.accounts.service import SignInThrottle
from services.identity.clients import repository as repo
from services.identity.clients.exceptions import (
    ClientExists,
    ClientNotFound,
    ClientRevoked,
    ClientTokenLocked,
    InvalidClient,
    ReservedRole,
)
from services.identity.clients.schemas import (
    ClientCreate,
    ClientRead,
    ClientSecretRead,
    ClientTokenRead,
)
from services.identity.models import ServiceClient
from services.kit.authz import bump_rules_version
from services.kit.db import UnitOfWork
from services.kit.errors import InvalidParam
from services.kit.live import AccessChanged, publish_after_commit
from services.kit.runtime import Runtime

# Verifying against this keeps an unknown client as slow as a wrong secret.
_NO_HASH = "0" * 64


def subject_of(client_id: uuid.UUID) -> str:
    return f"client:{client_id}"


def _hash(secret: str) -> str:
    """A 256-bit random secret needs no slow hash: nobody can guess it from its SHA-256."""
    return hashlib.sha256(b"openirm-client-secret:" + secret.encode()).hexdigest()


def _new_secret() -> str:
    return "oirm_" + secrets.token_urlsafe(32)


def _read(client: ServiceClient, roles: list[str]) -> ClientRead:
    return ClientRead(id=client.id, name=client.name, description=client.description,
                      roles=sorted(roles), created_by=client.created_by,  # type: ignore[arg-type]
                      created_at=client.created_at, secret_rotated_at=client.secret_rotated_at,
                      last_used_at=client.last_used_at, revoked_at=client.revoked_at)


def _with_secret(read: ClientRead, secret: str) -> ClientSecretRead:
    return ClientSecretRead(**read.model_dump(), client_secret=secret)


def _state(client: ServiceClient, roles: list[str]) -> dict:
    """What an audit row shows of a client (never the secret or its hash)."""
    return {"name": client.name, "description": client.description, "roles": sorted(roles),
            "revoked": client.revoked_at is not None}


async def _locked(session: AsyncSession, client_id: uuid.UUID) -> ServiceClient:
    client = await repo.by_id(session, client_id, for_update=True)
    if client is None:
        raise ClientNotFound("no such client")
    return client


def _bump_after_commit(rt: Runtime, uow: UnitOfWork, subject: str) -> None:
    """The rules reload everywhere; live connections of this client check again at once."""
    uow.after_commit.append(lambda: bump_rules_version(rt.redis))
    publish_after_commit(uow, AccessChanged(subject=subject))


def _check_roles(provisioner: str, roles: list[str]) -> None:
    """Only clients OpenIRM provisioned itself (`system:` actors) may hold `service`."""
    if "service" in roles and not provisioner.startswith("system:"):
        raise ReservedRole("the service role is reserved for OpenIRM's own services; give an "
                           "integrator the Integrator role",
                           extra={"invalid_params": [InvalidParam(
                               field="roles", reason="service is reserved")]})


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: ClientCreate, *,
                 client_id: uuid.UUID | None = None, secret: str | None = None
                 ) -> ClientSecretRead:
    """`client_id` and `secret` are chosen by the operator only when provisioning the
    services' own clients from configuration (`openirm provision-clients`)."""
    if await repo.active_by_name(uow.session, data.name):
        raise ClientExists(f"a client named {data.name} exists")
    _check_roles(actor, data.roles)
    secret = secret or _new_secret()
    client = ServiceClient(name=data.name, description=data.description,
                           secret_hash=_hash(secret), created_by=actor)
    if client_id is not None:
        client.id = client_id
    uow.session.add(client)
    await uow.session.flush()
    roles = sorted(set(data.roles))
    await roles_repo.replace_roles(uow.session, subject_of(client.id), roles)
    await uow.session.refresh(client)
    await rt.audit.record(uow.session, actor=actor, action="client.create",
                          target=subject_of(client.id), detail={"after": _state(client, roles)})
    if roles:
        _bump_after_commit(rt, uow, subject_of(client.id))
    return _with_secret(_read(client, roles), secret)


async def get(uow: UnitOfWork, client_id: uuid.UUID) -> ClientRead:
    client = await repo.by_id(uow.session, client_id)
    if client is None:
        raise ClientNotFound("no such client")
    return _read(client, await roles_repo.roles_of(uow.session, subject_of(client.id)))


async def list_clients(uow: UnitOfWork) -> list[ClientRead]:
    roles = await roles_repo.roles_by_subject(uow.session)
    return [_read(c, roles.get(subject_of(c.id), [])) for c in await repo.list_all(uow.session)]


async def set_roles(rt: Runtime, uow: UnitOfWork, actor: str, client_id: uuid.UUID,
                    roles: list[str]) -> ClientRead:
    client = await _locked(uow.session, client_id)
    if client.revoked_at is not None:
        raise ClientRevoked("the client is revoked; create a new one")
    _check_roles(client.created_by, roles)
    subject = subject_of(client.id)
    before = await roles_repo.roles_of(uow.session, subject)
    after = sorted(set(roles))
    await roles_repo.replace_roles(uow.session, subject, after)
    await rt.audit.record(uow.session, actor=actor, action="client.roles.set", target=subject,
                          detail={"name": client.name, "before": before, "after": after})
    _bump_after_commit(rt, uow, subject)
    return _read(client, after)


async def rotate_secret(rt: Runtime, uow: UnitOfWork, actor: str, client_id: uuid.UUID, *,
                        secret: str | None = None) -> ClientSecretRead:
    """A new secret, shown once; the old one stops working at commit. Tokens already issued
    live on until they expire (minutes): revoke the client to cut it off at once."""
    client = await _locked(uow.session, client_id)
    if client.revoked_at is not None:
        raise ClientRevoked("the client is revoked; create a new one")
    previous = client.secret_rotated_at or client.created_at
    secret = secret or _new_secret()
    client.secret_hash, client.secret_rotated_at = _hash(secret), datetime.now(UTC)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action="client.secret.rotate",
                          target=subject_of(client.id),
                          detail={"name": client.name,
                                  "before": {"secret_set_at": _iso(previous)},
                                  "after": {"secret_set_at": _iso(client.secret_rotated_at)}})
    roles = await roles_repo.roles_of(uow.session, subject_of(client.id))
    return _with_secret(_read(client, roles), secret)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


async def revoke(rt: Runtime, uow: UnitOfWork, actor: str, client_id: uuid.UUID
                 ) -> ClientRead:
    """The secret hash and every role assignment go; the row stays for the audit trail.
    Tokens it already holds are refused by every service as soon as the rules reload."""
    client = await _locked(uow.session, client_id)
    if client.revoked_at is not None:
        raise ClientRevoked("the client is revoked already")
    subject = subject_of(client.id)
    roles = await roles_repo.roles_of(uow.session, subject)
    before = _state(client, roles)
    await roles_repo.replace_roles(uow.session, subject, [])
    client.secret_hash, client.revoked_at = None, datetime.now(UTC)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action="client.revoke", target=subject,
                          detail={"before": before, "after": _state(client, [])})
    _bump_after_commit(rt, uow, subject)
    return _read(client, [])


async def _find(session: AsyncSession, client_id: str) -> ServiceClient | None:
    """By id only, never by name: names are easy to guess, and whoever knows a client's id
    can lock it for a while with wrong secrets (the throttle)."""
    try:
        return await repo.by_id(session, uuid.UUID(client_id))
    except ValueError:
        return None


async def issue_token(rt: Runtime, client_id: str, client_secret: str) -> ClientTokenRead:
    """The client credentials grant. Own transaction, so a refusal is audited although the
    call fails. Failures are counted per client like failed sign-ins per email; at the limit
    the client is locked for a while, whatever the next secret."""
    throttle = SignInThrottle(rt, namespace="client_token")
    refused: str | None = None
    locked = 0
    async with rt.db.unit_of_work() as uow:
        client = await _find(uow.session, client_id)
        key = str(client.id) if client else client_id
        actor = subject_of(client.id) if client else f"client_id:{client_id[:100]}"
        detail: dict = {"name": client.name} if client else {}
        locked = await throttle.locked_for(key)
        if locked:
            refused = f"too many failed attempts for this client; try again in {locked} s"
            outcome = "throttled"
        else:
            presented = _hash(client_secret)
            stored = client.secret_hash if client and client.secret_hash else _NO_HASH
            ok = hmac.compare_digest(stored, presented) and client is not None \
                and client.secret_hash is not None
            if client is not None and client.revoked_at is not None:
                refused = "the client is revoked"
            elif not ok:
                refused = "client_id or client_secret is wrong"
            outcome = "failure" if refused else "success"
            if client is not None and not refused:
                client.last_used_at = datetime.now(UTC)
        await rt.audit.record(uow.session, actor=actor, action="auth.client_token",
                              outcome=outcome,
                              detail={**detail, **({"reason": refused} if refused else {})})
    if locked:
        raise ClientTokenLocked(refused or "locked", extra={"retry_after": locked})
    if refused or client is None:
        await throttle.failed(key)
        raise InvalidClient(refused or "client_id or client_secret is wrong")
    await throttle.succeeded(key)
    ttl = rt.settings.access_token_ttl_s
    return ClientTokenRead(access_token=rt.codec.issue(subject_of(client.id), ttl_s=ttl),
                           expires_in=ttl)


async def ensure_client(rt: Runtime, uow: UnitOfWork, actor: str, name: str, description: str,
                        roles: list[str], *, client_id: uuid.UUID | None = None,
                        secret: str | None = None) -> ClientSecretRead:
    """For provisioning the services' own clients. Without `client_id` (`openirm up`): the
    client of this name that is not revoked (created with `roles` when there is none), with
    a fresh secret. With `client_id` and `secret` from configuration (compose): that client,
    created if missing, its secret set to the one given when it differs; a revoked one is
    refused (choose a new id). An existing client keeps the roles an Admin gave it."""
    if client_id is None:
        client = await repo.active_by_name(uow.session, name, for_update=True)
    else:
        client = await repo.by_id(uow.session, client_id, for_update=True)
        if client is not None and client.revoked_at is not None:
            raise ClientRevoked(f"client {client_id} ({client.name}) is revoked; configure a "
                                "new client id")
    if client is None:
        return await create(rt, uow, actor, ClientCreate(
            name=name, description=description, roles=roles),  # type: ignore[arg-type]
            client_id=client_id, secret=secret)
    if secret is not None and client.secret_hash is not None and \
            hmac.compare_digest(client.secret_hash, _hash(secret)):
        read = _read(client, await roles_repo.roles_of(uow.session, subject_of(client.id)))
        return _with_secret(read, secret)  # as configured already: nothing to change
    return await rotate_secret(rt, uow, actor, client.id, secret=secret)
