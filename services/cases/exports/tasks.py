"""Building an escalation bundle: a list of sections, each one file, built in order with the
progress recorded after each, then the manifest and its signature. Sections are plain
functions of the build context, so a new one is one entry in SECTIONS; a section makes one
file, or several (evidence: its list plus each attached file under `evidence/`)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import delete, func, select

from services.cases.exports import bundle as fmt
from services.cases.exports import repository as repo
from services.cases.exports.service import BUILD, private_key, progressed
from services.cases.models import Case, Export, ExportBundle
from services.kit.db import PendingJob
from services.kit.jobs import CASES_QUEUE
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.cases.exports")
ACTOR = "service:cases"
ACTIVITY_LEAD = timedelta(days=30)  # the case window starts this long before its first alert
MAX_WINDOW = timedelta(days=400)  # ingest's longest activity window


def _row(obj: Any, *fields: str) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


@dataclass
class BuildContext:
    rt: Runtime
    export_id: uuid.UUID
    created_by: str
    content_included: bool
    case: dict[str, Any]
    alerts: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    since: datetime
    until: datetime
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def subject_id(self) -> str:
        return str(self.case["subject_id"])


async def _activities(ctx: BuildContext, content: str) -> list[dict[str, Any]]:
    limit = ctx.rt.settings.export_max_activities  # type: ignore[attr-defined]
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(items) < limit:
        params: dict[str, Any] = {"subject_id": ctx.subject_id, "since": ctx.since.isoformat(),
                                  "until": ctx.until.isoformat(), "limit": 500,
                                  "content": content}
        if cursor:
            params["cursor"] = cursor
        page = await ctx.rt.ingest.request("GET", "/activity", params=params)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return items[:limit]


async def case_section(ctx: BuildContext) -> bytes:
    return fmt.to_json(ctx.case)


async def alerts_section(ctx: BuildContext) -> bytes:
    return fmt.to_json(ctx.alerts)


async def notes_section(ctx: BuildContext) -> bytes:
    return fmt.to_json(ctx.notes)


async def notices_section(ctx: BuildContext) -> bytes:
    return fmt.to_json(ctx.notices)


async def activities_section(ctx: BuildContext) -> bytes:
    """Without content (file names, paths, URLs, subjects), whoever created the export."""
    items = await _activities(ctx, "none")
    return fmt.to_json({"subject_id": ctx.subject_id, "since": ctx.since, "until": ctx.until,
                        "items": items})


async def content_section(ctx: BuildContext) -> bytes | None:
    """Content metadata (names, URLs, labels; never file content), only when the export's
    creator may see content: each activity's attributes that are content, i.e. those the
    pseudonymous activities.json leaves out."""
    if not ctx.content_included:
        return None
    plain = {a["id"]: a["attributes"] for a in await _activities(ctx, "none")}
    items = []
    for act in await _activities(ctx, "export"):
        public = plain.get(act["id"], {})
        extra = {k: v for k, v in act["attributes"].items() if k not in public}
        if extra or act["attributes"].get("sensitivity_label"):
            items.append({"activity_id": act["id"], "occurred_at": act["occurred_at"],
                          "type": act["type"], "source": act["source"],
                          "sensitivity_label": act["attributes"].get("sensitivity_label"),
                          "content": extra})
    return fmt.to_json({"subject_id": ctx.subject_id, "items": items})


async def audit_section(ctx: BuildContext) -> bytes:
    """The case's audit trail: rows whose target is the case or one of its alerts."""
    rows: dict[int, dict[str, Any]] = {}
    targets = [f"case:{ctx.case['id']}", *(f"alert:{a['id']}" for a in ctx.alerts)]
    for target in targets:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"target": target, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = await ctx.rt.identity.request("GET", "/audit", params=params)
            rows.update({r["seq"]: r for r in page["items"]})
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return fmt.to_json([rows[s] for s in sorted(rows)])


async def evidence_section(ctx: BuildContext) -> dict[str, bytes]:
    """The files attached to the case, each under `evidence/<id>-<file name>` with its
    recorded SHA-256 checked again, and `evidence.json` listing them."""
    files: dict[str, bytes] = {}
    listed = []
    async with ctx.rt.db.unit_of_work() as uow:
        for item in await repo.evidence(uow.session, uuid.UUID(str(ctx.case["id"]))):
            data = await repo.evidence_content(uow.session, item.id)
            if hashlib.sha256(data).hexdigest() != item.sha256:
                raise ValueError(f"evidence {item.id} does not match its recorded SHA-256")
            path = f"evidence/{item.id}-{PurePosixPath(item.filename).name}"
            files[path] = data
            listed.append({**_row(item, "id", "filename", "content_type", "size", "sha256",
                                  "description", "added_by", "created_at"), "path": path})
    files["evidence.json"] = fmt.to_json(listed)
    return files


Section = tuple[str, Callable[[BuildContext], Awaitable[bytes | dict[str, bytes] | None]]]
SECTIONS: list[Section] = [
    ("case.json", case_section),
    ("alerts.json", alerts_section),
    ("notes.json", notes_section),
    ("notices.json", notices_section),
    ("evidence.json", evidence_section),
    ("activities.json", activities_section),
    ("content.json", content_section),
    ("audit.json", audit_section),
]


async def _progress(rt: Runtime, export_id: uuid.UUID, **values: Any) -> None:
    async with rt.db.unit_of_work() as uow:
        export = await repo.get(uow.session, export_id, for_update=True)
        assert export is not None
        for key, value in values.items():
            setattr(export, key, value)
        export.updated_at = func.now()
        progressed(uow, export)


async def build_export(rt: Runtime, export_id: str) -> str:
    eid = uuid.UUID(export_id)
    async with rt.db.unit_of_work() as uow:
        export = await repo.get(uow.session, eid, for_update=True)
        if export is None or export.state not in ("queued", "running"):
            return "nothing to do"
        export.state, export.progress, export.updated_at = "running", 1, func.now()
        progressed(uow, export)
        case = await uow.session.get(Case, export.case_id)
        assert case is not None
        alerts = await repo.alerts(uow.session, case.id)
        ctx = BuildContext(
            rt, eid, export.created_by, export.content_included,
            case=_row(case, "id", "title", "subject_id", "alias", "status", "classification",
                      "resolution", "created_by", "created_at", "updated_at", "closed_at"),
            alerts=[_row(a, "id", "policy_id", "policy_name", "subject_id", "alias", "status",
                         "severity", "score", "score_version", "explanation",
                         "dismiss_reason", "dismiss_comment", "created_at", "updated_at")
                    for a in alerts],
            notes=[_row(n, "id", "author", "body", "created_at")
                   for n in await repo.notes(uow.session, case.id)],
            notices=[_row(n, "id", "template_name", "alias", "send_from", "cc", "bcc",
                          "subject", "body_html", "message", "sender", "state", "attempts",
                          "created_at", "sent_at")
                     for n in await repo.notices(uow.session, case.id)],
            since=datetime.now(UTC), until=datetime.now(UTC))
        first = min([a.created_at for a in alerts if a.created_at] + [case.created_at])
        ctx.until = (case.closed_at or datetime.now(UTC)) + timedelta(minutes=1)
        ctx.since = max(first - ACTIVITY_LEAD, ctx.until - MAX_WINDOW)
    try:
        key = private_key(rt)
        files: dict[str, bytes] = {}
        for i, (name, build) in enumerate(SECTIONS):
            data = await build(ctx)
            if isinstance(data, dict):
                files.update(data)
            elif data is not None:
                files[name] = data
            await _progress(rt, eid, progress=min(95, int(100 * (i + 1) / (len(SECTIONS) + 1))))
        header = {"export_id": str(eid), "case_id": str(ctx.case["id"]),
                  "subject_id": ctx.subject_id, "alias": ctx.case["alias"],
                  "created_by": ctx.created_by, "created_at": datetime.now(UTC).isoformat(),
                  "pseudonymous": True, "content_included": ctx.content_included}
        data = fmt.assemble(files, header, key)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        reason = f"{type(exc).__name__}: {exc}"[:900]
        async with rt.db.unit_of_work() as uow:
            export = await repo.get(uow.session, eid, for_update=True)
            assert export is not None
            export.state, export.error = "failed", reason
            export.finished_at = export.updated_at = func.now()
            progressed(uow, export)
            await rt.audit.record(uow.session, actor=ACTOR, action="case.export.fail",
                                  target=f"case:{ctx.case['id']}", outcome="failure",
                                  detail={"export_id": export_id, "reason": reason})
        return "failed"
    async with rt.db.unit_of_work() as uow:
        export = await repo.get(uow.session, eid, for_update=True)
        assert export is not None
        await uow.session.execute(delete(ExportBundle).where(ExportBundle.export_id == eid))
        uow.session.add(ExportBundle(export_id=eid, data=data))
        export.state, export.progress, export.error = "ready", 100, None
        export.size_bytes, export.sha256 = len(data), hashlib.sha256(data).hexdigest()
        export.finished_at = export.updated_at = func.now()
        progressed(uow, export)
        await rt.audit.record(uow.session, actor=ACTOR, action="case.export.ready",
                              target=f"case:{ctx.case['id']}",
                              detail={"export_id": export_id, "sha256": export.sha256,
                                      "files": sorted(files)})
    return "ready"


async def requeue_exports(rt: Runtime) -> int:
    """Exports whose wake-up was lost with Redis (queued or running, untouched for ten
    minutes) are built again; the job id is the export's, so a running one is not doubled."""
    async with rt.db.unit_of_work() as uow:
        ids = list((await uow.session.execute(
            select(Export.id).where(Export.state.in_(("queued", "running")),
                                    Export.updated_at < datetime.now(UTC)
                                    - timedelta(minutes=10)).limit(100))).scalars())
    for export_id in ids:
        await rt.queue.enqueue(PendingJob(CASES_QUEUE, BUILD, {"export_id": str(export_id)},
                                          job_id=f"export:{export_id}"))
    return len(ids)
