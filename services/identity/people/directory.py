"""Writing the directory: people created or updated by email/UPN in chunks of rows, each
chunk in a few array statements. Used by the import (CSV, JSON, NDJSON), the single upsert and
pseudonymisation of new actors.

A person's identity is sealed with their own data key; department, region and high impact are
also kept in the clear; every change to those (or an erasure) appends to the change feed, and
scoring is woken after commit to read it."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from services.identity.people import repository as repo
from services.identity.people.crypto import IdentityVault, alias_for, normalise_identifier
from services.identity.people.parsing import Outcome, Problem, Record, validate
from services.identity.people.schemas import DirectoryFields, OnError, RowProblem
from services.kit.db import UnitOfWork
from services.kit.jobs import SCORING_QUEUE
from services.kit.scopes import bump_people_version

log = logging.getLogger("openirm.identity.directory")

CHUNK = 1000
MAX_REPORTED_ERRORS = 1000
PROGRESS_EVERY_S = 5.0
ALIAS_LENGTHS = (6, 8, 12)
WAKE_WINDOW_S = 0.05


def wake_consumers(uow: UnitOfWork, redis: Redis | None) -> None:
    """After commit: scoring reads the change feed (so does every consumer's catch-up), and
    every service recomputes the access scopes it cached (they follow departments and
    regions)."""
    uow.enqueue_after_commit(SCORING_QUEUE, "score.directory", coalesce_s=WAKE_WINDOW_S)
    if redis is not None:
        uow.after_commit.append(lambda: bump_people_version(redis))


def _org(identity: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    return (identity.get("department"), identity.get("region"),
            bool(identity.get("high_impact")))


@dataclass
class Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowProblem] = field(default_factory=list)

    def problem(self, p: Problem) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowProblem(index=p.index, field=p.field, reason=p.reason))


class DirectoryWriter:
    """Takes records chunk by chunk. In a dry run nothing is written; with `reject_all`,
    writing stops at the first bad row (the transaction will be rolled back) but every row is
    still checked, so the report is complete."""

    def __init__(self, vault: IdentityVault, uow: UnitOfWork, *, dry_run: bool = False,
                 on_error: OnError = OnError.REJECT_ALL, label: str = "directory",
                 redis: Redis | None = None) -> None:
        self.vault, self.uow, self.redis = vault, uow, redis
        self.dry_run, self.on_error, self.label = dry_run, on_error, label
        self.tally = Tally()
        self._pending: list[tuple[int, DirectoryFields, dict[str, str]]] = []
        self._seen: dict[str, int] = {}  # current-key hash -> first row index
        self._changed: list[uuid.UUID] = []
        self._any_change = False
        self._started = time.monotonic()
        self._logged = self._started

    @property
    def writing(self) -> bool:
        return not self.dry_run and not (self.tally.rejected
                                         and self.on_error is OnError.REJECT_ALL)

    async def add_all(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.tally.rows += 1
            if isinstance(outcome, Problem):
                self.tally.problem(outcome)
                continue
            assert isinstance(outcome, Record)
            valid = validate(outcome)
            if isinstance(valid, Problem):
                self.tally.problem(valid)
                continue
            self._pending.append((outcome.index, valid, outcome.names))
            if len(self._pending) >= CHUNK:
                await self.flush()

    async def add_row(self, row: DirectoryFields) -> None:
        """One already validated row (the single upsert)."""
        self.tally.rows += 1
        self._pending.append((self.tally.rows - 1, row, {}))

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        rows: list[tuple[int, DirectoryFields, list[str]]] = []
        for index, row, names in pending:
            hashes = self.vault.lookup_hashes(row.email)
            first = self._seen.setdefault(hashes[0], index)
            if first != index:
                self.tally.problem(Problem(
                    index, names.get("email", "email"),
                    f"the same person as record {first} (compared without case)"))
                continue
            rows.append((index, row, hashes))
        found = await repo.by_hashes(self.uow.session, [h for *_, hs in rows for h in hs],
                                     for_update=self.writing)
        new: list[tuple[DirectoryFields, str]] = []
        updates: list[tuple] = []
        keys: list[tuple] = []
        for _, row, hashes in rows:
            person = next((found[h] for h in hashes if h in found), None)
            if person is None:
                new.append((row, hashes[0]))
                continue
            outcome = self._update(person, row, hashes[0])
            if outcome is None:
                self.tally.unchanged += 1
                continue
            self.tally.updated += 1
            update, key, org_changed = outcome
            updates.append(update)
            if key is not None:
                keys.append(key)
            if org_changed:
                self._changed.append(person.subject_id)
        if self.writing:
            await repo.update_people(self.uow.session, updates)
            await repo.put_keys(self.uow.session, keys)
            await self._create(new)
            if self._changed:
                await repo.append_changes(self.uow.session, self._changed)
                self._any_change = True
            self._changed = []
        else:
            self.tally.created += len(new)
        self._progress()

    def _update(self, person: repo.Stored, row: DirectoryFields, lookup_hash: str
                ) -> tuple[tuple, tuple | None, bool] | None:
        assert person.identity_ct is not None
        sid = person.subject_id
        current = self.vault.open(person.identity_ct, sid, person.key_id, person.wrapped_key)
        merged = {**current, **row.model_dump(mode="json", exclude_unset=True),
                  "email": current.get("email") or normalise_identifier(row.email)}
        merged = {k: v for k, v in merged.items() if v is not None}
        if merged == current:
            return None
        key = None
        if person.key_id is None or person.wrapped_key is None:  # legacy: a key of its own now
            sealed = self.vault.seal_new(merged, sid)
            ct, key = sealed.identity_ct, (sid, sealed.key_id, sealed.wrapped_key)
            lookup = lookup_hash
        else:
            ct = self.vault.reseal(merged, sid, person.key_id, person.wrapped_key)
            # The hash stays with the key that wraps the data key (the rekey pass moves both).
            lookup = (lookup_hash if person.key_id == self.vault.key_id
                      else person.lookup_hash or lookup_hash)
        department, region, high_impact = _org(merged)
        org_changed = (department, region, high_impact) != (person.department, person.region,
                                                            person.high_impact)
        return ((person.subject_id, lookup, ct, department, region, high_impact), key,
                org_changed)

    async def _create(self, new: list[tuple[DirectoryFields, str]]) -> None:
        """Insert new people; a row whose hash was taken meanwhile (a concurrent create) is
        updated instead, one whose alias collides gets a longer one."""
        todo = new
        for length in ALIAS_LENGTHS:
            if not todo:
                return
            rows, keys, by_id = [], [], {}
            for row, lookup_hash in todo:
                subject_id = uuid.uuid4()
                identity = {k: v for k, v in row.model_dump(mode="json").items()
                            if v is not None}
                identity["email"] = normalise_identifier(row.email)
                sealed = self.vault.seal_new(identity, subject_id)
                department, region, high_impact = _org(identity)
                rows.append((subject_id, lookup_hash, alias_for(subject_id, length),
                             sealed.identity_ct, department, region, high_impact))
                keys.append((subject_id, sealed.key_id, sealed.wrapped_key))
                by_id[subject_id] = (row, lookup_hash, (department, region, high_impact))
            inserted = await repo.insert_people(self.uow.session, rows)
            await repo.put_keys(self.uow.session, [k for k in keys if k[0] in inserted])
            self.tally.created += len(inserted)
            self._changed.extend(s for s in inserted if by_id[s][2] != (None, None, False))
            todo = [(row, h) for s, (row, h, _) in by_id.items() if s not in inserted]
            if todo:  # taken meanwhile: update those rows now
                taken = await repo.by_hashes(self.uow.session, [h for _, h in todo],
                                             for_update=True)
                again = []
                for row, h in todo:
                    if h not in taken:
                        again.append((row, h))
                        continue
                    outcome = self._update(taken[h], row, h)
                    if outcome is None:
                        self.tally.unchanged += 1
                        continue
                    self.tally.updated += 1
                    update, key, org_changed = outcome
                    await repo.update_people(self.uow.session, [update])
                    await repo.put_keys(self.uow.session, [key] if key else [])
                    if org_changed:
                        self._changed.append(taken[h].subject_id)
                todo = again
        if todo:
            raise RuntimeError("could not allocate unique aliases")

    def _progress(self, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._logged >= PROGRESS_EVERY_S:
            self._logged = now
            t = self.tally
            log.info("%s: %d records read in %.1f s (%d created, %d updated, %d unchanged, "
                     "%d rejected)%s", self.label, t.rows, now - self._started, t.created,
                     t.updated, t.unchanged, t.rejected, " (dry run)" if self.dry_run else "")

    async def finish(self) -> Tally:
        await self.flush()
        if self.writing and self._any_change:
            wake_consumers(self.uow, self.redis)
        self._progress(final=True)
        return self.tally

    @property
    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)
