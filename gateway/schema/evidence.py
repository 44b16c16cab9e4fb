"""Evidence: files attached to a case (Analysts and Investigators; never a case viewer).
Uploaded through GraphQL multipart requests and passed on to the cases service as it takes
them; downloaded from the cases service's REST API (`downloadUrl`), not through GraphQL."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from gateway.clients import uuid_segment
from gateway.context import Info, forget
from gateway.errors import bad_input
from gateway.schema.case_items import CaseItem, decode_item_id, item_key, split_item_key
from gateway.schema.common import INPUT, decode_id, node_resolver, operation, parse_datetime
from gateway.schema.payloads import Payload, attempt


@strawberry.type(description="A file attached to a case as evidence, with its SHA-256. "
                             "Immutable once added.")
class Evidence(CaseItem):
    filename: str = strawberry.field(description="The file's name as uploaded (cleaned).")
    content_type: str = strawberry.field(
        description="MIME type, checked against the content's own signature.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(
        description="Hex SHA-256 of the content (also the download's ETag).")
    description: str = strawberry.field(description="What the file is, as given on upload.")
    added_by: str = strawberry.field(description="Who attached it (account subject).")
    created_at: datetime = strawberry.field(description="When it was attached.")
    base_url: strawberry.Private[str]

    @classmethod
    def from_service(cls, data: dict[str, Any], base_url: str) -> Evidence:
        return cls(key=item_key(data["case_id"], data["id"]), filename=data["filename"],
                   content_type=data["content_type"], size=int(data["size"]),
                   sha256=data["sha256"], description=data["description"],
                   added_by=data["added_by"], created_at=parse_datetime(data["created_at"]),
                   base_url=base_url)

    @strawberry.field(description="Where the console downloads the file: the cases service's "
                                  "REST endpoint (GET, with the same bearer token as this "
                                  "API; `If-None-Match` with the SHA-256 gives 304). Every "
                                  "download is audited.")
    def download_url(self) -> str:
        return f"{self.base_url}/cases/{self.case_key}/evidence/{self.item_id}/content"


def evidence_of(info: Info, data: dict[str, Any]) -> Evidence:
    return Evidence.from_service(data, info.context.services.urls["cases"])


@node_resolver("Evidence")
async def evidence_node(info: Info, key: str) -> Evidence:
    case_id, evidence_id = split_item_key(key, "id")
    return evidence_of(info, await info.context.services.call(
        "cases", "GET", f"/cases/{case_id}/evidence/{evidence_id}"))


@strawberry.input(description="Attach a file to an active case. Send the request as a GraphQL "
                              "multipart request (operations, map, the file part).")
class AddEvidenceInput:
    case_id: strawberry.ID = strawberry.field(description="The active case.")
    file: Upload = strawberry.field(
        description="The file: PDF, PNG, JPEG, GIF, plain text, CSV, e-mail (.eml), ZIP, DOCX "
                    "or XLSX, at most the configured size (10 MiB by default); its part's "
                    "Content-Type and file name must agree with its content.")
    description: str = strawberry.field(description="What it is (1 to 2000 characters).")


@strawberry.type(description="The evidence just attached.")
class AddEvidencePayload(Payload):
    evidence: Evidence | None = strawberry.field(
        default=None, description="The new evidence, with the SHA-256 the service computed.")


@strawberry.type
class EvidenceQuery:
    @strawberry.field(description="One piece of evidence by its global id (Analysts and "
                                  "Investigators).", metadata=operation("evidence:get"))
    async def evidence(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The evidence's global id (`Evidence.id`).")],
    ) -> Evidence:
        case_id, evidence_id = decode_item_id(id, "Evidence", "id")
        return await evidence_node(info, item_key(case_id, evidence_id))


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(description="Attach a file to an active case as evidence; its type is "
                                     "checked by content and its SHA-256 recorded. Audited.",
                         metadata=operation("evidence:add"))
    async def add_evidence(
        self, info: Info, input: Annotated[AddEvidenceInput, INPUT],
    ) -> AddEvidencePayload:
        async def add() -> AddEvidencePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            upload = input.file
            if not callable(getattr(upload, "seek", None)):  # e.g. a string literal
                raise bad_input("file must be a file part of a GraphQL multipart request",
                                "file")
            await upload.seek(0)
            data = await info.context.services.call(
                "cases", "POST", f"/cases/{seg}/evidence",
                files={"file": (upload.filename or "", upload.file,
                                upload.content_type or "application/octet-stream")},
                data={"description": input.description})
            forget(info.context.loaders.case, seg)  # its updatedAt moved
            return AddEvidencePayload(evidence=evidence_of(info, data))

        return await attempt(AddEvidencePayload, add)
