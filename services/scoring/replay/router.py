from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.replay import service
from services.scoring.replay.schemas import ReplayCreate, ReplayRead, ReplaySummary

router = APIRouter(tags=["replays"])
Reader = Annotated[Principal, require("replays", "read")]
Writer = Annotated[Principal, require("replays", "write")]


@router.post("/replays", operation_id="replays:create", response_model=ReplayRead,
             status_code=202, responses=problem_responses(401, 403, 404, 422))
async def create_replay(rt: RuntimeDep, uow: UoW, body: ReplayCreate, principal: Writer
                        ) -> ReplayRead:
    """What-if: run a draft or existing policy, with draft or current settings, over stored
    history. Returns at once; follow progress at `GET /replays/{id}`. Creates no alert."""
    return await service.create(rt, uow, principal.subject, body)


@router.get("/replays", operation_id="replays:list", response_model=list[ReplaySummary],
            responses=problem_responses(401, 403))
async def list_replays(uow: UoW, _: Reader) -> list[ReplaySummary]:
    """The latest 200 replays, newest first."""
    return await service.list_replays(uow)


@router.get("/replays/{replay_id}", operation_id="replays:get", response_model=ReplayRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_replay(uow: UoW, replay_id: uuid.UUID, _: Reader) -> ReplayRead:
    """Status and progress; when it has succeeded, the alerts it would have raised with
    their explanations and the counts per severity."""
    return service.to_read(await service.get(uow, replay_id))


@router.post("/replays/{replay_id}/cancel", operation_id="replays:cancel",
             response_model=ReplayRead, responses=problem_responses(401, 403, 404, 409, 422))
async def cancel_replay(rt: RuntimeDep, uow: UoW, replay_id: uuid.UUID, principal: Writer
                        ) -> ReplayRead:
    """Stop a queued or running replay (409 when it has already finished)."""
    return await service.cancel(rt, uow, principal.subject, replay_id)
