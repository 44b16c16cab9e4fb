"""Casbin decides every request. The permission table ships with the code; role assignments
are data in identity and are reloaded whenever their version in Redis moves."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import casbin
from redis.asyncio import Redis

ROLES = ("Admin", "Analyst", "Investigator", "Auditor", "InsiderRiskManagement",
         "CaseViewer", "Integrator")
RULES_VERSION_KEY = "openirm:authz:version"
_HERE = Path(__file__).parent

RuleLoader = Callable[[], Awaitable[list[tuple[str, str]]]]
# Active staff accounts, email -> `user:<uuid>`: how an external sign-in finds its account.
AccountLoader = Callable[[], Awaitable[dict[str, str]]]


def _static_lines() -> list[list[str]]:
    lines = []
    for raw in (_HERE / "permissions.csv").read_text().splitlines():
        raw = raw.strip()
        if raw and not raw.startswith("#"):
            lines.append([part.strip() for part in raw.split(",")])
    return lines


class Authorizer:
    """Holds a Casbin enforcer; `load_assignments` returns (subject, role) pairs. With
    `load_accounts` (an external OIDC issuer is configured) it also holds the active staff
    accounts by email, loaded and versioned together with the assignments."""

    def __init__(self, load_assignments: RuleLoader, redis: Redis | None,
                 max_age_s: float = 30.0, load_accounts: AccountLoader | None = None) -> None:
        self._load = load_assignments
        self._load_accounts = load_accounts
        self._accounts: dict[str, str] = {}
        self._redis = redis
        self._max_age_s = max_age_s
        self._version: bytes | None = None
        self._redis_down_until = 0.0
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._static = _static_lines()
        self.enforcer = self._build([])

    def _build(self, assignments: list[tuple[str, str]]) -> casbin.Enforcer:
        """A fresh enforcer, swapped in whole so no request sees a half-loaded rule set."""
        e = casbin.Enforcer(str(_HERE / "rbac_model.conf"))
        for line in self._static:
            if line[0] == "p":
                e.add_policy(*line[1:])
            else:
                e.add_grouping_policy(*line[1:])
        for subject, role in assignments:
            e.add_grouping_policy(subject, role)
        return e

    async def _current_version(self) -> bytes | None:
        if self._redis is None or time.monotonic() < self._redis_down_until:
            return self._version
        try:
            return await self._redis.get(RULES_VERSION_KEY)
        except Exception:  # Redis down: decide on the rules we have, reload them periodically
            self._redis_down_until = time.monotonic() + 2.0
            return self._version

    async def refresh(self, *, force: bool = False) -> None:
        version = await self._current_version()
        stale = time.monotonic() - self._loaded_at > self._max_age_s
        if not force and self._loaded_at and version == self._version and not stale:
            return
        async with self._lock:
            if not force and self._loaded_at and version == self._version and not stale:
                return
            if self._load_accounts is None:
                assignments = await self._load()
            else:
                assignments, accounts = await asyncio.gather(self._load(),
                                                             self._load_accounts())
                self._accounts = {email.lower(): subject for email, subject in accounts.items()}
            self.enforcer = self._build(assignments)
            self._version, self._loaded_at = version, time.monotonic()

    async def allowed(self, subject: str, obj: str, act: str) -> bool:
        await self.refresh()
        return bool(self.enforcer.enforce(subject, obj, act))

    async def account_for(self, email: str) -> str | None:
        """The subject of the active staff account with this email, if there is one."""
        await self.refresh()
        return self._accounts.get(email.lower())

    def roles_of(self, subject: str) -> list[str]:
        return [r for r in self.enforcer.get_implicit_roles_for_user(subject) if r in ROLES]


@functools.cache
def _permission_table() -> casbin.Enforcer:
    e = casbin.Enforcer(str(_HERE / "rbac_model.conf"))
    for line in _static_lines():
        (e.add_policy if line[0] == "p" else e.add_grouping_policy)(*line[1:])
    return e


def roles_permit(roles: Iterable[str], obj: str, act: str) -> bool:
    """Whether the permission table lets any of these roles `act` on `obj`. For a process that
    knows a subject's current roles but holds no assignments (the gateway deciding to close a
    live connection); it may only narrow access, the services still decide every request."""
    table = _permission_table()
    return any(table.enforce(role, obj, act) for role in roles)


async def bump_rules_version(redis: Redis) -> None:
    """Tell every service that role assignments or accounts changed (called after commit)."""
    try:
        await redis.incr(RULES_VERSION_KEY)
    except Exception:
        logging.getLogger("openirm.authz").warning("could not publish role change; services "
                                                   "pick it up within their reload period")
