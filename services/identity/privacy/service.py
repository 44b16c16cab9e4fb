"""The privacy setting: aliases or names, and the two-person rule for reveals."""

from __future__ import annotations

from sqlalchemy import func

from services.identity.privacy import repository as repo
from services.identity.privacy.schemas import PrivacyRead, PrivacyUpdate
from services.kit.db import UnitOfWork
from services.kit.runtime import Runtime


def _read(row) -> PrivacyRead:
    return PrivacyRead.model_validate(row, from_attributes=True)


async def get(uow: UnitOfWork) -> PrivacyRead:
    return _read(await repo.current(uow.session))


async def put(rt: Runtime, uow: UnitOfWork, actor: str, data: PrivacyUpdate) -> PrivacyRead:
    row = await repo.current(uow.session, for_update=True)
    before = _read(row).model_dump(mode="json", exclude={"updated_by", "updated_at"})
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor, func.now()
    await uow.session.flush()
    await uow.session.refresh(row)
    after = _read(row)
    await rt.audit.record(uow.session, actor=actor, action="privacy.update",
                          target="privacy", detail={
                              "before": before,
                              "after": after.model_dump(mode="json",
                                                        exclude={"updated_by", "updated_at"})})
    return after
