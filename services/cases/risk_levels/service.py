"""Risk levels (the reference product's adaptive protection): each person's level derived
from their alerts and cases by the Admin's rules, recomputed in the transaction of every
alert or case change, swept for expiry, and told through a commit-ordered change feed and the
`risk_level.changed` webhook event."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import RiskLevel, RiskLevelSetting
from services.cases.risk_levels import repository as repo
from services.cases.risk_levels.exceptions import RiskLevelNotFound
from services.cases.risk_levels.schemas import (
    RANK,
    Level,
    RiskLevelChangeRead,
    RiskLevelPage,
    RiskLevelRead,
    RiskLevelSettings,
)
from services.cases.webhooks.events import emit
from services.kit import feed
from services.kit.db import Database, UnitOfWork
from services.kit.deps import Caller
from services.kit.feed import parse_cursor
from services.kit.jobs import CASES_QUEUE
from services.kit.pagination import decode_keyset, encode_cursor, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

SWEEP_JOB = "risk_level.sweep"
_SETTINGS_KEY = "openirm.risk_level_settings"
STREAM_CHUNK_ROWS = 1000


async def load_settings(session: AsyncSession) -> RiskLevelSettings:
    """The rules in force (cached for the transaction: a sync batch recomputes many)."""
    cached = session.info.get(_SETTINGS_KEY)
    if cached is None:
        row = await repo.settings(session)
        cached = RiskLevelSettings.model_validate(row.document) if row else RiskLevelSettings()
        session.info[_SETTINGS_KEY] = cached
    return cached


@dataclass
class _Candidate:
    level: Level
    rule: str
    source_type: str
    source_id: uuid.UUID
    alias: str
    policy_ids: list[uuid.UUID]
    updated_at: Any
    expires_at: Any


async def _candidates(session: AsyncSession, subject_id: uuid.UUID,
                      rules: RiskLevelSettings) -> list[_Candidate]:
    expiry_s = rules.expiry_days * 86400
    found = []
    for a in await repo.counting_alerts(session, subject_id, list(rules.alert_statuses),
                                        expiry_s):
        level = rules.level_of_severity(a.severity)
        if level is not Level.NONE:
            found.append(_Candidate(level, f"alert.{a.severity}", "alert", a.id, a.alias,
                                    [a.policy_id], a.updated_at, a.expires_at))
    if rules.confirmed_violation_level:
        for c in await repo.counting_violations(session, subject_id, expiry_s):
            found.append(_Candidate(Level(rules.confirmed_violation_level),
                                    "case.confirmed_violation", "case", c.id, c.alias,
                                    list(c.policy_ids), c.updated_at, c.expires_at))
    return found


async def recompute(session: AsyncSession, subject_id: uuid.UUID) -> str | None:
    """Derive the person's level now, in the caller's transaction (one recompute of a person
    at a time). The highest level any rule gives wins; of the alerts and cases giving it, the
    one that changed last is the source, and the level lasts while any of them counts. A
    change of level is recorded in the change log and told as `risk_level.changed`. Returns
    the new level when it changed."""
    rules = await load_settings(session)
    await session.flush()
    await repo.lock_subject(session, subject_id)
    now_row = await repo.current(session, subject_id)
    found = await _candidates(session, subject_id, rules)
    top = max((RANK[c.level] for c in found), default=0)
    best = [c for c in found if RANK[c.level] == top]
    previous = Level(now_row.level) if now_row else Level.NONE
    if not best and (now_row is None or previous is Level.NONE):
        return None
    source = max(best, key=lambda c: (c.updated_at, str(c.source_id))) if best else None
    state: dict[str, Any] = {"level": Level.NONE.value, "rule": None, "source_type": None,
                             "source_id": None, "policy_ids": [], "expires_at": None}
    if source is not None:
        state = {"level": source.level.value, "rule": source.rule,
                 "source_type": source.source_type, "source_id": source.source_id,
                 "policy_ids": source.policy_ids,
                 "expires_at": max(c.expires_at for c in best)}
    if now_row is None:
        alias = source.alias if source else await repo.latest_alias(session, subject_id)
        now_row = RiskLevel(subject_id=subject_id, alias=alias or "", level="none")
        session.add(now_row)
    elif all(getattr(now_row, k) == v for k, v in state.items()):
        return None
    old_policies = list(now_row.policy_ids or [])
    changed = previous.value != state["level"]
    for key, value in state.items():
        setattr(now_row, key, value)
    if source is not None:
        now_row.alias = source.alias
    now_row.updated_at = func.now()
    if changed:
        now_row.set_at = func.now()
    await session.flush()
    if not changed:
        return None
    await session.refresh(now_row)
    change = await repo.record_change(session, now_row, previous.value)
    await emit(session, "risk_level.changed", {
        "subject_id": subject_id, "alias": now_row.alias, "level": now_row.level,
        "previous_level": previous.value, "rule": now_row.rule,
        "source_type": now_row.source_type, "source_id": now_row.source_id,
        "expires_at": now_row.expires_at, "changed_at": change.changed_at,
        "change_id": change.seq}, policy_ids=old_policies + list(now_row.policy_ids),
        subject_id=subject_id)
    return now_row.level


async def list_levels(uow: UnitOfWork, scope: AccessScope, *, level: Level | None,
                      subject_id: uuid.UUID | None, cursor: str | None, limit: int
                      ) -> RiskLevelPage:
    rows = await repo.page(uow.session, level=level.value if level else None,
                           subject_id=subject_id, after=decode_keyset(cursor),
                           limit=limit + 1, subjects=scope.subject_list())
    items = [RiskLevelRead.model_validate(r) for r in rows[:limit]]
    nxt = encode_keyset(items[-1].updated_at, items[-1].subject_id) \
        if len(rows) > limit else None
    return RiskLevelPage(items=items, next_cursor=nxt)


async def get_level(uow: UnitOfWork, scope: AccessScope, subject_id: uuid.UUID
                    ) -> RiskLevelRead:
    """Someone out of the caller's scope, or never given a level, is not found."""
    row = await repo.current(uow.session, subject_id)
    if row is None or not scope.sees(subject_id):
        raise RiskLevelNotFound("no risk level for this person")
    return RiskLevelRead.model_validate(row)


async def get_settings(uow: UnitOfWork) -> RiskLevelSettings:
    return await load_settings(uow.session)


async def put_settings(rt: Runtime, uow: UnitOfWork, caller: Caller,
                       body: RiskLevelSettings) -> RiskLevelSettings:
    """Replace the rules; everyone's level is recomputed under them by a job after commit."""
    before = await load_settings(uow.session)
    document = body.model_dump(mode="json")
    row = await repo.settings(uow.session)
    if row is None:
        row = RiskLevelSetting(id=1, document=document, updated_by=caller.principal.subject)
        uow.session.add(row)
    else:
        row.document, row.updated_by = document, caller.principal.subject
        row.updated_at = func.now()
    uow.session.info[_SETTINGS_KEY] = body
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=caller.principal.subject,
                          action="risk_levels.settings.update", target="risk_levels:settings",
                          detail={"before": before.model_dump(mode="json"), "after": document})
    uow.enqueue_after_commit(CASES_QUEUE, SWEEP_JOB, everyone=True)
    return body


def _change(row: Any) -> RiskLevelChangeRead:
    return RiskLevelChangeRead(
        change_id=row.seq, subject_id=row.subject_id, alias=row.alias, level=row.level,
        previous_level=row.previous_level, rule=row.rule, source_type=row.source_type,
        source_id=row.source_id, expires_at=row.expires_at, changed_at=row.changed_at)


async def feed_page(uow: UnitOfWork, scope: AccessScope, *, cursor: str | None,
                    limit: int) -> bytes:
    after = parse_cursor(cursor)
    rows = await repo.changes(uow.session, after=after, limit=limit,
                              subjects=scope.subject_list())
    items = [_change(r).model_dump(mode="json") for r in rows]
    nxt = encode_cursor([int(rows[-1].xid), rows[-1].seq]) if rows else cursor
    return json.dumps({"items": items, "next_cursor": nxt}, separators=(",", ":"),
                      ensure_ascii=False).encode()


async def feed_stream(db: Database, scope: AccessScope, *, cursor: str | None,
                      chunk_rows: int = STREAM_CHUNK_ROWS) -> feed.Stream:
    """Every change after the cursor up to the newest finished one now, as NDJSON
    (services/kit/feed.py)."""
    return await feed.stream(db, cursor, read_head=repo.head,
                             read_page=partial(repo.changes, subjects=scope.subject_list()),
                             encode=lambda r: _change(r).model_dump_json().encode(),
                             chunk_rows=chunk_rows)
