"""Escalation exports: a signed ZIP of a case (the eDiscovery hand-off), built in the
background; follow its state and progress, then download the bundle from the cases service's
REST API (`bundleUrl`)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.case_items import CaseItem, decode_item_id, item_key, split_item_key
from gateway.schema.common import (
    INPUT,
    decode_id,
    node_resolver,
    operation,
    parse_datetime,
    parse_optional_datetime,
)
from gateway.schema.payloads import Payload, attempt


@strawberry.enum(description="Where an escalation export is.")
class ExportState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value("running", description="Sections being built (see "
                                                           "`progress`).")
    READY = strawberry.enum_value("ready", description="The bundle can be downloaded.")
    FAILED = strawberry.enum_value("failed", description="Stopped by an error (see `error`).")


@strawberry.type(description="An escalation export of a case: a signed ZIP (case, alerts "
                             "with explanations, notes, notices, evidence, activities, audit "
                             "rows, manifest and its Ed25519 signature), pseudonymous as "
                             "stored.")
class Export(CaseItem):
    created_by: str = strawberry.field(description="Who started it.")
    content_included: bool = strawberry.field(
        description="Whether content.json (file names, URLs, labels) is in the bundle: only "
                    "when its creator may see content (Investigators).")
    state: ExportState = strawberry.field(description="Where it is.")
    progress: int = strawberry.field(description="Percent of the sections built, 0 to 100.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    size_bytes: int | None = strawberry.field(description="Size of the stored bundle when "
                                                          "ready.")
    sha256: str | None = strawberry.field(
        description="SHA-256 of the stored (pseudonymous) bundle when ready.")
    created_at: datetime = strawberry.field(description="When it was started.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    finished_at: datetime | None = strawberry.field(description="When it became ready or "
                                                                "failed.")
    base_url: strawberry.Private[str]

    @classmethod
    def from_service(cls, data: dict[str, Any], base_url: str) -> Export:
        return cls(key=item_key(data["case_id"], data["id"]), created_by=data["created_by"],
                   content_included=bool(data["content_included"]),
                   state=ExportState(data["state"]), progress=int(data["progress"]),
                   error=data.get("error"), size_bytes=data.get("size_bytes"),
                   sha256=data.get("sha256"), created_at=parse_datetime(data["created_at"]),
                   updated_at=parse_datetime(data["updated_at"]),
                   finished_at=parse_optional_datetime(data.get("finished_at")),
                   base_url=base_url)

    @strawberry.field(description="Where the console downloads the bundle once READY (null "
                                  "before): the cases service's REST endpoint (GET, with the "
                                  "same bearer token as this API). The download is audited; "
                                  "it adds identity.json only for a caller holding a reveal "
                                  "grant for the case, and drops content.json for one who may "
                                  "not see content (the manifest is signed again).")
    def bundle_url(self) -> str | None:
        if self.state is not ExportState.READY:
            return None
        return f"{self.base_url}/cases/{self.case_key}/exports/{self.item_id}/bundle"


def export_of(info: Info, data: dict[str, Any]) -> Export:
    return Export.from_service(data, info.context.services.urls["cases"])


@node_resolver("Export")
async def export_node(info: Info, key: str) -> Export:
    case_id, export_id = split_item_key(key, "id")
    return export_of(info, await info.context.services.call(
        "cases", "GET", f"/cases/{case_id}/exports/{export_id}"))


@strawberry.type(description="The public key that verifies export manifests "
                             "(`openirm verify-export --public-key`).")
class ExportSigningKey:
    algorithm: str = strawberry.field(description="Signature algorithm (Ed25519).")
    key_id: str = strawberry.field(description="Key id, as `signing_key_id` in manifests.")
    public_key_pem: str = strawberry.field(description="The public key, PEM.")


@strawberry.input(description="Start an escalation export of a case.")
class StartCaseExportInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")


@strawberry.type(description="The export just started.")
class StartCaseExportPayload(Payload):
    export: Export | None = strawberry.field(
        default=None, description="The export, QUEUED; follow `state` and `progress` with "
                                  "`export(id:)`.")


@strawberry.type
class ExportQuery:
    @strawberry.field(description="An escalation export by its global id, with its state and "
                                  "progress (Analysts and Investigators).",
                      metadata=operation("exports:get"))
    async def export(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The export's global id (`Export.id`).")],
    ) -> Export:
        case_id, export_id = decode_item_id(id, "Export", "id")
        return await export_node(info, item_key(case_id, export_id))

    @strawberry.field(description="The public key that verifies export manifests (public: "
                                  "no token needed; REST exports:signing_key).",
                      metadata=operation(None))
    async def export_signing_key(self, info: Info) -> ExportSigningKey:
        data = await info.context.services.call("cases", "GET", "/exports/signing-key",
                                                forward_auth=False)
        return ExportSigningKey(algorithm=data["algorithm"], key_id=data["key_id"],
                                public_key_pem=data["public_key_pem"])


@strawberry.type
class ExportMutation:
    @strawberry.mutation(description="Start an escalation export of the case, built in the "
                                     "background; content.json only when the caller may see "
                                     "content (Investigators). Audited.",
                         metadata=operation("exports:create"))
    async def start_case_export(
        self, info: Info, input: Annotated[StartCaseExportInput, INPUT],
    ) -> StartCaseExportPayload:
        async def start() -> StartCaseExportPayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            data = await info.context.services.call("cases", "POST", f"/cases/{seg}/exports")
            return StartCaseExportPayload(export=export_of(info, data))

        return await attempt(StartCaseExportPayload, start)
