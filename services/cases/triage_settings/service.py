"""Triage settings: the SLA per severity that gives every alert its due time."""

from __future__ import annotations

from services.cases.triage_settings import repository as repo
from services.cases.triage_settings.schemas import (
    SlaHours,
    TriageSettingsRead,
    TriageSettingsUpdate,
)
from services.kit.db import UnitOfWork
from services.kit.runtime import Runtime

DEFAULT_SLA_HOURS = {"high": 24, "medium": 72, "low": 168}


async def get(uow: UnitOfWork) -> TriageSettingsRead:
    rows = await repo.load(uow.session)
    hours = DEFAULT_SLA_HOURS | {r.severity: r.sla_hours for r in rows}
    updated = max((r.updated_at for r in rows if r.updated_at), default=None)
    return TriageSettingsRead(sla_hours=SlaHours(**hours), updated_at=updated)


async def put(rt: Runtime, uow: UnitOfWork, actor: str, body: TriageSettingsUpdate
              ) -> TriageSettingsRead:
    """Save the SLA hours and move the due time of every open alert whose severity's SLA
    changed, in the same transaction; audited with before and after."""
    await repo.load(uow.session, for_update=True)
    before = (await get(uow)).sla_hours.model_dump()
    after = body.sla_hours.model_dump()
    await repo.save(uow.session, after)
    moved = 0
    for severity, hours in after.items():
        if before[severity] != hours:
            moved += await repo.recompute_due(uow.session, severity, hours)
    await rt.audit.record(uow.session, actor=actor, action="triage_settings.update",
                          target="triage_settings",
                          detail={"before": {"sla_hours": before},
                                  "after": {"sla_hours": after}, "open_alerts_moved": moved})
    return await get(uow)
