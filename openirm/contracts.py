"""Generate what integrators build against: each service's OpenAPI, the GraphQL SDL, the
canonical event schema, the live notices and the job payload schemas. `check()` reports drift."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"


def _json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def render() -> dict[str, str]:
    from gateway.schema import sdl
    from services.cases.webhooks.schemas import WebhookEventRead
    from services.ingest.events.schemas import ActivityEvent, EventBatch
    from services.kit.jobs import JOBS
    from services.kit.live import EVENTS, redis_channel

    files: dict[str, str] = {}
    for name in ("identity", "ingest", "scoring", "cases"):
        module = __import__(f"services.{name}.app", fromlist=["create"])
        files[f"openapi/{name}.json"] = _json(module.create().openapi())
    files["schema.graphql"] = sdl().rstrip() + "\n"
    files["events/activity-event.v1.schema.json"] = _json(ActivityEvent.model_json_schema())
    files["events/event-batch.v1.schema.json"] = _json(EventBatch.model_json_schema())
    files["events/webhook-event.v1.schema.json"] = _json(WebhookEventRead.model_json_schema())
    for live in EVENTS:  # Redis pub/sub notices behind the gateway's subscriptions
        schema = live.model_json_schema()
        schema["x-channel"] = live.channel
        schema["x-redis-channel"] = redis_channel(live.channel)
        files[f"events/live/{live.channel}.v1.schema.json"] = _json(schema)
    for job, (queue, model) in sorted(JOBS.items()):
        schema = model.model_json_schema()
        schema["x-queue"] = queue
        files[f"jobs/{job}.schema.json"] = _json(schema)
    return files


@dataclass(frozen=True)
class SchemaChange:
    """One difference between two GraphQL schemas, as graphql-core classifies it."""

    breaking: bool
    kind: str
    description: str

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'dangerous'} {self.kind}: {self.description}"


def graphql_changes(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """What a client built against `old_sdl` may trip over in `new_sdl`: breaking changes
    (a field or type removed, an argument made required, a type changed…) and dangerous ones
    (an enum value or a union member added, a default changed…). Additions are neither."""
    from graphql import GraphQLError, build_schema, find_breaking_changes, find_dangerous_changes

    try:
        old = build_schema(old_sdl)
    except GraphQLError as exc:
        return [SchemaChange(True, "UNREADABLE_BASELINE",
                             f"the committed SDL is not valid GraphQL ({exc.message}); "
                             f"compare by hand")]
    new = build_schema(new_sdl)
    changes = [SchemaChange(True, c.type.name, c.description)
               for c in find_breaking_changes(old, new)]
    changes += [SchemaChange(False, c.type.name, c.description)
                for c in find_dangerous_changes(old, new)]
    return changes


def committed_graphql_changes(target: Path = CONTRACTS) -> list[SchemaChange]:
    """The GraphQL changes of the code against the committed SDL (none when there is none)."""
    path = target / "schema.graphql"
    if not path.exists():
        return []
    from gateway.schema import sdl

    return graphql_changes(path.read_text(), sdl())


def export(target: Path = CONTRACTS) -> list[str]:
    written = []
    for rel, content in render().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            written.append(rel)
    return written


def check(target: Path = CONTRACTS) -> list[str]:
    """Files whose committed content differs from what the code generates (or is missing)."""
    drift = []
    rendered = render()
    for rel, content in rendered.items():
        path = target / rel
        if not path.exists() or path.read_text() != content:
            drift.append(rel)
    for path in target.rglob("*"):
        if path.is_file() and str(path.relative_to(target)) not in rendered:
            drift.append(f"{path.relative_to(target)} (no longer generated)")
    return sorted(drift)
