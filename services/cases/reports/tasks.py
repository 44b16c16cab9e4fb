"""Building an activity report: a job per report (woken after the report is committed; a
periodic catch-up restarts reports whose wake-up was lost or whose job died). Safe to run
twice: a build starts by clearing what an earlier one left."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func

from services.cases.activity import service as activity
from services.cases.reports import repository as repo
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.cases.reports")
QUEUED_STALE_S = 20
RUNNING_STALE_S = 300


async def build_report(rt: Runtime, report_id: str, *, restart: bool = False) -> str:
    rid = uuid.UUID(report_id)
    async with rt.db.unit_of_work() as uow:
        report = await repo.get(uow.session, rid, for_update=True)
        if report is None or report.state in ("ready", "failed") or (
                report.state == "running" and not restart):
            return "skipped"
        report.state, report.progress, report.updated_at = "running", 0, func.now()
        await repo.clear_items(uow.session, rid)
        subject, start, end = report.subject_id, report.window_from, report.window_to
    try:
        async with rt.db.unit_of_work() as uow:
            ctx = await activity.context(rt, uow, subject, (start, end))
        by_day: Counter[tuple[str, str]] = Counter()
        by_category: Counter[str] = Counter()
        by_type: Counter[str] = Counter()
        by_level: Counter[str] = Counter()
        span = (end - start).total_seconds()

        async def store(page: list[dict]) -> None:
            rows = []
            for a in page:
                level = ctx.assess(a).level
                at = datetime.fromisoformat(a["occurred_at"])
                by_day[(at.astimezone(UTC).date().isoformat(), level)] += 1
                by_category[a["category"]] += 1
                by_type[a["type"]] += 1
                by_level[level] += 1
                rows.append({"report_id": rid, "event_id": a["id"], "occurred_at": at,
                             "type": a["type"], "category": a["category"],
                             "source": activity.source_of(a)[:64], "risk_level": level,
                             "attributes": a["attributes"]})
            oldest = datetime.fromisoformat(page[-1]["occurred_at"]) if page else start
            async with rt.db.unit_of_work() as uow:
                await repo.add_items(uow.session, rows)
                held = await repo.get(uow.session, rid, for_update=True)
                if held is not None:
                    held.progress = min(99, int(100 * (end - oldest).total_seconds() / span))
                    held.updated_at = func.now()

        # As this service: no content is kept in a report.
        await activity.all_activity(rt, None, subject, start, end, 10**9, on_page=store)
        async with rt.db.unit_of_work() as uow:
            report = await repo.get(uow.session, rid, for_update=True)
            assert report is not None
            report.state, report.progress, report.total = "ready", 100, sum(by_level.values())
            report.summary = {
                "by_day": [{"day": d, "risk_level": lv, "count": n}
                           for (d, lv), n in sorted(by_day.items())],
                "by_category": dict(by_category), "by_type": dict(by_type),
                "by_risk_level": dict(by_level)}
            report.updated_at = report.finished_at = func.now()
            await rt.audit.record(uow.session, actor=f"service:{rt.name}",
                                  action="activity_report.ready",
                                  target=f"activity_report:{rid}",
                                  detail={"total": report.total})
        return "ready"
    except Exception as exc:
        log.exception("activity report %s failed", rid)
        async with rt.db.unit_of_work() as uow:
            report = await repo.get(uow.session, rid, for_update=True)
            if report is not None:
                report.state, report.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
                report.updated_at = report.finished_at = func.now()
                await rt.audit.record(uow.session, actor=f"service:{rt.name}",
                                      action="activity_report.failed",
                                      target=f"activity_report:{rid}",
                                      detail={"error": report.error})
        return "failed"


async def resume_reports(rt: Runtime) -> int:
    """Build reports whose wake-up was lost, restart those whose job stopped reporting."""
    async with rt.db.unit_of_work() as uow:
        ids = await repo.stale(uow.session, QUEUED_STALE_S, RUNNING_STALE_S, 10)
    for rid in ids:
        await build_report(rt, str(rid), restart=True)
    return len(ids)
