"""The monitored-person directory, pseudonymisation and reveal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.identity.people import repository as repo
from services.identity.people.crypto import IdentityVault, alias_for, normalise_identifier
from services.identity.people.exceptions import PersonNotFound
from services.identity.people.schemas import (
    Identity,
    PersonRead,
    PersonUpsert,
    PersonUpserted,
    ResolvedActor,
)
from services.identity.privacy import repository as privacy_repo
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
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


def account_id_of(subject: str) -> uuid.UUID | None:
    """The staff account id of a `user:<id>` caller; None for clients and services."""
    kind, _, raw = subject.partition(":")
    return uuid.UUID(raw) if kind == "user" else None


async def read(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, caller: Caller,
               subject_id: uuid.UUID) -> PersonRead:
    """A grant is honoured only while its holder may still reveal (a demoted Investigator
    sees aliases again)."""
    person = await repo.get(uow.session, subject_id)
    if person is None or not caller.scope.sees(subject_id):
        raise PersonNotFound("no such person")
    out = PersonRead(subject_id=person.subject_id, alias=person.alias)
    privacy = await privacy_repo.current(uow.session)
    if not privacy.pseudonymise:
        out.identity = Identity(**vault.open(person.identity_ct))
        return out
    subject = caller.principal.subject
    account_id = account_id_of(subject)
    if account_id is None or not await rt.authorizer.allowed(subject, "people", "reveal"):
        return out
    grants = await repo.active_grants(uow.session, subject_id, account_id, datetime.now(UTC))
    if grants:
        out.revealed = True
        out.identity = Identity(**vault.open(person.identity_ct))
        out.revealed_for_cases = sorted({g.case_id for g in grants})
        await rt.audit.record(uow.session, actor=subject, action="person.reveal.use",
                              target=f"subject:{subject_id}",
                              detail={"grant_ids": sorted(str(g.id) for g in grants),
                                      "case_ids": [str(c) for c in out.revealed_for_cases]})
    return out
