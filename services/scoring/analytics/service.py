"""Insider-risk analytics without any policy: organisation-level aggregates over scoring's
signals and aggregates, never for a group smaller than the configured minimum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.kit.db import UnitOfWork
from services.scoring.analytics.schemas import (
    ActivityTypeShare,
    AnalyticsOverview,
    DepartmentShare,
)
from services.scoring.engine.catalogue import CUMULATIVE
from services.scoring.global_settings import service as settings

TOP_TYPES = 10


def shown_departments(by_dept: dict[str, list[int]], minimum: int
                      ) -> list[tuple[str, list[int]]]:
    """Departments (name -> [people, people with exfiltration]) that may be shown: none
    smaller than the minimum, and — since the totals minus the departments shown give what is
    hidden — while what is hidden is smaller than the minimum, the smallest shown is hidden
    too."""
    shown = sorted(((d, v) for d, v in by_dept.items() if v[0] >= minimum),
                   key=lambda r: (r[1][0], r[0]))
    hidden = sum(v[0] for v in by_dept.values()) - sum(v[0] for _, v in shown)
    while shown and 0 < hidden < minimum:
        hidden += shown.pop(0)[1][0]
    return sorted(shown)


async def overview(uow: UnitOfWork, days: int) -> AnalyticsOverview:
    eff = await settings.current(uow.session)
    minimum = eff.settings.analytics_min_group_size
    end = datetime.now(UTC).date()
    start = end - timedelta(days=days - 1)
    exfil = [k for k, i in eff.indicators.items() if i.category == "exfiltration"
             and i.kind != CUMULATIVE]
    people = (await uow.session.execute(text("""
        SELECT a.subject_id, s.department,
               bool_or(a.indicator = ANY(CAST(:exfil AS text[]))) AS exfiltrated
        FROM scoring.daily_activity a LEFT JOIN scoring.subject s USING (subject_id)
        WHERE a.day BETWEEN :start AND :end GROUP BY a.subject_id, s.department
    """), {"exfil": exfil, "start": start, "end": end})).all()
    active = len(people)
    with_exfil = sum(1 for p in people if p.exfiltrated)
    visible = active >= minimum
    by_dept: dict[str, list[int]] = {}
    for p in people:
        if p.department:
            row = by_dept.setdefault(p.department, [0, 0])
            row[0] += 1
            row[1] += bool(p.exfiltrated)
    departments = [DepartmentShare(department=d, people=n, people_with_exfiltration=x,
                                   share_with_exfiltration=round(x / n, 4))
                   for d, (n, x) in shown_departments(by_dept, minimum)]
    types: list[ActivityTypeShare] = []
    if visible:
        rows = (await uow.session.execute(text("""
            SELECT type, count(*) AS events, count(DISTINCT subject_id) AS people
            FROM scoring.signal
            WHERE occurred_at >= :lo AND occurred_at < :hi
            GROUP BY type HAVING count(DISTINCT subject_id) >= :minimum
            ORDER BY events DESC, type LIMIT :top
        """), {"lo": datetime.combine(start, datetime.min.time(), UTC),
               "hi": datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC),
               "minimum": minimum, "top": TOP_TYPES})).all()
        types = [ActivityTypeShare(type=r.type, events=r.events, people=r.people)
                 for r in rows]
    return AnalyticsOverview(
        start=start, end=end, min_group_size=minimum,
        people_active=active if visible else None,
        people_with_exfiltration=with_exfil if visible else None,
        share_with_exfiltration=round(with_exfil / active, 4) if visible and active else None,
        top_activity_types=types, departments=departments if visible else [],
        departments_suppressed=len(by_dept) - len(departments) if visible else len(by_dept))
