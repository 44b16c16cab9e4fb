"""Scoped access: which monitored people (and which shared cases) a caller may see.

Casbin decides *what* a role may do; the scope decides *whom* it concerns. Identity owns the
scopes (an account limited to some departments or regions) and
resolves one into the set of subject ids it covers. Every service asks through this resolver,
which caches the answer until role assignments or the directory change (their versions live in
Redis), and filters lists and single reads with it. Case shares are not part of it: the cases
service keeps them and adds them to the scope of each request."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.kit.authz import RULES_VERSION_KEY
from services.kit.errors import NotFound
from services.kit.tokens import Principal

PEOPLE_VERSION_KEY = "openirm:people:version"


class SubjectNotVisible(NotFound):
    """Someone outside the caller's scope: to them the person does not exist."""

    code = "subject_not_found"


@dataclass(frozen=True)
class AccessScope:
    """`subjects` None: every person. Otherwise only those people, plus the `cases` shared
    with the caller (the case is the unit a case viewer sees; the cases service, which owns
    the shares, fills them in)."""

    subjects: frozenset[uuid.UUID] | None = None
    cases: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def restricted(self) -> bool:
        return self.subjects is not None

    def sees(self, subject_id: uuid.UUID, case_id: uuid.UUID | None = None) -> bool:
        return (self.subjects is None or subject_id in self.subjects
                or (case_id is not None and case_id in self.cases))

    def check(self, subject_id: uuid.UUID) -> None:
        if not self.sees(subject_id):
            raise SubjectNotVisible("no such person")

    def subject_list(self) -> list[uuid.UUID] | None:
        """For SQL filters: `subject_id = ANY(:list)`, or no filter when None."""
        return None if self.subjects is None else sorted(self.subjects)

    @classmethod
    def from_wire(cls, data: dict) -> AccessScope:
        if not data.get("restricted"):
            return cls()
        return cls(frozenset(uuid.UUID(s) for s in data.get("subject_ids", [])))


EVERYONE = AccessScope()
ScopeLoader = Callable[[str], Awaitable[AccessScope]]


class ScopeResolver:
    """Caches each caller's scope under the (rules, directory) versions it was computed at;
    a change to either is seen by the next request. Without Redis an entry lives `max_age_s`."""

    def __init__(self, load: ScopeLoader, redis: Redis | None, *, max_age_s: float = 30.0,
                 max_entries: int = 2000) -> None:
        self._load, self._redis = load, redis
        self._max_age_s, self._max_entries = max_age_s, max_entries
        self._cache: OrderedDict[str, tuple[tuple, float, AccessScope]] = OrderedDict()

    async def _versions(self) -> tuple | None:
        """None when Redis cannot say: then nothing cached is trusted (a scope narrowed
        meanwhile must not be served wide)."""
        if self._redis is None:
            return ()
        try:
            return tuple(await self._redis.mget(RULES_VERSION_KEY, PEOPLE_VERSION_KEY))
        except RedisError:
            return None

    async def of(self, principal: Principal) -> AccessScope:
        if principal.is_service:
            return EVERYONE
        versions = await self._versions()
        hit = self._cache.get(principal.subject)
        now = time.monotonic()
        if hit and versions is not None and hit[0] == versions \
                and now - hit[1] < self._max_age_s:
            self._cache.move_to_end(principal.subject)
            return hit[2]
        scope = await self._load(principal.subject)
        self._cache[principal.subject] = (versions, now, scope)
        self._cache.move_to_end(principal.subject)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
        return scope


async def bump_people_version(redis: Redis) -> None:
    """Tell every service the directory changed (department or region of someone), after
    commit, so cached scopes are recomputed."""
    try:
        await redis.incr(PEOPLE_VERSION_KEY)
    except RedisError:
        pass
