"""Priority user groups: people whose activity matters more (a triggering event for the
priority-user templates, a booster elsewhere) and who may review them."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.kit.db import UnitOfWork
from services.kit.errors import Conflict, NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.scoring.models import Policy, PriorityGroup
from services.scoring.priority_groups.schemas import (
    PriorityGroupCreate,
    PriorityGroupRead,
    PriorityGroupUpdate,
)


class PriorityGroupNotFound(NotFound):
    code = "priority_group_not_found"


class PriorityGroupConflict(Conflict):
    code = "priority_group_conflict"


def to_read(g: PriorityGroup) -> PriorityGroupRead:
    return PriorityGroupRead(id=g.id, name=g.name, description=g.description,
                             members=[uuid.UUID(m) for m in g.members], reviewers=g.reviewers,
                             created_at=g.created_at, updated_at=g.updated_at)


def _snapshot(g: PriorityGroup) -> dict:
    return to_read(g).model_dump(mode="json", exclude={"created_at", "updated_at"})


def _rescore(uow: UnitOfWork, *member_lists: list[str]) -> None:
    subjects = sorted({m for members in member_lists for m in members})
    if subjects:
        uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects", subjects=subjects)


async def get(uow: UnitOfWork, group_id: uuid.UUID) -> PriorityGroup:
    group = await uow.session.get(PriorityGroup, group_id)
    if group is None:
        raise PriorityGroupNotFound("no such priority group")
    return group


async def list_groups(uow: UnitOfWork) -> list[PriorityGroupRead]:
    rows = await uow.session.execute(select(PriorityGroup).order_by(PriorityGroup.name))
    return [to_read(g) for g in rows.scalars()]


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: PriorityGroupCreate
                 ) -> PriorityGroupRead:
    taken = await uow.session.execute(select(PriorityGroup.id).where(
        PriorityGroup.name == data.name))
    if taken.first():
        raise PriorityGroupConflict(f"a priority group named {data.name!r} exists")
    group = PriorityGroup(name=data.name, description=data.description,
                          members=sorted({str(m) for m in data.members}),
                          reviewers=sorted(set(data.reviewers)))
    uow.session.add(group)
    await uow.session.flush()
    await uow.session.refresh(group)
    await rt.audit.record(uow.session, actor=actor, action="priority_group.create",
                          target=f"priority_group:{group.id}", detail={"after": _snapshot(group)})
    _rescore(uow, group.members)
    return to_read(group)


async def update(rt: Runtime, uow: UnitOfWork, actor: str, group_id: uuid.UUID,
                 data: PriorityGroupUpdate) -> PriorityGroupRead:
    group = await get(uow, group_id)
    before, old_members = _snapshot(group), list(group.members)
    if data.description is not None:
        group.description = data.description
    if data.members is not None:
        group.members = sorted({str(m) for m in data.members})
    if data.reviewers is not None:
        group.reviewers = sorted(set(data.reviewers))
    group.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(group)
    await rt.audit.record(uow.session, actor=actor, action="priority_group.update",
                          target=f"priority_group:{group.id}",
                          detail={"before": before, "after": _snapshot(group)})
    _rescore(uow, old_members, group.members)
    return to_read(group)


async def delete(rt: Runtime, uow: UnitOfWork, actor: str, group_id: uuid.UUID) -> None:
    group = await get(uow, group_id)
    for p in (await uow.session.execute(select(Policy))).scalars():
        if str(group.id) in p.scope.get("priority_groups", []):
            raise PriorityGroupConflict(f"policy {p.name!r} is scoped to this group; change "
                                        "its scope first", extra={"policy_id": str(p.id)})
    before = _snapshot(group)
    await uow.session.delete(group)
    await rt.audit.record(uow.session, actor=actor, action="priority_group.delete",
                          target=f"priority_group:{group_id}", detail={"before": before})
    _rescore(uow, before["members"])
