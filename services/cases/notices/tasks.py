"""Delivering notices: the address is asked from identity for this case, used for the SMTP
transaction and dropped. Failures are retried with growing delays up to
`notice_max_attempts`, then the notice is `failed` with the reason (never the address)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import aiosmtplib
from arq import Retry
from sqlalchemy import func

from services.cases.notices import mailer
from services.cases.notices import repository as repo
from services.cases.notices.service import DELIVER
from services.kit.db import PendingJob
from services.kit.errors import OpenIRMError, UpstreamUnavailable
from services.kit.jobs import CASES_QUEUE
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.cases.notices")
ACTOR = "service:cases"


def _reason(exc: Exception) -> tuple[str, bool]:
    """What went wrong, for people, and whether trying again may help."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipients", False
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the mail server answered {exc.code}: {exc.message}"[:500], exc.code < 500
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return f"could not reach the mail server ({type(exc).__name__})", True
    if isinstance(exc, UpstreamUnavailable):
        return "identity was unavailable", True
    if isinstance(exc, OpenIRMError):  # identity refused: erased, not found, case mismatch
        return f"identity gave no address: {exc.code}", False
    return f"unexpected error ({type(exc).__name__})", True


async def deliver_notice(rt: Runtime, notice_id: str) -> str:
    settings = rt.settings
    async with rt.db.unit_of_work() as uow:
        notice = await repo.notice(uow.session, uuid.UUID(notice_id), lock=True)
        if notice is None or notice.state != "queued":
            return "nothing to do"
        notice.attempts += 1
        notice.updated_at = func.now()
        attempt = notice.attempts
        outgoing = dict(send_from=notice.send_from, cc=list(notice.cc), bcc=list(notice.bcc),
                        subject=notice.subject, body_html=notice.body_html,
                        notice_id=str(notice.id))
        case_id, subject_id = notice.case_id, notice.subject_id
    try:
        found = await rt.identity.request("GET", f"/people/{subject_id}/notice-address",
                                          params={"case_id": str(case_id)})
        await mailer.send(settings, mailer.Outgoing(to=found["email"], **outgoing))  # type: ignore[arg-type]
    except Exception as exc:
        reason, transient = _reason(exc)
        final = not transient or attempt >= settings.notice_max_attempts  # type: ignore[attr-defined]
        log.warning("notice %s attempt %d failed: %s", notice_id, attempt, reason)
        async with rt.db.unit_of_work() as uow:
            notice = await repo.notice(uow.session, uuid.UUID(notice_id))
            assert notice is not None
            notice.last_error, notice.updated_at = reason, func.now()
            if final:
                notice.state = "failed"
                await rt.audit.record(uow.session, actor=ACTOR, action="case.notice.fail",
                                      target=f"case:{case_id}", outcome="failure",
                                      detail={"notice_id": notice_id, "attempts": attempt,
                                              "reason": reason})
        if final:
            return "failed"
        raise Retry(defer=min(2 ** attempt, 300)) from exc
    async with rt.db.unit_of_work() as uow:
        notice = await repo.notice(uow.session, uuid.UUID(notice_id))
        assert notice is not None
        notice.state, notice.last_error = "sent", None
        notice.sent_at = notice.updated_at = func.now()
        await rt.audit.record(uow.session, actor=ACTOR, action="case.notice.deliver",
                              target=f"case:{case_id}",
                              detail={"notice_id": notice_id, "attempts": attempt})
    return "sent"


async def requeue_notices(rt: Runtime) -> int:
    """A wake-up lost with Redis: queued notices untouched for ten minutes are sent again
    (the job id is the notice's, so one already waiting for a retry is not doubled)."""
    if rt.settings.smtp_url is None:  # type: ignore[attr-defined]
        return 0
    async with rt.db.unit_of_work() as uow:
        ids = await repo.stale_queued(uow.session, datetime.now(UTC) - timedelta(minutes=10),
                                      200)
    for notice_id in ids:
        await rt.queue.enqueue(PendingJob(CASES_QUEUE, DELIVER,
                                          {"notice_id": str(notice_id)},
                                          job_id=f"notice:{notice_id}"))
    return len(ids)
