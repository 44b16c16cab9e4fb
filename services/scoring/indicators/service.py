"""The indicator catalogue (built-in and custom) with global enablement; sequences."""

from __future__ import annotations

from services.kit.db import UnitOfWork, advisory_xact_lock
from services.kit.errors import NotFound
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import Indicator
from services.scoring.global_settings import service as settings
from services.scoring.indicators.schemas import IndicatorRead, SequenceRead


class IndicatorNotFound(NotFound):
    code = "indicator_not_found"


def _read(ind: Indicator, enabled: bool) -> IndicatorRead:
    return IndicatorRead(
        key=ind.key, name=ind.name, description=ind.description, group=ind.group,
        kind=ind.kind, category=ind.category, activity_types=list(ind.activity_types),
        default_thresholds=list(ind.default_thresholds) if ind.default_thresholds else None,
        default_byte_thresholds=(list(ind.default_byte_thresholds)
                                 if ind.default_byte_thresholds else None),
        data_source=ind.data_source, enabled=enabled)


async def list_indicators(uow: UnitOfWork) -> list[IndicatorRead]:
    eff = await settings.current(uow.session)
    return [_read(ind, ind.key in eff.enabled) for ind in eff.indicators.values()]


async def set_enabled(rt: Runtime, uow: UnitOfWork, actor: str, key: str, enabled: bool
                      ) -> IndicatorRead:
    """Enabling or disabling one indicator is a settings change like any other. The lock is
    taken before reading, so two toggles at once both take effect."""
    await advisory_xact_lock(uow.session, settings.SETTINGS_LOCK)
    eff = await settings.current(uow.session)
    if key not in eff.indicators:
        raise IndicatorNotFound(f"no indicator {key!r}")
    keys = eff.enabled | {key} if enabled else eff.enabled - {key}
    if keys != eff.enabled:
        new = eff.settings.model_copy(update={"enabled_indicators": sorted(keys)})
        await settings.put(rt, uow, actor, new, action="indicator.set", target=key)
    else:  # nothing changes, but the Admin's action is still on record
        await rt.audit.record(uow.session, actor=actor, action="indicator.set", target=key,
                              detail={"before": {"enabled": enabled},
                                      "after": {"enabled": enabled},
                                      "settings_version": eff.version})
    return _read(eff.indicators[key], enabled)


async def list_sequences(uow: UnitOfWork) -> list[SequenceRead]:
    eff = await settings.current(uow.session)
    return [SequenceRead(key=s.key, name=s.name, steps=[sorted(step) for step in s.steps],
                         within_days=s.within_days, built_in=s.built_in)
            for s in eff.sequences.values()]
