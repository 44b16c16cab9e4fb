"""Connector runs of the ingest service: each upload of Microsoft 365 audit records, an HR CSV
file or physical-badging records, with its progress and outcome (Admins).

An HR file can be uploaded from a console (`uploadHrFile`, a GraphQL multipart request, streamed
on to ingest). The Microsoft 365 and badging uploads stay REST-only (`POST
/connectors/m365/records`, `/connectors/badging` on ingest): machine feeds of any size, sent by
an integrator's job rather than a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.errors import bad_input
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    build_connection,
    decode_id,
    keyset_cursor,
    node_resolver,
    operation,
    page_size,
    parse_datetime,
    parse_optional_datetime,
)
from gateway.schema.payloads import Payload, attempt

MAX_PAGE = 200
UPLOAD_CHUNK = 64 * 1024


@strawberry.enum(description="A connector: where the records of a run came from.")
class ConnectorKind(Enum):
    M365 = strawberry.enum_value("m365", description="Microsoft 365 unified audit log "
                                                     "records.")
    HR_CSV = strawberry.enum_value("hr_csv", description="An HR connector CSV file "
                                                         "(resignations, job changes, "
                                                         "performance reviews…).")
    BADGING = strawberry.enum_value("badging", description="Physical badging records.")


@strawberry.enum(description="Where a connector run stands.")
class ConnectorRunStatus(Enum):
    RUNNING = strawberry.enum_value("running", description="The upload is streaming in.")
    SUCCEEDED = strawberry.enum_value(
        "succeeded", description="Committed; rejected records (with skip_invalid) counted.")
    REJECTED = strawberry.enum_value(
        "rejected", description="Bad records refused the whole upload; nothing was stored.")
    FAILED = strawberry.enum_value("failed", description="An unexpected error; see "
                                                         "`rejectedRecords`.")
    INTERRUPTED = strawberry.enum_value(
        "interrupted", description="No progress for two minutes (its process died); nothing "
                                   "of it was stored.")


@strawberry.type(description="A record a run refused.")
class ConnectorRecordProblem:
    index: int = strawberry.field(description="0-based position of the record in the upload.")
    field: str = strawberry.field(description="The offending field or column.")
    reason: str = strawberry.field(description="Why it was refused.")


@strawberry.type(description="How many records of one unmapped Microsoft 365 operation a run "
                             "saw.")
class UnmappedOperation:
    operation: str = strawberry.field(description="The record's Operation.")
    count: int = strawberry.field(description="How many records had it.")


@strawberry.type(description="One upload through a connector: who sent what, when, and how "
                             "far it got.")
class ConnectorRun(Node):
    connector: ConnectorKind = strawberry.field(description="Which connector.")
    principal: str = strawberry.field(description="Who uploaded it, e.g. client:<id>.")
    status: ConnectorRunStatus = strawberry.field(description="Where it stands.")
    options: JSON = strawberry.field(description="The upload's options as the connector "
                                                 "recorded them (e.g. an HR file's scenario "
                                                 "and column mapping).")
    started_at: datetime = strawberry.field(description="When the upload began.")
    updated_at: datetime = strawberry.field(description="When it last reported progress.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    bytes_total: int | None = strawberry.field(
        description="The upload's size, when the sender gave it.")
    bytes_received: int = strawberry.field(description="Bytes received so far.")
    progress: float | None = strawberry.field(
        description="Share of the upload received, 0 to 1 (when its size is known).")
    records: int = strawberry.field(description="Records read so far.")
    accepted: int = strawberry.field(description="Records stored as events.")
    duplicates: int = strawberry.field(description="Records already stored (ignored).")
    rejected: int = strawberry.field(description="Records refused.")
    unmapped: int = strawberry.field(
        description="Well-formed records of operations OpenIRM does not map (Microsoft 365).")
    unmapped_operations: list[UnmappedOperation] = strawberry.field(
        description="The unmapped records by operation, most frequent first.")
    rejected_records: list[ConnectorRecordProblem] = strawberry.field(
        description="The first refused records (at most 100), or why the run failed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ConnectorRun:
        unmapped = sorted((data.get("unmapped_operations") or {}).items(),
                          key=lambda kv: (-int(kv[1]), kv[0]))
        progress = data.get("progress")
        return cls(
            key=str(data["id"]), connector=ConnectorKind(data["connector"]),
            principal=data["principal"], status=ConnectorRunStatus(data["status"]),
            options=data.get("options") or {}, started_at=parse_datetime(data["started_at"]),
            updated_at=parse_datetime(data["updated_at"]),
            finished_at=parse_optional_datetime(data.get("finished_at")),
            bytes_total=data.get("bytes_total"), bytes_received=int(data["bytes_received"]),
            progress=float(progress) if progress is not None else None,
            records=int(data["records"]), accepted=int(data["accepted"]),
            duplicates=int(data["duplicates"]), rejected=int(data["rejected"]),
            unmapped=int(data["unmapped"]),
            unmapped_operations=[UnmappedOperation(operation=k, count=int(v))
                                 for k, v in unmapped],
            rejected_records=[ConnectorRecordProblem(index=int(e["index"]),
                                                     field=str(e["field"]),
                                                     reason=str(e["reason"]))
                              for e in data.get("errors") or []])


async def _run(info: Info, key: str) -> ConnectorRun:
    seg = uuid_segment(key, "id")
    return ConnectorRun.from_service(
        await info.context.services.call("ingest", "GET", f"/connectors/runs/{seg}"))


@node_resolver("ConnectorRun")
async def connector_run_node(info: Info, key: str) -> ConnectorRun:
    return await _run(info, key)


@strawberry.type
class ConnectorQuery:
    @strawberry.field(description="Connector runs, newest first (Admins).",
                      metadata=operation("connectors:runs"))
    async def connector_runs(
        self, info: Info,
        connector: Annotated[ConnectorKind | None, strawberry.argument(
            description="Only runs of this connector.")] = None,
        status: Annotated[ConnectorRunStatus | None, strawberry.argument(
            description="Only runs in this state.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[ConnectorRun]:
        page = await info.context.services.call("ingest", "GET", "/connectors/runs", params={
            "connector": connector.value if connector else None,
            "status": status.value if status else None, "cursor": after,
            "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                ConnectorRun.from_service,
                                lambda r: keyset_cursor(r["started_at"], r["id"]), after=after)

    @strawberry.field(description="A connector run, with its progress while it is running "
                                  "(Admins).",
                      metadata=operation("connectors:run"))
    async def connector_run(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The run's id.")],
    ) -> ConnectorRun:
        return await _run(info, decode_id(id, "ConnectorRun", "id"))


@strawberry.enum(description="Which HR scenario a file holds (the reference product's HR "
                             "connector shapes).")
class HrScenario(Enum):
    RESIGNATION = strawberry.enum_value("resignation", description="Resignations.")
    TERMINATION = strawberry.enum_value("termination", description="Terminations.")
    JOB_LEVEL_CHANGE = strawberry.enum_value("job_level_change",
                                             description="Job level changes.")
    PERFORMANCE_REVIEW = strawberry.enum_value("performance_review",
                                               description="Performance reviews.")
    PERFORMANCE_IMPROVEMENT_PLAN = strawberry.enum_value(
        "performance_improvement_plan", description="Performance improvement plans.")
    MIXED = strawberry.enum_value("mixed", description="Several, named per row in an "
                                                       "HRScenario column.")


@strawberry.enum(description="What one bad record does to an upload.")
class UploadErrorMode(Enum):
    REJECT_ALL = strawberry.enum_value(
        "reject_all", description="Store nothing; a ValidationError names every bad record.")
    SKIP_INVALID = strawberry.enum_value(
        "skip_invalid", description="Store the good records; the run lists the bad ones.")


@strawberry.input(description="One column of the file under another name.")
class ColumnMappingInput:
    ours: str = strawberry.field(description="OpenIRM's (the reference product's) column, "
                                             "e.g. EmailAddress.")
    theirs: str = strawberry.field(description="The file's header for it, e.g. work_email.")


@strawberry.input(description="An HR connector CSV file, sent as a GraphQL multipart request "
                              "(operations, map, the file part).")
class UploadHrFileInput:
    file: Upload = strawberry.field(description="The CSV file (a header row, ISO 8601 dates).")
    scenario: HrScenario | None = strawberry.field(
        default=None, description="What the file holds; detected from its header when "
                                  "omitted.")
    columns: list[ColumnMappingInput] | None = strawberry.field(
        default=None, description="Columns under other names than the reference product's.")
    on_error: UploadErrorMode = strawberry.field(
        default=UploadErrorMode.REJECT_ALL, description="What a bad record does.")


@strawberry.type(description="The HR file just uploaded.")
class UploadHrFilePayload(Payload):
    run: ConnectorRun | None = strawberry.field(
        default=None, description="The connector run it made: counts, refused records.")


@strawberry.type
class ConnectorMutation:
    @strawberry.mutation(description="Upload an HR connector file (Admins and integrators): "
                                     "resignations, terminations, job level changes and "
                                     "performance events become activity events.",
                         metadata=operation("connectors:hr"))
    async def upload_hr_file(
        self, info: Info, input: Annotated[UploadHrFileInput, INPUT],
    ) -> UploadHrFilePayload:
        async def upload() -> UploadHrFilePayload:
            file = input.file
            if not callable(getattr(file, "read", None)):  # e.g. a string literal
                raise bad_input("file must be a file part of a GraphQL multipart request",
                                "file")

            async def chunks() -> AsyncIterator[bytes]:
                while chunk := await file.read(UPLOAD_CHUNK):
                    yield chunk

            data = await info.context.services.call(
                "ingest", "POST", "/connectors/hr/csv", content=chunks(),
                content_type="text/csv", params={
                    "scenario": input.scenario.value if input.scenario else None,
                    "column": [f"{c.ours}={c.theirs}" for c in input.columns or []] or None,
                    "on_error": input.on_error.value})
            return UploadHrFilePayload(run=ConnectorRun.from_service(data))

        return await attempt(UploadHrFilePayload, upload)
