"""The monitored-person directory, pseudonymisation, reveal and erasure."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from pydantic_core import from_json
from sqlalchemy import text

from services.identity.people import repository as repo
from services.identity.people.crypto import IdentityVault, alias_for, normalise_identifier
from services.identity.people.directory import ALIAS_LENGTHS, DirectoryWriter, wake_consumers
from services.identity.people.exceptions import (
    ImportRejected,
    InvalidHeader,
    PersonErased,
    PersonNotFound,
)
from services.identity.people.parsing import (
    CsvRecords,
    HeaderError,
    KeyMapper,
    NdjsonRecords,
    json_record,
)
from services.identity.people.schemas import (
    DirectoryImportResult,
    Identity,
    NoticeAddress,
    OnError,
    PersonBatch,
    PersonChange,
    PersonChangePage,
    PersonErasure,
    PersonRead,
    PersonUpsert,
    PersonUpserted,
    ResolvedActor,
    UnknownColumns,
)
from services.identity.privacy import repository as privacy_repo
from services.kit.batch import distinct
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidInput, InvalidParam
from services.kit.feed import next_cursor
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.identity.people")

CSV = "text/csv"
JSON = "application/json"
NDJSON = frozenset({"application/x-ndjson", "application/jsonl", "application/ndjson"})
MAX_JSON_ROWS = 50_000


async def resolve(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                  identifiers: list[str]) -> list[ResolvedActor]:
    """Subject id and alias for each identifier, creating a directory entry for an actor
    seen for the first time (so no event is refused for an unknown actor)."""
    hashes = {ident: vault.lookup_hashes(ident) for ident in identifiers}
    known = await repo.by_hashes(uow.session, [h for hs in hashes.values() for h in hs])

    def find(ident: str) -> repo.Stored | None:
        return next((known[h] for h in hashes[ident] if h in known), None)

    created: set[uuid.UUID] = set()
    for alias_length in ALIAS_LENGTHS:
        missing = {hashes[i][0]: i for i in identifiers if find(i) is None}
        if not missing:
            break
        rows, keys = [], []
        for h, ident in missing.items():
            subject_id = uuid.uuid4()
            sealed = vault.seal_new({"email": normalise_identifier(ident)}, subject_id)
            rows.append((subject_id, h, alias_for(subject_id, alias_length),
                         sealed.identity_ct, None, None, False))
            keys.append((subject_id, sealed.key_id, sealed.wrapped_key))
        inserted = await repo.insert_people(uow.session, rows)
        await repo.put_keys(uow.session, [k for k in keys if k[0] in inserted])
        created |= inserted
        known.update(await repo.by_hashes(uow.session, list(missing)))
    if created:
        await rt.audit.record(uow.session, actor=actor, action="person.create",
                              detail={"count": len(created),
                                      "subject_ids": sorted(map(str, created))[:100]})
    out = []
    for ident in identifiers:
        person = find(ident)
        assert person is not None
        out.append(ResolvedActor(identifier=ident, subject_id=person.subject_id,
                                 alias=person.alias))
    return out


async def upsert(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                 data: PersonUpsert) -> PersonUpserted:
    """Add or update a directory entry; only the fields sent change. The answer says nothing
    about the pseudonym, so the directory cannot be used to link an email to an alias."""
    writer = DirectoryWriter(vault, uow, label="directory upsert", redis=rt.redis)
    await writer.add_row(data)
    tally = await writer.finish()
    [person] = (await repo.by_hashes(uow.session, vault.lookup_hashes(data.email))).values()
    created = bool(tally.created)
    await rt.audit.record(uow.session, actor=actor, action="person.upsert",
                          target=f"subject:{person.subject_id}",
                          detail={"fields": sorted(data.model_fields_set - {"email"}),
                                  "created": created})
    return PersonUpserted(created=created)


async def import_directory(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                           media_type: str, chunks: AsyncIterator[bytes], *, on_error: OnError,
                           dry_run: bool, unknown: UnknownColumns, max_rows: int
                           ) -> DirectoryImportResult:
    """Upsert people from a CSV, JSON or NDJSON file, streamed chunk by chunk (a JSON array
    is read whole, so it is bounded). With `reject_all` one bad row refuses the whole file
    (nothing applied); with `skip_invalid` the good rows are applied and the bad ones
    reported. A dry run writes nothing and says what would happen."""
    mapper = KeyMapper(ignore_unknown=unknown is UnknownColumns.IGNORE)
    writer = DirectoryWriter(vault, uow, dry_run=dry_run, on_error=on_error,
                             label="directory import", redis=rt.redis)

    def too_many() -> InvalidInput:
        return _invalid("(body)", f"more than {max_rows} records; split the file")

    try:
        if media_type == JSON:
            data = _json_rows(b"".join([c async for c in chunks]))
            if len(data) > min(max_rows, MAX_JSON_ROWS):
                raise _invalid("(body)", f"at most {min(max_rows, MAX_JSON_ROWS)} records in "
                               "a JSON array; send NDJSON or CSV for more")
            for start in range(0, len(data), 1000):
                await writer.add_all([json_record(start + i, value, mapper)
                                      for i, value in enumerate(data[start:start + 1000])])
        else:
            parser = CsvRecords(mapper) if media_type == CSV else NdjsonRecords(mapper)
            async for chunk in chunks:
                await writer.add_all(parser.feed(chunk))
                if writer.tally.rows > max_rows:
                    raise too_many()
            await writer.add_all(parser.close())
            if writer.tally.rows > max_rows:
                raise too_many()
    except HeaderError as exc:
        raise InvalidHeader(f"the file cannot be used: {exc.field}: {exc.reason}",
                            extra={"invalid_params": [InvalidParam(field=exc.field,
                                                                   reason=exc.reason)]}
                            ) from None
    tally = await writer.finish()
    if tally.rows == 0:
        raise _invalid("(body)", "has no records")
    detail = {"format": media_type, "dry_run": dry_run, "on_error": on_error.value,
              "rows": tally.rows, "created": tally.created, "updated": tally.updated,
              "unchanged": tally.unchanged, "rejected": tally.rejected}
    if tally.rejected and on_error is OnError.REJECT_ALL and not dry_run:
        async with rt.db.unit_of_work() as outside:  # the import's own transaction rolls back
            await rt.audit.record(outside.session, actor=actor, action="people.import",
                                  outcome="rejected", detail={**detail, "created": 0,
                                                              "updated": 0, "unchanged": 0})
        raise ImportRejected(
            f"{tally.rejected} of {tally.rows} records are invalid; nothing was applied "
            "(fix them, or send on_error=skip_invalid to apply the valid ones)",
            extra={"invalid_params": [InvalidParam(field=e.field, index=e.index,
                                                   reason=e.reason) for e in tally.errors]})
    await rt.audit.record(uow.session, actor=actor, action="people.import", detail=detail)
    return DirectoryImportResult(
        dry_run=dry_run, applied=not dry_run, rows=tally.rows, created=tally.created,
        updated=tally.updated, unchanged=tally.unchanged, rejected=tally.rejected,
        errors=tally.errors, errors_truncated=tally.rejected > len(tally.errors),
        ignored_columns=sorted(mapper.ignored), duration_ms=writer.elapsed_ms)


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", extra={"invalid_params": [
        InvalidParam(field=field, reason=reason)]})


def _json_rows(body: bytes) -> list:
    try:
        data = from_json(body)
    except ValueError as exc:
        raise _invalid("(body)", f"not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("people"), list):
        data = data["people"]
    if not isinstance(data, list):
        raise _invalid("(body)", "must be a JSON array of people (or {\"people\": [...]})")
    return data


def account_id_of(subject: str) -> uuid.UUID | None:
    """The staff account id of a `user:<id>` caller; None for clients and services."""
    kind, _, raw = subject.partition(":")
    return uuid.UUID(raw) if kind == "user" else None



def identity_of(vault: IdentityVault, person: repo.Stored) -> Identity:
    assert person.identity_ct is not None
    return Identity(**vault.open(person.identity_ct, person.subject_id, person.key_id,
                                 person.wrapped_key))


async def read(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, caller: Caller,
               subject_id: uuid.UUID) -> PersonRead:
    """One person: the batch read of one, so both always answer alike."""
    batch = await read_many(rt, vault, uow, caller, [subject_id])
    if not batch.items:
        raise PersonNotFound("no such person")
    return batch.items[0]


async def read_many(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, caller: Caller,
                    subject_ids: list[uuid.UUID]) -> PersonBatch:
    """A grant is honoured only while its holder may still reveal (a demoted Investigator
    sees aliases again), and each person it reveals is audited as one use. An erased person
    is the alias only; someone outside the caller's scope does not exist for them."""
    wanted = distinct(subject_ids)
    stored = await repo.stored_many(uow.session, wanted)
    found = [stored[s] for s in wanted if s in stored and caller.scope.sees(s)]
    out = {p.subject_id: PersonRead(subject_id=p.subject_id, alias=p.alias) for p in found}
    batch = PersonBatch(items=list(out.values()),
                        missing=[s for s in wanted if s not in out])
    live = []
    for person in found:
        if person.erased_at is not None:
            out[person.subject_id].erased = True
            out[person.subject_id].erased_at = person.erased_at
        else:
            live.append(person)
    if not live:
        return batch
    privacy = await privacy_repo.current(uow.session)
    if not privacy.pseudonymise:
        for person in live:
            out[person.subject_id].identity = identity_of(vault, person)
        return batch
    subject = caller.principal.subject
    account_id = account_id_of(subject)
    if account_id is None or not await rt.authorizer.allowed(subject, "people", "reveal"):
        return batch
    grants = await repo.active_grants(uow.session, [p.subject_id for p in live], account_id,
                                      datetime.now(UTC))
    for person in live:
        if not (held := grants.get(person.subject_id)):
            continue
        shown = out[person.subject_id]
        shown.revealed = True
        shown.identity = identity_of(vault, person)
        shown.revealed_for_cases = sorted({g.case_id for g in held})
        await rt.audit.record(uow.session, actor=subject, action="person.reveal.use",
                              target=f"subject:{person.subject_id}",
                              detail={"grant_ids": sorted(str(g.id) for g in held),
                                      "case_ids": [str(c) for c in shown.revealed_for_cases]})
    return batch


async def erase(rt: Runtime, uow: UnitOfWork, actor: str, subject_id: uuid.UUID,
                reason: str) -> PersonErasure:
    """Crypto-shredding: the person's data key and sealed identity are destroyed and their
    lookup hash removed, so nothing can link the subject id to a person again (the same email
    coming back is a new subject). Subject id, alias, department and region stay: the events,
    alerts and cases filed under them stay consistent, and pseudonymous for good."""
    person = await repo.stored(uow.session, subject_id, for_update=True)
    if person is None:
        raise PersonNotFound("no such person")
    if person.erased_at is not None:
        raise PersonErased(f"this person was erased already ({person.erased_at.isoformat()})")
    erased_at = await repo.shred(uow.session, subject_id)
    await repo.append_changes(uow.session, [subject_id])
    wake_consumers(uow, rt.redis)
    await rt.audit.record(uow.session, actor=actor, action="person.erase",
                          target=f"subject:{subject_id}",
                          detail={"reason": reason, "alias": person.alias})

    async def reclaim() -> None:
        await _vacuum(rt)

    uow.after_commit.append(reclaim)
    return PersonErasure(subject_id=subject_id, alias=person.alias, erased_at=erased_at)


async def _vacuum(rt: Runtime) -> None:
    """Best effort, after commit: reclaim the dead row versions that still hold the shredded
    key and ciphertext, instead of waiting for autovacuum."""
    try:
        async with rt.db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM identity.person_key, identity.person"))
    except Exception as exc:
        log.warning("could not vacuum after an erasure (autovacuum will): %s", exc)


async def changes(uow: UnitOfWork, cursor: str | None, limit: int) -> PersonChangePage:
    """People whose department, region, high impact or erasure changed after the cursor, each
    once per page with their current values."""
    rows = await repo.changes(uow.session, cursor, limit)
    latest: dict[uuid.UUID, PersonChange] = {}
    for r in rows:
        latest.pop(r.subject_id, None)  # keep commit order of the last change
        latest[r.subject_id] = PersonChange(subject_id=r.subject_id, alias=r.alias,
                                            department=r.department, region=r.region,
                                            high_impact=r.high_impact, erased=r.erased)
    return PersonChangePage(items=list(latest.values()), next_cursor=next_cursor(rows, cursor))


async def notice_address(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                         subject_id: uuid.UUID, case_id: uuid.UUID) -> NoticeAddress:
    """The address a notice about `case_id` is sent to, for the service that sends it (the
    reviewer who sent the notice never sees it). The case must exist and concern the person;
    an erased person has no address any more. Each lookup is audited, without the address."""
    from services.identity.reveals.exceptions import CaseMismatch

    person = await repo.stored(uow.session, subject_id)
    if person is None:
        raise PersonNotFound("no such person")
    if person.erased_at is not None:
        raise PersonErased("this person was erased; no address remains")
    case = await rt.cases.request("GET", f"/cases/{case_id}")
    if case.get("subject_id") != str(subject_id):
        raise CaseMismatch("that case does not concern this person")
    address = identity_of(vault, person).email
    await rt.audit.record(uow.session, actor=actor, action="person.notice_address",
                          target=f"subject:{subject_id}", detail={"case_id": str(case_id)})
    return NoticeAddress(subject_id=subject_id, case_id=case_id, email=address)
