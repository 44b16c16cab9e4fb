"""The alert-candidate feed cases reads: scores that crossed a threshold, in commit order."""

from __future__ import annotations

from services.kit.db import UnitOfWork
from services.kit.feed import next_cursor, read_feed
from services.scoring.candidates.schemas import AlertCandidatePage, AlertCandidateRead

_COLUMNS = ("policy_id, policy_name, subject_id, alias, score, severity, version, explanation, "
            "computed_at")


async def feed(uow: UnitOfWork, cursor: str | None, limit: int) -> AlertCandidatePage:
    rows = await read_feed(uow.session, "scoring.alert_candidate", _COLUMNS, cursor, limit)
    return AlertCandidatePage(
        items=[AlertCandidateRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor(rows, cursor))
