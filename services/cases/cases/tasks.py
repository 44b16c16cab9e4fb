"""Jobs of the cases domain."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from services.cases.models import Case
from services.kit.errors import OpenIRMError
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.cases")
BATCH = 100


async def report_violations(rt: Runtime) -> int:
    """Tell scoring about every case closed as a confirmed violation that it has not heard of
    yet (scoring counts a case once, so a report sent twice is harmless). Woken after each
    such close and run every 30 s, so a lost wake-up or scoring being down only delays it."""
    reported = 0
    while True:
        async with rt.db.unit_of_work() as uow:
            rows = (await uow.session.execute(
                select(Case).where(Case.classification == "confirmed_violation",
                                   Case.violation_reported_at.is_(None))
                .order_by(Case.closed_at).limit(BATCH).with_for_update(skip_locked=True)
            )).scalars().all()
            for case in rows:
                try:
                    await rt.scoring.request("POST", f"/subjects/{case.subject_id}/violations",
                                             json={"case_id": str(case.id)})
                except OpenIRMError as exc:
                    log.warning("scoring did not take the violation of case %s yet: %s",
                                case.id, exc)
                    return reported
                case.violation_reported_at = func.now()
                reported += 1
        if len(rows) < BATCH:
            return reported
