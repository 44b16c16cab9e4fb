"""Access scopes: the part of the monitored population an account sees."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.access import repository as repo
from services.identity.access.exceptions import InvalidSubject
from services.identity.access.schemas import AccessScopeRead, AccessScopeUpdate, ResolvedScope
from services.identity.accounts import repository as accounts_repo
from services.identity.accounts.exceptions import AccountNotFound
from services.identity.models import AccessScope
from services.kit.authz import bump_rules_version
from services.kit.db import UnitOfWork
from services.kit.live import AccessChanged, publish_after_commit
from services.kit.runtime import Runtime

# Roles that see no person at all outside the cases shared with them (which the cases service
# keeps and applies itself).
CASE_ONLY_ROLES = {"CaseViewer"}


def _read(row: AccessScope | None) -> AccessScopeRead:
    if row is None:
        return AccessScopeRead(restricted=False)
    return AccessScopeRead(departments=row.departments, regions=row.regions,
                           restricted=bool(row.departments or row.regions))


async def get(uow: UnitOfWork, account_id: uuid.UUID) -> AccessScopeRead:
    if await accounts_repo.by_id(uow.session, account_id) is None:
        raise AccountNotFound("no such account")
    return _read(await repo.get(uow.session, f"user:{account_id}"))


async def put(rt: Runtime, uow: UnitOfWork, actor: str, account_id: uuid.UUID,
              data: AccessScopeUpdate) -> AccessScopeRead:
    if await accounts_repo.by_id(uow.session, account_id, for_update=True) is None:
        raise AccountNotFound("no such account")
    subject = f"user:{account_id}"
    row = await repo.get(uow.session, subject, for_update=True)
    before = _read(row).model_dump(mode="json", exclude={"restricted"})
    if row is None:
        row = AccessScope(subject=subject)
        uow.session.add(row)
    row.departments = sorted(set(data.departments))
    row.regions = sorted(set(data.regions))
    await uow.session.flush()
    after = _read(row)
    await rt.audit.record(uow.session, actor=actor, action="account.scope.set", target=subject,
                          detail={"before": before,
                                  "after": after.model_dump(mode="json",
                                                            exclude={"restricted"})})
    uow.after_commit.append(lambda: bump_rules_version(rt.redis))
    publish_after_commit(uow, AccessChanged(subject=subject))
    return after


async def resolve(session: AsyncSession, subject: str) -> ResolvedScope:
    """Who `subject` may see: everyone; or the people of its departments or regions; a case
    viewer (and nothing broader) no one (the cases service adds the cases shared with it)."""
    kind, _, raw = subject.partition(":")
    if kind not in ("user", "client") or not raw:
        raise InvalidSubject("subject must be user:<id> or client:<id>")
    roles = set(await accounts_repo.roles_of(session, subject))
    if roles and roles <= CASE_ONLY_ROLES:
        return ResolvedScope(restricted=True, subject_ids=[])
    row = await repo.get(session, subject)
    if row is None or not (row.departments or row.regions):
        return ResolvedScope(restricted=False)
    people = await repo.people_in(session, row.departments, row.regions)
    return ResolvedScope(restricted=True, subject_ids=people)
