"""Global settings: one versioned document. Reading it gives the engine its catalogue (built-in
plus custom indicators), its detections and its sequences; changing it is audited with
before and after, and rebuilds the aggregates when what counts has changed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import UnitOfWork, advisory_xact_lock
from services.kit.errors import Conflict, InvalidInput, NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.pagination import decode_cursor, encode_cursor
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import (
    ACTIVITY,
    INDICATORS,
    SEQUENCES,
    Indicator,
    SequenceDef,
)
from services.scoring.engine.classify import Detections, detections
from services.scoring.global_settings.schemas import (
    GlobalSettings,
    SettingsRead,
    SettingsVersionPage,
    SettingsVersionRead,
)
from services.scoring.models import Policy, SettingsVersion

SETTINGS_LOCK = 0x0FE1_0002


class SettingsVersionNotFound(NotFound):
    code = "settings_version_not_found"


class SettingInUse(Conflict):
    code = "setting_in_use"


@dataclass(frozen=True)
class Effective:
    """A settings version as the engine uses it."""

    version: int
    settings: GlobalSettings
    indicators: dict[str, Indicator]
    detections: Detections
    sequences: dict[str, SequenceDef]

    @property
    def enabled(self) -> set[str]:
        return set(self.settings.enabled_indicators)


def catalogue(settings: GlobalSettings) -> dict[str, Indicator]:
    out = dict(INDICATORS)
    for c in settings.custom_indicators:
        out[c.key] = Indicator(
            c.key, c.name, "custom", c.category, tuple(c.activity_types),
            tuple(c.default_thresholds), "Custom indicator (an Admin's definition)",  # type: ignore[arg-type]
            description=c.description or c.name, kind=ACTIVITY,
            where=tuple((k, tuple(v)) for k, v in sorted(c.where.items())))
    return out


def sequences(settings: GlobalSettings) -> dict[str, SequenceDef]:
    out = dict(SEQUENCES)
    for s in settings.custom_sequences:
        out[s.key] = SequenceDef(s.key, s.name, tuple(frozenset(step) for step in s.steps),
                                 s.within_days, built_in=False)
    return out


def effective(version: int, settings: GlobalSettings) -> Effective:
    return _effective(version, settings.model_dump_json())


@lru_cache(maxsize=16)
def _effective(version: int, document: str) -> Effective:
    settings = GlobalSettings.model_validate_json(document)
    indicators = catalogue(settings)
    d, p = settings.detections, settings.priority_content
    return Effective(version, settings, indicators, detections(
        indicators, excluded_file_types=d.excluded_file_types, excluded_paths=d.excluded_paths,
        excluded_sites=d.excluded_sites, excluded_keywords=d.excluded_keywords,
        allowed_domains=d.allowed_domains, unallowed_domains=d.unallowed_domains,
        third_party_domains=d.third_party_domains,
        min_endpoint_alert_status=d.min_endpoint_alert_status, priority_sites=p.sites,
        priority_labels=p.labels, priority_info_types=p.info_types,
        priority_extensions=p.extensions), sequences(settings))


def counting_part(settings: GlobalSettings) -> dict[str, Any]:
    """What decides the daily aggregates: a change here rebuilds them."""
    d = settings.detections.model_dump(mode="json", exclude={"alert_volume"})
    return {"detections": d, "priority_content": settings.priority_content.model_dump(),
            "custom_indicators": [c.model_dump(mode="json", exclude={"name", "description"})
                                  for c in settings.custom_indicators]}


# Versions never change once written: the one in force is looked up by number, and read and
# parsed only the first time (scoring asks for it on every pass).
_by_version: dict[int, Effective] = {}


async def current(session: AsyncSession) -> Effective:
    version = (await session.execute(select(func.max(SettingsVersion.version)))).scalar()
    if version is None:
        return effective(0, GlobalSettings())
    if version not in _by_version:
        row = await session.get(SettingsVersion, version)
        assert row is not None
        _by_version.clear()
        _by_version[version] = effective(version, GlobalSettings.model_validate(row.settings))
    return _by_version[version]


async def read(uow: UnitOfWork) -> SettingsRead:
    row = (await uow.session.execute(
        select(SettingsVersion).order_by(SettingsVersion.version.desc()).limit(1))).scalar()
    if row is None:
        return SettingsRead(version=0, settings=GlobalSettings(), created_by="", created_at=None)
    return SettingsRead(version=row.version, settings=GlobalSettings.model_validate(row.settings),
                        created_by=row.created_by, created_at=row.created_at)


async def read_version(uow: UnitOfWork, version: int) -> SettingsRead:
    row = await uow.session.get(SettingsVersion, version)
    if row is None:
        raise SettingsVersionNotFound(f"no settings version {version}")
    return SettingsRead(version=row.version, settings=GlobalSettings.model_validate(row.settings),
                        created_by=row.created_by, created_at=row.created_at)


async def versions(uow: UnitOfWork, cursor: str | None, limit: int) -> SettingsVersionPage:
    stmt = select(SettingsVersion.version, SettingsVersion.created_by,
                  SettingsVersion.created_at).order_by(SettingsVersion.version.desc())
    if cursor:
        (after,) = decode_cursor(cursor, 1) or [0]
        if not isinstance(after, int):
            raise InvalidInput("cursor is not valid", code="invalid_cursor")
        stmt = stmt.where(SettingsVersion.version < after)
    rows = list((await uow.session.execute(stmt.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return SettingsVersionPage(
        items=[SettingsVersionRead(version=r.version, created_by=r.created_by,
                                   created_at=r.created_at) for r in rows],
        next_cursor=encode_cursor([rows[-1].version]) if more and rows else None)


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", code="invalid_settings",
                        extra={"invalid_params": [{"field": field, "reason": reason}]})


async def _check(uow: UnitOfWork, new: GlobalSettings) -> None:
    indicators = catalogue(new)
    for c in new.custom_indicators:
        if c.key in INDICATORS:
            raise _invalid("custom_indicators.key", f"{c.key!r} is a built-in indicator")
    for key in new.enabled_indicators:
        if key not in indicators:
            raise _invalid("enabled_indicators", f"unknown indicator {key!r}")
    enabled, known_sequences = set(new.enabled_indicators), sequences(new)
    policies = (await uow.session.execute(select(Policy).order_by(Policy.name))).scalars()
    for p in policies:
        used = {i["key"] for i in p.indicators} | set(p.boosters) | set(p.cumulative)
        missing = sorted(used - enabled)
        if missing:
            raise SettingInUse(f"indicator {missing[0]!r} is used by policy {p.name!r}; "
                               "remove it from the policy first",
                               extra={"policy_id": str(p.id), "indicator": missing[0]})
        gone = sorted(set(p.sequences) - set(known_sequences))
        if gone:
            raise SettingInUse(f"sequence {gone[0]!r} is used by policy {p.name!r}",
                               extra={"policy_id": str(p.id), "sequence": gone[0]})


async def put(rt: Runtime, uow: UnitOfWork, actor: str, new: GlobalSettings, *,
              action: str = "settings.update", target: str | None = None) -> SettingsRead:
    """A new version. Aggregates are rebuilt (a job) when what counts changed; otherwise the
    people in scope are simply re-scored."""
    await advisory_xact_lock(uow.session, SETTINGS_LOCK)
    before = await current(uow.session)
    new = GlobalSettings.model_validate(
        {**new.model_dump(), "enabled_indicators": sorted(set(new.enabled_indicators))})
    await _check(uow, new)
    if before.version and new == before.settings:
        return await read(uow)
    version = before.version + 1
    uow.session.add(SettingsVersion(version=version, settings=new.model_dump(mode="json"),
                                    created_by=actor))
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action=action,
                          target=target or f"settings:{version}",
                          detail={"before": before.settings.model_dump(mode="json"),
                                  "after": new.model_dump(mode="json"),
                                  "before_version": before.version, "after_version": version})
    if counting_part(new) != counting_part(before.settings):
        uow.enqueue_after_commit(SCORING_QUEUE, "score.rebuild", version=version)
    else:
        uow.enqueue_after_commit(SCORING_QUEUE, "score.all", version=version)
    return await read(uow)
