"""The append-only, hash-chained audit log (Auditors)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.context import Info
from gateway.schema.common import (
    Connection,
    build_connection,
    operation,
    page_size,
    parse_datetime,
    seq_cursor,
)

MAX_PAGE = 500


@strawberry.type(description="One record of the audit log.")
class AuditEntry:
    seq: int = strawberry.field(description="Position in the log; increases with time.")
    at: datetime = strawberry.field(description="When the action happened.")
    service: str = strawberry.field(description="The service that recorded it.")
    actor: str = strawberry.field(description="Who acted, e.g. user:<id> or service:cases.")
    action: str = strawberry.field(description="What was done, e.g. alert.confirm.")
    target: str | None = strawberry.field(description="What it was done to.")
    outcome: str = strawberry.field(description=(
        "How it ended: success, denied, failure, rejected, throttled… (free text in the "
        "service, so not an enum)."))
    request_id: str | None = strawberry.field(
        description="The request id, to follow the action through every service.")
    detail: JSON = strawberry.field(description="Action details (before/after, reasons).")
    prev_hash: str | None = strawberry.field(
        description="The previous row's hash (null for the first row).")
    hash: str = strawberry.field(description="This row's link in the hash chain.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(seq=int(data["seq"]), at=parse_datetime(data["at"]), service=data["service"],
                   actor=data["actor"], action=data["action"], target=data.get("target"),
                   outcome=data["outcome"], request_id=data.get("request_id"),
                   detail=data.get("detail") or {}, prev_hash=data.get("prev_hash"),
                   hash=data.get("hash") or "")


@strawberry.type(description="The result of recomputing the audit log's hash chain.")
class AuditChainVerification:
    valid: bool = strawberry.field(description="Whether every link holds.")
    rows_checked: int = strawberry.field(description="How many rows were checked.")
    first_broken_seq: int | None = strawberry.field(
        description="The first row whose link is broken, if any.")
    reason: str | None = strawberry.field(description="Why it is broken, if it is.")
    since_seq: int | None = strawberry.field(
        description="The anchor the check started from, if one was given.")
    head_seq: int | None = strawberry.field(
        description="The newest row when the check ran. Record it with `headHash` outside "
                    "OpenIRM; a later check from it (`sinceSeq`, `expectedHash`) shows that "
                    "nothing up to it was changed or cut off.")
    head_hash: str | None = strawberry.field(description="That row's hash.")


@strawberry.type
class AuditQuery:
    @strawberry.field(description=(
        "The audit log, newest first (Auditors); filters combine. To export it as a file "
        "use REST `GET /audit/export?format=ndjson|csv` on the identity service, with the "
        "same filters: it is a stream, not a GraphQL list."),
        metadata=operation("audit:query"))
    async def audit_log(
        self, info: Info,
        actor: Annotated[str | None, strawberry.argument(
            description="Only this actor, e.g. user:<id>.")] = None,
        action: Annotated[str | None, strawberry.argument(
            description="Only actions starting with this, e.g. `alert.`.")] = None,
        target: Annotated[str | None, strawberry.argument(
            description="Only this target.")] = None,
        outcome: Annotated[str | None, strawberry.argument(
            description="Only this outcome, e.g. success or denied.")] = None,
        since: Annotated[datetime | None, strawberry.argument(
            description="Only entries at or after this time (with a time zone).")] = None,
        until: Annotated[datetime | None, strawberry.argument(
            description="Only entries before this time (with a time zone).")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[AuditEntry]:
        page = await info.context.services.call("identity", "GET", "/audit", params={
            "actor": actor, "action": action, "target": target, "outcome": outcome,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                AuditEntry.from_service, lambda e: seq_cursor(e["seq"]),
                                after=after)

    @strawberry.field(description="Recompute the hash chain and report the first broken "
                                  "link: a row missing, altered or unlinked (Auditors).",
                      metadata=operation("audit:verify"))
    async def verify_audit_chain(
        self, info: Info,
        since_seq: Annotated[int | None, strawberry.argument(
            description="Check from this row on (a `headSeq` recorded earlier); give "
                        "`expectedHash` with it.")] = None,
        expected_hash: Annotated[str | None, strawberry.argument(
            description="The hash recorded for `sinceSeq` (its `headHash`).")] = None,
    ) -> AuditChainVerification:
        data = await info.context.services.call("identity", "GET", "/audit/verify", params={
            "since_seq": since_seq, "expected_hash": expected_hash})
        return AuditChainVerification(valid=bool(data["valid"]),
                                      rows_checked=int(data["rows_checked"]),
                                      first_broken_seq=data.get("first_broken_seq"),
                                      reason=data.get("reason"),
                                      since_seq=data.get("since_seq"),
                                      head_seq=data.get("head_seq"),
                                      head_hash=data.get("head_hash"))
