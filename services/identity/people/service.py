"""The monitored-person directory, pseudonymisation and reveal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.identity.models import RevealGrant
from services.identity.people import repository as repo
from services.identity.people.crypto import IdentityVault, alias_for, normalise_identifier
from services.identity.people.exceptions import CaseMismatch, CaseNotActive, PersonNotFound
from services.identity.people.schemas import (
    Identity,
    PersonRead,
    PersonUpsert,
    PersonUpserted,
    ResolvedActor,
    RevealGrantRead,
    RevealRequest,
)
from services.kit.db import UnitOfWork
from services.kit.runtime import Runtime


async def resolve(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                  identifiers: list[str]) -> list[ResolvedActor]:
    """Subject id and alias for each identifier, creating a directory entry for an actor
    seen for the first time (so no event is refused for an unknown actor)."""
    resolved, _ = await _resolve(rt, vault, uow, actor, identifiers)
    return resolved


async def _resolve(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                   identifiers: list[str]) -> tuple[list[ResolvedActor], set[uuid.UUID]]:
    """As `resolve`, plus the subject ids this call created."""
    hashes = {ident: vault.lookup_hash(ident) for ident in identifiers}
    known = await repo.by_hashes(uow.session, list(set(hashes.values())))
    already = set(known)
    for alias_length in (6, 8, 12):
        missing = {h: i for i, h in hashes.items() if h not in known}
        if not missing:
            break
        rows = []
        for h, ident in missing.items():
            subject_id = uuid.uuid4()
            rows.append({"subject_id": subject_id, "lookup_hash": h,
                         "alias": alias_for(subject_id, alias_length),
                         "identity_ct": vault.seal({"email": normalise_identifier(ident)})})
        await repo.insert_new(uow.session, rows)
        known = await repo.by_hashes(uow.session, list(set(hashes.values())))
    created = {p.subject_id for h, p in known.items() if h not in already}
    if created:
        await rt.audit.record(uow.session, actor=actor, action="person.create",
                              detail={"count": len(created),
                                      "subject_ids": sorted(map(str, created))[:100]})
    return [ResolvedActor(identifier=i, subject_id=known[h].subject_id, alias=known[h].alias)
            for i, h in hashes.items()], created


async def upsert(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                 data: PersonUpsert) -> PersonUpserted:
    """Add or update a directory entry; only the fields sent change. The answer says nothing
    about the pseudonym, so the directory cannot be used to link an email to an alias."""
    [ref], created = await _resolve(rt, vault, uow, actor, [data.email])
    person = await repo.get(uow.session, ref.subject_id, for_update=True)
    assert person is not None
    current = Identity(**vault.open(person.identity_ct))
    changes = data.model_dump(exclude_unset=True, exclude={"email"})
    updated = current.model_copy(update=changes)
    await repo.update_identity(uow.session, person, vault.seal(updated.model_dump()))
    await rt.audit.record(uow.session, actor=actor, action="person.upsert",
                          target=f"subject:{ref.subject_id}",
                          detail={"fields": sorted(changes), "created": bool(created)})
    return PersonUpserted(created=bool(created))


def _account_id(principal_subject: str) -> uuid.UUID | None:
    kind, _, raw = principal_subject.partition(":")
    return uuid.UUID(raw) if kind == "user" else None


async def read(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, principal_subject: str,
               subject_id: uuid.UUID) -> PersonRead:
    """A grant is honoured only while its holder may still reveal (a demoted Investigator
    sees aliases again)."""
    person = await repo.get(uow.session, subject_id)
    if person is None:
        raise PersonNotFound("no such person")
    out = PersonRead(subject_id=person.subject_id, alias=person.alias)
    account_id = _account_id(principal_subject)
    if account_id is not None and await rt.authorizer.allowed(principal_subject, "people",
                                                               "reveal"):
        grants = await repo.active_grants(uow.session, subject_id, account_id, datetime.now(UTC))
        if grants:
            out.revealed = True
            out.identity = Identity(**vault.open(person.identity_ct))
            out.revealed_for_cases = sorted({g.case_id for g in grants})
    return out


async def reveal(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, principal_subject: str,
                 caller_token: str, subject_id: uuid.UUID, body: RevealRequest
                 ) -> RevealGrantRead:
    """Grant the caller sight of the person for one case, after checking with the cases
    service (as the caller) that the case exists and concerns this person."""
    person = await repo.get(uow.session, subject_id)
    if person is None:
        raise PersonNotFound("no such person")
    case = await rt.cases.request("GET", f"/cases/{body.case_id}", token=caller_token)
    if case.get("subject_id") != str(subject_id):
        raise CaseMismatch("that case does not concern this person")
    if case.get("status") != "active":
        raise CaseNotActive("identities are revealed for active cases only")
    account_id = _account_id(principal_subject)
    if account_id is None:
        raise PersonNotFound("only staff accounts can reveal")
    grant = RevealGrant(subject_id=subject_id, case_id=body.case_id, account_id=account_id,
                        justification=body.justification,
                        expires_at=datetime.now(UTC) + timedelta(seconds=rt.settings.reveal_ttl_s))
    uow.session.add(grant)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=principal_subject, action="person.reveal",
                          target=f"subject:{subject_id}",
                          detail={"case_id": str(body.case_id),
                                  "justification": body.justification,
                                  "grant_id": str(grant.id),
                                  "expires_at": grant.expires_at.isoformat()})
    return RevealGrantRead(id=grant.id, subject_id=subject_id, case_id=body.case_id,
                           expires_at=grant.expires_at,
                           identity=Identity(**vault.open(person.identity_ct)))

