"""Jobs of the exclusions domain: re-counting a person after a rule or mark changed, and the
sweep that sends expired rules to review."""

from __future__ import annotations

import uuid

from services.kit.runtime import Runtime
from services.scoring.exclusions.service import expire_due
from services.scoring.pipeline.service import recount


async def exclusions_changed(rt: Runtime, subjects: list[str]) -> int:
    return await recount(rt, [uuid.UUID(s) for s in subjects])


async def sweep(rt: Runtime) -> int:
    return await expire_due(rt)
