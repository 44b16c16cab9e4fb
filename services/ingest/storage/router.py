from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.ingest.deps import IngestRuntimeDep
from services.ingest.storage.schemas import PartitionRead, RetentionResult
from services.kit.deps import require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["storage"])


@router.get("/storage/partitions", operation_id="storage:partitions",
            response_model=list[PartitionRead], responses=problem_responses(401, 403))
async def partitions(rt: IngestRuntimeDep, _: Annotated[Principal, require("storage", "read")]
                     ) -> list[PartitionRead]:
    """The event table's monthly partitions, oldest first."""
    return await rt.partitions.list()


@router.post("/storage/retention", operation_id="storage:retention",
             response_model=RetentionResult, responses=problem_responses(401, 403))
async def retention(rt: IngestRuntimeDep,
                    principal: Annotated[Principal, require("storage", "write")]
                    ) -> RetentionResult:
    """Apply the retention window now (it also runs every maintenance interval): drop the
    partitions that ended before it. Audited."""
    return await rt.partitions.apply_retention(
        rt.audit, principal.subject)
