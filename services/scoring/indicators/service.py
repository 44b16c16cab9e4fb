"""Global indicator settings: an indicator must be enabled before a policy may use it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.kit.db import UnitOfWork
from services.kit.errors import NotFound
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import INDICATORS
from services.scoring.indicators.schemas import IndicatorRead
from services.scoring.models import IndicatorSetting


class IndicatorNotFound(NotFound):
    code = "indicator_not_found"


async def enabled_keys(uow: UnitOfWork) -> set[str]:
    rows = await uow.session.execute(select(IndicatorSetting.key).where(IndicatorSetting.enabled))
    return set(rows.scalars())


def _read(key: str, enabled: bool) -> IndicatorRead:
    ind = INDICATORS[key]
    return IndicatorRead(key=ind.key, name=ind.name, group=ind.group, category=ind.category,
                         activity_types=list(ind.activity_types),
                         default_thresholds=list(ind.default_thresholds),
                         data_source=ind.data_source, enabled=enabled)


async def list_indicators(uow: UnitOfWork) -> list[IndicatorRead]:
    enabled = await enabled_keys(uow)
    return [_read(key, key in enabled) for key in INDICATORS]


async def set_enabled(rt: Runtime, uow: UnitOfWork, actor: str, key: str, enabled: bool
                      ) -> IndicatorRead:
    if key not in INDICATORS:
        raise IndicatorNotFound(f"no indicator {key!r}")
    before = key in await enabled_keys(uow)
    stmt = insert(IndicatorSetting).values(key=key, enabled=enabled)
    await uow.session.execute(stmt.on_conflict_do_update(
        index_elements=[IndicatorSetting.key],
        set_={"enabled": enabled, "updated_at": func.now()}))
    await rt.audit.record(uow.session, actor=actor, action="indicator.set", target=key,
                          detail={"before": {"enabled": before}, "after": {"enabled": enabled}})
    return _read(key, enabled)
