"""Pull alert candidates from scoring's feed by a durable cursor and upsert alerts; the arq
job is only a wake-up, a periodic catch-up covers lost ones."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from services.cases.alerts.service import apply_candidate
from services.cases.models import FeedCursor
from services.kit.runtime import Runtime

SYNC_LOCK = 0x0FE1_0002
CANDIDATES_CURSOR = "scoring.alert_candidates"
BATCH = 500


async def sync_alerts(rt: Runtime) -> dict[str, int]:
    outcome = {"created": 0, "updated": 0, "ignored": 0}
    while True:
        async with rt.db.unit_of_work(rt.queue) as uow:
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SYNC_LOCK})
            row = await uow.session.get(FeedCursor, CANDIDATES_CURSOR)
            params = {"limit": BATCH} | ({"cursor": row.cursor} if row and row.cursor else {})
            page = await rt.scoring.request("GET", "/alert-candidates/feed", params=params)
            for candidate in page["items"]:
                outcome[await apply_candidate(rt, uow, candidate)] += 1
            if page["items"]:
                stmt = insert(FeedCursor).values(name=CANDIDATES_CURSOR,
                                                 cursor=page["next_cursor"])
                await uow.session.execute(stmt.on_conflict_do_update(
                    index_elements=[FeedCursor.name],
                    set_={"cursor": page["next_cursor"], "updated_at": text("now()")}))
        if len(page["items"]) < BATCH:
            return outcome
