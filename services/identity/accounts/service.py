"""Staff accounts, sign-in and role assignment."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from redis.exceptions import RedisError

from services.identity.accounts import repository as repo
from services.identity.accounts.exceptions import (
    AccountExists,
    AccountNotFound,
    InvalidCredentials,
    InvalidRefreshToken,
    SignInLocked,
)
from services.identity.accounts.schemas import AccountCreate, AccountRead, TokenRead
from services.identity.models import Account, RefreshToken
from services.identity.settings import IdentitySettings
from services.kit.authz import bump_rules_version
from services.kit.db import UnitOfWork
from services.kit.live import AccessChanged, publish_after_commit
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.identity")
_hasher = PasswordHasher()
# Verifying against this keeps an unknown email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("openirm-timing-equaliser")


def subject_of(account_id: uuid.UUID) -> str:
    return f"user:{account_id}"


def _verify(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


class SignInThrottle:
    """Failed sign-ins counted per email in Redis over a window; at the limit the email is
    locked until the window ends, whether the next password is right or not (so a guesser
    learns nothing). Unknown emails are counted the same way. Without Redis, sign-in still
    works, unthrottled, with a warning: Redis carries no data here. `namespace` keeps other
    credentials (client ids at the client-credentials grant) apart from emails."""

    def __init__(self, rt: Runtime, namespace: str = "sign_in") -> None:
        settings = _settings(rt)
        self.redis, self.namespace = rt.redis, namespace
        self.limit, self.window = settings.sign_in_max_failures, settings.sign_in_lockout_s

    def _key(self, email: str) -> str:
        return f"openirm:{self.namespace}:failures:" + hashlib.sha256(email.encode()).hexdigest()

    async def locked_for(self, email: str) -> int:
        """Seconds the email stays locked (0 when it is not)."""
        try:
            failures = int(await self.redis.get(self._key(email)) or 0)
            if failures < self.limit:
                return 0
            ttl = int(await self.redis.ttl(self._key(email)))
            if ttl < 0:  # a count left without expiry: the window starts now
                await self.redis.expire(self._key(email), self.window)
                ttl = self.window
            return max(1, ttl)
        except RedisError as exc:
            log.warning("sign-in throttling is off: Redis is unavailable (%s)", exc)
            return 0

    async def failed(self, email: str) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._key(email))
                pipe.ttl(self._key(email))
                _, ttl = await pipe.execute()
            if ttl < 0:  # the first failure of a window (EXPIRE NX needs Redis 7)
                await self.redis.expire(self._key(email), self.window)
        except RedisError as exc:
            log.warning("sign-in failure not counted: Redis is unavailable (%s)", exc)

    async def succeeded(self, email: str) -> None:
        try:
            await self.redis.delete(self._key(email))
        except RedisError as exc:
            log.warning("sign-in failures not reset: Redis is unavailable (%s)", exc)


async def sign_in(rt: Runtime, email: str, password: str) -> TokenRead:
    """Own transaction, so a failed attempt is audited even though the call fails."""
    email = email.lower()
    throttle = SignInThrottle(rt)
    locked = await throttle.locked_for(email)
    if locked:
        async with rt.db.unit_of_work() as uow:
            account = await repo.by_email(uow.session, email)
            actor = subject_of(account.id) if account else f"email:{email}"
            await rt.audit.record(uow.session, actor=actor, action="auth.sign_in",
                                  outcome="throttled", detail={"retry_after_s": locked})
        raise SignInLocked(f"too many failed sign-ins for this email; try again in {locked} s",
                           extra={"retry_after": locked})
    async with rt.db.unit_of_work() as uow:
        account = await repo.by_email(uow.session, email)
        ok = await asyncio.to_thread(_verify, account.password_hash if account else _DUMMY_HASH,
                                     password)
        ok = bool(account and ok and account.active)
        actor = subject_of(account.id) if account else f"email:{email}"
        await rt.audit.record(uow.session, actor=actor, action="auth.sign_in",
                              outcome="success" if ok else "failure")
        refresh = await _new_refresh(rt, uow, account.id, uuid.uuid4()) \
            if ok and account else None
    if not ok or account is None:
        await throttle.failed(email)
        raise InvalidCredentials("email or password is wrong")
    await throttle.succeeded(email)
    return _tokens(rt, account, refresh)


def _settings(rt: Runtime) -> IdentitySettings:
    settings = rt.settings
    assert isinstance(settings, IdentitySettings)
    return settings


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _new_refresh(rt: Runtime, uow: UnitOfWork, account_id: uuid.UUID,
                       family: uuid.UUID) -> str:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=_settings(rt).refresh_token_ttl_s)
    uow.session.add(RefreshToken(account_id=account_id, family_id=family,
                                 token_hash=_hash(token), expires_at=expires))
    await uow.session.flush()
    return token


def _tokens(rt: Runtime, account: Account, refresh: str | None) -> TokenRead:
    return TokenRead(access_token=rt.codec.issue(subject_of(account.id), email=account.email),
                     expires_in=rt.settings.access_token_ttl_s, refresh_token=refresh,
                     refresh_expires_in=_settings(rt).refresh_token_ttl_s if refresh else None)


async def refresh(rt: Runtime, token: str) -> TokenRead:
    """A used refresh token gives a new access token and a new refresh token of the same
    session. One presented a second time means it was copied: the whole session is revoked
    (and the refusal committed, so it sticks)."""
    refused: str | None = None
    async with rt.db.unit_of_work() as uow:
        row = await repo.refresh_by_hash(uow.session, _hash(token))
        account = await repo.by_id(uow.session, row.account_id) if row else None
        now = datetime.now(UTC)
        if row is None or account is None:
            refused = "refresh token is not valid"
        else:
            actor = subject_of(account.id)
            if row.used_at is not None or row.revoked_at is not None:
                refused = "refresh token was already used or revoked; the session is ended"
                if row.used_at is not None:
                    await repo.revoke_family(uow.session, row.family_id)
            elif row.expires_at <= now:
                refused = "refresh token has expired; sign in again"
            elif not account.active:
                refused = "the account is disabled"
                await repo.revoke_family(uow.session, row.family_id)
            await rt.audit.record(uow.session, actor=actor, action="auth.refresh",
                                  outcome="failure" if refused else "success",
                                  detail={"session": str(row.family_id),
                                          **({"reason": refused} if refused else {})})
            if not refused:
                row.used_at = now
                new = await _new_refresh(rt, uow, account.id, row.family_id)
    if refused or account is None:
        raise InvalidRefreshToken(refused or "refresh token is not valid")
    return _tokens(rt, account, new)


async def sign_out(rt: Runtime, token: str) -> None:
    """Ends the session the refresh token belongs to; an unknown token changes nothing."""
    async with rt.db.unit_of_work() as uow:
        row = await repo.refresh_by_hash(uow.session, _hash(token))
        if row is not None:
            await repo.revoke_family(uow.session, row.family_id)
            await rt.audit.record(uow.session, actor=subject_of(row.account_id),
                                  action="auth.sign_out", detail={"session": str(row.family_id)})


def _read(account: Account, roles: list[str]) -> AccountRead:
    return AccountRead(id=account.id, email=account.email, display_name=account.display_name,
                       active=account.active, roles=sorted(roles), created_at=account.created_at)


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: AccountCreate) -> AccountRead:
    email = data.email.lower()
    if await repo.by_email(uow.session, email):
        raise AccountExists(f"an account with email {email} exists")
    pw_hash = await asyncio.to_thread(_hasher.hash, data.password)
    account = Account(email=email, display_name=data.display_name, password_hash=pw_hash)
    uow.session.add(account)
    await uow.session.flush()
    await repo.replace_roles(uow.session, subject_of(account.id), list(data.roles))
    await rt.audit.record(uow.session, actor=actor, action="account.create",
                          target=subject_of(account.id),
                          detail={"after": {"email": email, "roles": sorted(data.roles)}})
    await uow.session.refresh(account)
    uow.after_commit.append(lambda: bump_rules_version(rt.redis))  # roles, and the OIDC map
    return _read(account, list(data.roles))


async def get(uow: UnitOfWork, account_id: uuid.UUID) -> AccountRead:
    account = await repo.by_id(uow.session, account_id)
    if account is None:
        raise AccountNotFound("no such account")
    return _read(account, await repo.roles_of(uow.session, subject_of(account.id)))


async def list_accounts(uow: UnitOfWork) -> list[AccountRead]:
    roles = await repo.roles_by_subject(uow.session)
    return [_read(a, roles.get(subject_of(a.id), [])) for a in await repo.list_all(uow.session)]


async def set_roles(rt: Runtime, uow: UnitOfWork, actor: str, account_id: uuid.UUID,
                    roles: list[str]) -> AccountRead:
    account = await repo.by_id(uow.session, account_id, for_update=True)
    if account is None:
        raise AccountNotFound("no such account")
    subject = subject_of(account.id)
    before = await repo.roles_of(uow.session, subject)
    await repo.replace_roles(uow.session, subject, roles)
    await rt.audit.record(uow.session, actor=actor, action="account.roles.set", target=subject,
                          detail={"before": before, "after": sorted(set(roles))})
    uow.after_commit.append(lambda: bump_rules_version(rt.redis))
    publish_after_commit(uow, AccessChanged(subject=subject))
    return _read(account, roles)


async def ensure_admin(rt: Runtime, uow: UnitOfWork, email: str, password: str) -> bool:
    """Create the first Admin if no account has that email; True when created."""
    if await repo.by_email(uow.session, email.lower()):
        return False
    await create(rt, uow, "system:bootstrap",
                 AccountCreate(email=email, display_name="Administrator", password=password,
                               roles=["Admin"]))
    return True
