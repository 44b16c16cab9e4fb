"""User activity reports: an Investigator asks for any person's activity in a window of up to
90 days, without a policy; a job reads it from ingest, gives each activity its risk level and
keeps it with a summary. Only the creator and the investigators it is shared with see it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.cases.activity.service import exclusions
from services.cases.models import ActivityReport
from services.cases.reports import repository as repo
from services.cases.reports.exceptions import (
    NotReportOwner,
    ReportNotFound,
    ReportNotReady,
    ShareNotFound,
)
from services.cases.reports.schemas import (
    BenignCreate,
    BenignResult,
    DayLevelCount,
    MembershipCreate,
    MembershipRead,
    ReportActivity,
    ReportActivityPage,
    ReportCreate,
    ReportExclusion,
    ReportPage,
    ReportRead,
    ReportSummary,
    ShareCreate,
)
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidInput, OpenIRMError
from services.kit.jobs import CASES_QUEUE
from services.kit.pagination import decode_cursor, decode_keyset, encode_cursor, encode_keyset
from services.kit.runtime import Runtime
from services.kit.tokens import Principal

REPORT_OBJECT = "activity_reports"


def _invalid(field: str, reason: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", code=code,
                        extra={"invalid_params": [{"field": field, "reason": reason}]})


async def _read(uow: UnitOfWork, report: ActivityReport) -> ReportRead:
    shared = (await repo.shares(uow.session, [report.id])).get(report.id, [])
    return ReportRead.model_validate({**report.model_dump(), "shared_with": shared})


async def visible(uow: UnitOfWork, caller: Caller, report_id: uuid.UUID, *,
                  for_update: bool = False) -> ActivityReport:
    """A report the caller neither made nor was given, or about someone now outside their
    scope, does not exist for them."""
    report = await repo.get(uow.session, report_id, for_update=for_update)
    me = caller.principal.subject
    if (report is None or not caller.scope.sees(report.subject_id)
            or (report.created_by != me and not await repo.is_shared(uow.session, report_id,
                                                                    me))):
        raise ReportNotFound("no such activity report")
    return report


async def owned(uow: UnitOfWork, caller: Caller, report_id: uuid.UUID) -> ActivityReport:
    report = await visible(uow, caller, report_id, for_update=True)
    if report.created_by != caller.principal.subject:
        raise NotReportOwner("only the investigator who made the report may do this")
    return report


async def create(rt: Runtime, uow: UnitOfWork, caller: Caller, token: str,
                 body: ReportCreate) -> ReportRead:
    actor = caller.principal.subject
    caller.scope.check(body.subject_id)
    # The person as the caller may see them (their scope, an erased person still by alias).
    person = await rt.identity.request("GET", f"/people/{body.subject_id}", token=token)
    report = ActivityReport(subject_id=body.subject_id, alias=person["alias"],
                            window_from=body.from_, window_to=body.to, state="queued",
                            created_by=actor)
    uow.session.add(report)
    await uow.session.flush()
    await uow.session.refresh(report)
    await rt.audit.record(uow.session, actor=actor, action="activity_report.create",
                          target=f"activity_report:{report.id}",
                          detail={"subject_id": str(body.subject_id),
                                  "from": body.from_.isoformat(), "to": body.to.isoformat()})
    uow.enqueue_after_commit(CASES_QUEUE, "activity_report.build",
                             job_id=f"activity_report:{report.id}", report_id=str(report.id))
    return await _read(uow, report)


async def list_reports(uow: UnitOfWork, caller: Caller, cursor: str | None, limit: int
                       ) -> ReportPage:
    rows = await repo.page(uow.session, caller.principal.subject, decode_keyset(cursor),
                           limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    shared = await repo.shares(uow.session, [r.id for r in rows])
    items = [ReportRead.model_validate({**r.model_dump(), "shared_with": shared.get(r.id, [])})
             for r in rows if caller.scope.sees(r.subject_id)]
    nxt = encode_keyset(rows[-1].created_at, rows[-1].id) if more else None  # type: ignore
    return ReportPage(items=items, next_cursor=nxt)


async def summary(uow: UnitOfWork, caller: Caller, report_id: uuid.UUID) -> ReportSummary:
    report = await visible(uow, caller, report_id)
    base = (await _read(uow, report)).model_dump()
    s = report.summary or {}
    return ReportSummary(**base, by_day=[DayLevelCount(**d) for d in s.get("by_day", [])],
                         by_category=s.get("by_category", {}), by_type=s.get("by_type", {}),
                         by_risk_level=s.get("by_risk_level", {}))


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    decoded = decode_cursor(cursor, 2)
    if decoded is None:
        return None
    try:
        return datetime.fromisoformat(decoded[0]), str(decoded[1])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None


async def activities(rt: Runtime, uow: UnitOfWork, caller: Caller, report_id: uuid.UUID,
                     risk_levels: list[str], cursor: str | None, limit: int
                     ) -> ReportActivityPage:
    """A page of the report's activities, each marked with the suppression rules and benign
    marks that cover it now (scoring's excluded-event list for the page's span)."""
    report = await visible(uow, caller, report_id)
    rows = await repo.items(uow.session, report_id, risk_levels, _after(cursor), limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    excluded = await exclusions(rt, report.subject_id, rows[-1].occurred_at,
                                rows[0].occurred_at + timedelta(microseconds=1)) if rows else {}
    items = [ReportActivity(id=r.event_id, occurred_at=r.occurred_at, type=r.type,
                            category=r.category, source=r.source, risk_level=r.risk_level,
                            attributes=r.attributes,
                            excluded=[ReportExclusion(**e.model_dump())
                                      for e in excluded.get(r.event_id, [])])
             for r in rows]
    nxt = encode_cursor([items[-1].occurred_at.isoformat(), items[-1].id]) if more else None
    return ReportActivityPage(items=items, next_cursor=nxt)


async def share(rt: Runtime, uow: UnitOfWork, caller: Caller, report_id: uuid.UUID,
                body: ShareCreate) -> ReportRead:
    """Share with another investigator: their role must allow reports and their scope must
    hold the person (both as identity says now)."""
    report = await owned(uow, caller, report_id)
    target = f"user:{body.account_id}"
    if target == report.created_by:
        raise _invalid("account_id", "the report is yours already")
    if not await rt.authorizer.allowed(target, REPORT_OBJECT, "read"):
        raise _invalid("account_id", "not an investigator's account", "not_an_investigator")
    if not (await rt.scopes.of(Principal(subject=target))).sees(report.subject_id):
        raise _invalid("account_id", "the person is outside that investigator's scope",
                       "outside_scope")
    if await repo.add_share(uow.session, report.id, target, caller.principal.subject):
        await rt.audit.record(uow.session, actor=caller.principal.subject,
                              action="activity_report.share",
                              target=f"activity_report:{report.id}",
                              detail={"after": {"shared_with": target}})
    return await _read(uow, report)


async def unshare(rt: Runtime, uow: UnitOfWork, caller: Caller, report_id: uuid.UUID,
                  account_id: uuid.UUID) -> ReportRead:
    report = await owned(uow, caller, report_id)
    target = f"user:{account_id}"
    if not await repo.remove_share(uow.session, report.id, target):
        raise ShareNotFound("the report is not shared with that account")
    await rt.audit.record(uow.session, actor=caller.principal.subject,
                          action="activity_report.unshare",
                          target=f"activity_report:{report.id}",
                          detail={"before": {"shared_with": target}})
    return await _read(uow, report)


async def add_to_policy(rt: Runtime, uow: UnitOfWork, caller: Caller, report_id: uuid.UUID,
                        body: MembershipCreate) -> MembershipRead:
    """Add the report's person to a policy for up to 30 days through scoring's manual
    triggering; scoring's refusals come back as they are, with the field named."""
    report = await visible(uow, caller, report_id)
    actor = caller.principal.subject
    reason = f"{body.reason} (activity report {report.id}, {actor})"
    try:
        member: dict[str, Any] = await rt.scoring.request(
            "POST", f"/policies/{body.policy_id}/members",
            json={"subject_id": str(report.subject_id), "reason": reason, "days": body.days})
    except OpenIRMError as exc:
        if exc.status == 422:  # e.g. a template that cannot be triggered by hand
            raise _invalid("policy_id", exc.message, exc.code) from None
        raise
    await rt.audit.record(uow.session, actor=actor, action="activity_report.policy_membership",
                          target=f"activity_report:{report.id}",
                          detail={"policy_id": str(body.policy_id), "days": body.days,
                                  "reason": body.reason, "member_id": member["id"],
                                  "until": member["until"]})
    return MembershipRead.model_validate(member)



async def mark_benign(rt: Runtime, uow: UnitOfWork, caller: Caller, token: str,
                      report_id: uuid.UUID, body: BenignCreate) -> BenignResult:
    """Mark activities of a ready report benign: scoring (asked with the caller's own token,
    so its own role check and audit apply) stops counting them and re-scores the person;
    the report shows them at level none from now on."""
    report = await visible(uow, caller, report_id, for_update=True)
    if report.state != "ready":
        raise ReportNotReady("the report is not ready yet",
                             extra={"current_status": report.state})
    wanted = list(dict.fromkeys(body.event_ids))
    held = await repo.present(uow.session, report.id, wanted)
    missing = [(i, e) for i, e in enumerate(body.event_ids) if e not in held]
    if missing:
        raise InvalidInput("event_ids: not activities of this report",
                           code="not_in_report", extra={"invalid_params": [
                               {"field": f"event_ids.{i}", "reason": f"{e} is not in the report"}
                               for i, e in missing]})
    result = await rt.scoring.request(
        "POST", f"/subjects/{report.subject_id}/benign-activities", token=token,
        json={"event_ids": wanted, "reason": body.reason, "report_id": str(report.id)})
    marked = [m["event_id"] for m in result["marked"]]
    await repo.set_level(uow.session, report.id, wanted, "none")
    await rt.audit.record(uow.session, actor=caller.principal.subject,
                          action="activity_report.benign", target=f"activity_report:{report.id}",
                          detail={"event_ids": wanted, "reason": body.reason,
                                  "marked": marked})
    return BenignResult(marked=marked, already_marked=result["already_marked"])
