"""Pull alert candidates from scoring's feed by a durable cursor and upsert alerts; the arq
job is only a wake-up, a periodic catch-up covers lost ones."""

from __future__ import annotations

from services.cases.alerts.service import apply_candidate
from services.cases.models import FeedCursor
from services.kit.db import advisory_xact_lock
from services.kit.feed import load_cursor, save_cursor
from services.kit.runtime import Runtime

SYNC_LOCK = 0x0FE1_0301  # distinct from scoring's locks: one database holds them all
CANDIDATES_CURSOR = "scoring.alert_candidates"
BATCH = 500


async def sync_alerts(rt: Runtime) -> dict[str, int]:
    outcome = {"created": 0, "updated": 0, "ignored": 0}
    while True:
        async with rt.db.unit_of_work(rt.queue) as uow:
            await advisory_xact_lock(uow.session, SYNC_LOCK)
            cursor = await load_cursor(uow.session, FeedCursor, CANDIDATES_CURSOR)
            params = {"limit": BATCH} | ({"cursor": cursor} if cursor else {})
            page = await rt.scoring.request("GET", "/alert-candidates/feed", params=params)
            for candidate in page["items"]:
                outcome[await apply_candidate(rt, uow, candidate)] += 1
            if page["items"]:
                await save_cursor(uow.session, FeedCursor, CANDIDATES_CURSOR,
                                  page["next_cursor"])
        if len(page["items"]) < BATCH:
            return outcome
