from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.cases.webhooks import service
from services.cases.webhooks.schemas import (
    DeliveryPage,
    DeliveryStatus,
    Replay,
    ReplayResult,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["webhooks"])
Reader = Annotated[Principal, require("webhooks", "read")]
Writer = Annotated[Principal, require("webhooks", "write")]


@router.post("/webhooks", operation_id="webhooks:create", response_model=WebhookWithSecret,
             status_code=201, responses=problem_responses(401, 403, 422))
async def create_webhook(rt: RuntimeDep, uow: UoW, body: WebhookCreate, caller: Writer,
                         response: Response) -> WebhookWithSecret:
    """Subscribe a URL to event types (optionally only about some policies). The signing
    secret is in this answer only."""
    response.headers["Cache-Control"] = "no-store"
    return await service.create(rt, uow, caller, body)


@router.get("/webhooks", operation_id="webhooks:list", response_model=WebhookPage,
            responses=problem_responses(401, 403, 422))
async def list_webhooks(uow: UoW, caller: Reader, cursor: str | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> WebhookPage:
    return await service.list_webhooks(uow, cursor=cursor, limit=limit)


@router.get("/webhooks/{webhook_id}", operation_id="webhooks:get", response_model=WebhookRead,
            responses=problem_responses(401, 403, 404))
async def get_webhook(uow: UoW, webhook_id: uuid.UUID, caller: Reader) -> WebhookRead:
    return WebhookRead.model_validate(await service.get_webhook(uow, webhook_id))


@router.patch("/webhooks/{webhook_id}", operation_id="webhooks:update",
              response_model=WebhookRead, responses=problem_responses(401, 403, 404, 422))
async def update_webhook(rt: RuntimeDep, uow: UoW, webhook_id: uuid.UUID, body: WebhookUpdate,
                         caller: Writer) -> WebhookRead:
    return await service.update(rt, uow, caller, webhook_id, body)


@router.delete("/webhooks/{webhook_id}", operation_id="webhooks:delete", status_code=204,
               responses=problem_responses(401, 403, 404))
async def delete_webhook(rt: RuntimeDep, uow: UoW, webhook_id: uuid.UUID,
                         caller: Writer) -> Response:
    await service.delete(rt, uow, caller, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", operation_id="webhooks:rotate_secret",
             response_model=WebhookWithSecret, responses=problem_responses(401, 403, 404))
async def rotate_secret(rt: RuntimeDep, uow: UoW, webhook_id: uuid.UUID, caller: Writer,
                        response: Response) -> WebhookWithSecret:
    """A new secret, shown once; for 24 h deliveries carry a second signature made with the
    previous one."""
    response.headers["Cache-Control"] = "no-store"
    return await service.rotate_secret(rt, uow, caller, webhook_id)


@router.post("/webhooks/{webhook_id}/enable", operation_id="webhooks:enable",
             response_model=WebhookRead, responses=problem_responses(401, 403, 404, 409))
async def enable_webhook(rt: RuntimeDep, uow: UoW, webhook_id: uuid.UUID,
                         caller: Writer) -> WebhookRead:
    """Re-enable a subscription disabled after repeated failures; its pending deliveries go
    out at once."""
    return await service.enable(rt, uow, caller, webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", operation_id="webhooks:deliveries",
            response_model=DeliveryPage, responses=problem_responses(401, 403, 404, 422))
async def list_deliveries(uow: UoW, webhook_id: uuid.UUID, caller: Reader,
                          status: DeliveryStatus | None = None, cursor: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> DeliveryPage:
    """The delivery log, newest first: each delivery with its attempts (status code, error,
    duration)."""
    return await service.list_deliveries(uow, webhook_id, status=status, cursor=cursor,
                                         limit=limit)


@router.post("/webhooks/{webhook_id}/replay", operation_id="webhooks:replay",
             response_model=ReplayResult, status_code=202,
             responses=problem_responses(401, 403, 404, 422))
async def replay(rt: RuntimeDep, uow: UoW, webhook_id: uuid.UUID, body: Replay,
                 caller: Writer) -> ReplayResult:
    """Send one delivery again, or every matching event since a time (up to 10,000)."""
    return await service.replay(rt, uow, caller, webhook_id, body)
