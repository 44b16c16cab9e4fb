"""Identity-key rotation: a pass that moves every person to the current identity key, in
batches, each its own transaction (rows it has done stay done: the pass is resumable, and
rows another pass holds are skipped, so replicas cannot collide).

For each person: the data key is rewrapped by the current key and the lookup hash recomputed
under it (it derives from the key); a legacy row (sealed by the master key itself, before
migration 0005) gets a data key of its own and its clear columns filled from the identity."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from services.identity.models import RekeyRun
from services.identity.people import repository as repo
from services.identity.people.crypto import IdentityVault, UnreadableIdentity
from services.identity.people.directory import wake_consumers
from services.identity.people.schemas import RekeyRunRead, RekeyRunStatus, RekeyStatus
from services.kit.db import UnitOfWork
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.identity.rekey")

BATCH = 1000
STALE_AFTER = timedelta(minutes=2)


def _read(run: RekeyRun) -> RekeyRunRead:
    status = RekeyRunStatus(run.status)
    assert run.updated_at is not None and run.started_at is not None
    if status is RekeyRunStatus.RUNNING and run.updated_at < datetime.now(UTC) - STALE_AFTER:
        status = RekeyRunStatus.INTERRUPTED
    return RekeyRunRead(id=run.id, key_id=run.key_id, started_by=run.started_by, status=status,
                        total=run.total, rewritten=run.rewritten, skipped=run.skipped,
                        error=run.error, started_at=run.started_at, updated_at=run.updated_at,
                        finished_at=run.finished_at)


async def status(vault: IdentityVault, uow: UnitOfWork) -> RekeyStatus:
    counts = await repo.key_counts(uow.session, vault.key_id, list(vault.keys))
    run = await repo.latest_run(uow.session)
    return RekeyStatus(key_id=vault.key_id, **counts, run=_read(run) if run else None)


async def start(rt: Runtime, vault: IdentityVault, uow: UnitOfWork, actor: str,
                tasks: set[asyncio.Task]) -> RekeyStatus:
    """Start a pass in this process, after commit; a pass still running (anywhere) is
    answered with instead of starting a second one."""
    latest = await repo.latest_run(uow.session)
    if latest is not None and _read(latest).status is RekeyRunStatus.RUNNING:
        return await status(vault, uow)
    counts = await repo.key_counts(uow.session, vault.key_id, list(vault.keys))
    run = RekeyRun(key_id=vault.key_id, started_by=actor, status=RekeyRunStatus.RUNNING.value,
                   total=counts["remaining"])
    uow.session.add(run)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action="people.rekey_start",
                          target=f"rekey_run:{run.id}",
                          detail={"key_id": vault.key_id, "remaining": counts["remaining"]})
    run_id = run.id

    async def launch() -> None:
        task = asyncio.get_running_loop().create_task(run_pass(rt, vault, run_id))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    uow.after_commit.append(launch)
    await uow.session.refresh(run)
    return await status(vault, uow)


async def run_pass(rt: Runtime, vault: IdentityVault, run_id: uuid.UUID) -> int:
    """Rewrite every person not yet on the current key; returns how many were rewritten."""
    rewritten, skip, after = 0, [], None
    started = last_log = time.monotonic()
    readable = list(vault.keys)
    try:
        while True:
            async with rt.db.unit_of_work(rt.queue) as uow:
                people = await repo.next_to_rekey(uow.session, vault.key_id, readable, after,
                                                  BATCH)
                if not people:
                    break
                after = people[-1].subject_id
                updates, keys, changed = _rewrite(vault, people, skip)
                await repo.update_people(uow.session, updates)
                await repo.put_keys(uow.session, keys)
                if changed:
                    await repo.append_changes(uow.session, changed)
                    wake_consumers(uow, rt.redis)
                rewritten += len(updates)
                await repo.update_run(uow.session, run_id, rewritten=rewritten,
                                      skipped=len(skip))
            if time.monotonic() - last_log > 5:
                last_log = time.monotonic()
                log.info("rekey: %d people rewritten, %d skipped in %.1f s", rewritten,
                         len(skip), last_log - started)
        async with rt.db.unit_of_work() as uow:
            await repo.update_run(uow.session, run_id, status=RekeyRunStatus.SUCCEEDED.value,
                                  finished_at=datetime.now(UTC), rewritten=rewritten,
                                  skipped=len(skip))
            run = await uow.session.get(RekeyRun, run_id)
            await rt.audit.record(uow.session, actor=run.started_by if run else "service:identity",
                                  action="people.rekey", target=f"rekey_run:{run_id}",
                                  detail={"key_id": vault.key_id, "rewritten": rewritten,
                                          "skipped": len(skip)})
        log.info("rekey: done, %d people rewritten, %d skipped (no configured key opens "
                 "them) in %.1f s", rewritten, len(skip), time.monotonic() - started)
        return rewritten
    except asyncio.CancelledError:
        log.warning("rekey: stopped after %d people; start it again to resume", rewritten)
        raise
    except Exception as exc:
        log.exception("rekey: failed after %d people", rewritten)
        async with rt.db.unit_of_work() as uow:
            await repo.update_run(uow.session, run_id, status=RekeyRunStatus.FAILED.value,
                                  finished_at=datetime.now(UTC), error=str(exc)[:2000])
            run = await uow.session.get(RekeyRun, run_id)
            await rt.audit.record(uow.session, actor=run.started_by if run else "service:identity",
                                  action="people.rekey", target=f"rekey_run:{run_id}",
                                  outcome="failed",
                                  detail={"key_id": vault.key_id, "rewritten": rewritten})
        return rewritten


def _rewrite(vault: IdentityVault, people: list[repo.Stored], skip: list[uuid.UUID]
             ) -> tuple[list[tuple], list[tuple], list[uuid.UUID]]:
    updates, keys, changed = [], [], []
    for p in people:
        assert p.identity_ct is not None
        try:
            identity = vault.open(p.identity_ct, p.subject_id, p.key_id, p.wrapped_key)
        except UnreadableIdentity:
            skip.append(p.subject_id)
            continue
        lookup_hash = vault.lookup_hash(identity["email"])
        department, region, high_impact = p.department, p.region, p.high_impact
        if p.key_id is None or p.wrapped_key is None:
            sealed = vault.seal_new(identity, p.subject_id)
            ct, key = sealed.identity_ct, (p.subject_id, sealed.key_id, sealed.wrapped_key)
            department = identity.get("department") or department
            region = identity.get("region") or region
            high_impact = bool(identity.get("high_impact")) or high_impact
            if (department, region, high_impact) != (p.department, p.region, p.high_impact):
                changed.append(p.subject_id)
        else:
            ct = p.identity_ct
            key = (p.subject_id, vault.key_id, vault.rewrap(p.subject_id, p.key_id, p.wrapped_key))
        updates.append((p.subject_id, lookup_hash, ct, department, region, high_impact))
        keys.append(key)
    return updates, keys, changed
