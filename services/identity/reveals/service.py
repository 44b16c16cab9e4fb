"""Reveal: an Investigator asks to see who a person is, for one active case, with a
justification. Granted at once, or under the two-person rule once a second Investigator or
Admin approves. A grant is for that case, that requester, and expires. Every request,
approval, refusal and use is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.identity.models import RevealGrant, RevealRequest
from services.identity.people import repository as people_repo
from services.identity.people.crypto import IdentityVault
from services.identity.people.exceptions import PersonErased, PersonNotFound
from services.identity.people.schemas import Identity
from services.identity.people.service import account_id_of, identity_of
from services.identity.privacy import repository as privacy_repo
from services.identity.reveals import repository as repo
from services.identity.reveals.exceptions import (
    CaseMismatch,
    CaseNotActive,
    NotAStaffAccount,
    RevealNotFound,
    RevealNotPending,
    SelfApproval,
)
from services.identity.reveals.schemas import (
    RevealCreate,
    RevealGrantRead,
    RevealPage,
    RevealRead,
)
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.pagination import decode_keyset, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

PENDING_FOR = timedelta(hours=24)


def _status(row: RevealRequest, now: datetime) -> str:
    if row.status == "pending" and row.created_at and row.created_at < now - PENDING_FOR:
        return "expired"
    return row.status


def _read(row: RevealRequest, grant: RevealGrant | None, now: datetime,
          identity: Identity | None = None) -> RevealRead:
    return RevealRead(id=row.id, subject_id=row.subject_id, case_id=row.case_id,
                      requested_by=row.requested_by, justification=row.justification,
                      status=_status(row, now), decided_by=row.decided_by,
                      decision_reason=row.decision_reason, created_at=row.created_at,
                      decided_at=row.decided_at, identity=identity,
                      grant=RevealGrantRead(id=grant.id, expires_at=grant.expires_at)
                      if grant else None)


async def _person(uow: UnitOfWork, caller: Caller, subject_id: uuid.UUID,
                  case_id: uuid.UUID) -> people_repo.Stored:
    person = await people_repo.stored(uow.session, subject_id, for_update=True)
    if person is None or not caller.scope.sees(subject_id):
        raise PersonNotFound("no such person")
    if person.erased_at is not None:
        raise PersonErased(f"this person was erased; only the alias {person.alias} remains")
    return person


async def _check_case(rt: Runtime, case_id: uuid.UUID, subject_id: uuid.UUID,
                      token: str | None) -> None:
    """The case must exist, concern this person and be active (asked as the caller, so their
    own access to the case is checked too; as this service when an approver decides)."""
    case = await rt.cases.request("GET", f"/cases/{case_id}", token=token)
    if case.get("subject_id") != str(subject_id):
        raise CaseMismatch("that case does not concern this person")
    if case.get("status") != "active":
        raise CaseNotActive("identities are revealed for active cases only")


async def _grant(rt: Runtime, uow: UnitOfWork, row: RevealRequest, ttl_s: int) -> RevealGrant:
    account_id = account_id_of(row.requested_by)
    assert account_id is not None
    grant = RevealGrant(subject_id=row.subject_id, case_id=row.case_id, account_id=account_id,
                        justification=row.justification,
                        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s))
    uow.session.add(grant)
    await uow.session.flush()
    row.status, row.grant_id = "granted", grant.id
    return grant


async def request(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, caller: Caller,
                  caller_token: str, subject_id: uuid.UUID, body: RevealCreate) -> RevealRead:
    actor = caller.principal.subject
    if account_id_of(actor) is None:
        raise NotAStaffAccount("only staff accounts can reveal")
    person = await _person(uow, caller, subject_id, body.case_id)
    await _check_case(rt, body.case_id, subject_id, caller_token)
    privacy = await privacy_repo.current(uow.session)
    row = RevealRequest(subject_id=subject_id, case_id=body.case_id, requested_by=actor,
                        justification=body.justification, status="pending")
    uow.session.add(row)
    await uow.session.flush()
    detail = {"request_id": str(row.id), "case_id": str(body.case_id),
              "justification": body.justification}
    if privacy.two_person_reveal:
        await rt.audit.record(uow.session, actor=actor, action="person.reveal.request",
                              target=f"subject:{subject_id}", detail=detail)
        await uow.session.refresh(row)
        return _read(row, None, datetime.now(UTC))
    grant = await _grant(rt, uow, row, privacy.reveal_ttl_s)
    row.decided_by, row.decided_at = "policy:single-person", datetime.now(UTC)
    await rt.audit.record(uow.session, actor=actor, action="person.reveal",
                          target=f"subject:{subject_id}",
                          detail={**detail, "grant_id": str(grant.id),
                                  "expires_at": grant.expires_at.isoformat()})
    await uow.session.flush()
    await uow.session.refresh(row)
    return _read(row, grant, datetime.now(UTC), identity_of(vault, person))


async def decide(rt: Runtime, uow: UnitOfWork, caller: Caller, request_id: uuid.UUID, *,
                 approve: bool, reason: str | None) -> RevealRead:
    actor = caller.principal.subject
    row = await repo.get(uow.session, request_id, for_update=True)
    if row is None:
        raise RevealNotFound("no such reveal request")
    now = datetime.now(UTC)
    if _status(row, now) != "pending":
        raise RevealNotPending(f"the request is {_status(row, now)}, not pending")
    if account_id_of(actor) is None:
        raise NotAStaffAccount("only staff accounts approve or refuse reveals")
    if not caller.scope.sees(row.subject_id):
        raise RevealNotFound("no such reveal request")
    if row.requested_by == actor:
        raise SelfApproval("a reveal must be approved or refused by someone other than "
                           "the requester")
    grant = None
    detail = {"request_id": str(row.id), "case_id": str(row.case_id),
              "requested_by": row.requested_by, "reason": reason}
    if approve:
        await _check_case(rt, row.case_id, row.subject_id, None)
        privacy = await privacy_repo.current(uow.session)
        grant = await _grant(rt, uow, row, privacy.reveal_ttl_s)
        detail |= {"grant_id": str(grant.id), "expires_at": grant.expires_at.isoformat()}
    else:
        row.status = "refused"
    row.decided_by, row.decided_at, row.decision_reason = actor, now, reason
    await rt.audit.record(uow.session, actor=actor,
                          action="person.reveal.approve" if approve else "person.reveal.refuse",
                          target=f"subject:{row.subject_id}", detail=detail)
    await uow.session.flush()
    return _read(row, grant, now)


async def get(uow: UnitOfWork, request_id: uuid.UUID, scope: AccessScope) -> RevealRead:
    row = await repo.get(uow.session, request_id)
    if row is None or not scope.sees(row.subject_id):
        raise RevealNotFound("no such reveal request")
    grants = await repo.grants(uow.session, [row.grant_id] if row.grant_id else [])
    return _read(row, grants.get(row.grant_id), datetime.now(UTC))


async def list_requests(uow: UnitOfWork, scope: AccessScope, *, status: str | None,
                        subject_id: uuid.UUID | None, cursor: str | None, limit: int
                        ) -> RevealPage:
    now = datetime.now(UTC)
    rows = await repo.page(uow.session, status=status, expired_before=now - PENDING_FOR,
                           subject_id=subject_id, before=decode_keyset(cursor),
                           limit=limit + 1, subjects=scope.subject_list())
    grants = await repo.grants(uow.session, [r.grant_id for r in rows if r.grant_id])
    items = [_read(r, grants.get(r.grant_id), now) for r in rows[:limit]]
    next_cursor = (encode_keyset(items[-1].created_at, items[-1].id)
                   if len(rows) > limit else None)
    return RevealPage(items=items, next_cursor=next_cursor)
