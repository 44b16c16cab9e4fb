"""Jobs of risk levels: the expiry sweep, and the recompute of everyone after the rules
change."""

from __future__ import annotations

from services.cases.risk_levels import repository as repo
from services.cases.risk_levels.service import recompute
from services.kit.runtime import Runtime

BATCH = 200


async def sweep(rt: Runtime, everyone: bool = False) -> int:
    """Recompute the people whose level has lapsed (run every 5 s); with `everyone`, every
    person who has or could have a level (after a settings change). Safe to run twice."""
    changed, after = 0, None
    while True:
        async with rt.db.unit_of_work(rt.queue) as uow:
            subjects = await (repo.everyone_after(uow.session, after, BATCH) if everyone
                              else repo.expired(uow.session, BATCH))
            for subject_id in subjects:
                if await recompute(uow.session, subject_id) is not None:
                    changed += 1
        if len(subjects) < BATCH:
            return changed
        after = subjects[-1]


async def sweep_expired(rt: Runtime) -> int:
    return await sweep(rt)
