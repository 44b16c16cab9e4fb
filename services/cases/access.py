"""The caller of a cases endpoint, with the cases shared with them (case shares are this
service's own data, so they are added here rather than by identity's access scope)."""

from __future__ import annotations

from fastapi import Depends

from services.kit.deps import Caller, UoW, require_scoped


def require_case_access(obj: str, act: str):
    scoped = require_scoped(obj, act)

    async def dependency(uow: UoW, caller: Caller = scoped) -> Caller:
        from services.cases.shares.service import with_shares

        return await with_shares(uow, caller)

    return Depends(dependency)
