"""The ingest runtime as a typed dependency (the kit's RuntimeDep is the generic Runtime)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.ingest.runtime import IngestRuntime
from services.kit.deps import get_runtime

IngestRuntimeDep = Annotated[IngestRuntime, Depends(get_runtime)]
