"""What a connector's parser makes of one record: a canonical event, a clear error, or an
operation it does not map. Parsers are pure (no I/O) so they can be fuzzed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from services.ingest.events.schemas import ActivityEvent

PENDING_ID = "pending"


@dataclass(frozen=True)
class RecordError:
    """`index` is the record's 0-based position in the upload (for CSV: data rows, header
    excluded); `field` names the offending field as the source spells it."""

    index: int
    field: str
    reason: str


@dataclass(frozen=True)
class Unmapped:
    """A well-formed record of an operation OpenIRM does not score: counted, not refused."""

    index: int
    operation: str


@dataclass(frozen=True)
class Parsed:
    """A valid canonical event. When the source has no id, `natural_key` holds the record's
    identifying values (never the person's identifier): ingest derives the event id from the
    person's pseudonymous subject id and this key, and `event.id` is PENDING_ID until then."""

    index: int
    event: ActivityEvent
    original: dict[str, Any] | None = None
    natural_key: tuple[str, ...] | None = None


Outcome = Parsed | RecordError | Unmapped


def build_event(index: int, data: dict[str, Any], *, original: dict[str, Any] | None = None,
                natural_key: tuple[str, ...] | None = None,
                field_names: dict[str, str] | None = None) -> Parsed | RecordError:
    """Validate `data` as a canonical event. `field_names` translates canonical field names
    (`actor`, `occurred_at`, `attributes.x`) back to the source's names for error messages."""
    if natural_key is not None:
        data = {**data, "id": PENDING_ID}
    try:
        event = ActivityEvent.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"] if p not in ("__root__",)) or "(record)"
        names = field_names or {}
        return RecordError(index, names.get(loc, loc), _reason(first))
    return Parsed(index, event, original, natural_key)


def _reason(error: Any) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


def parse_time(raw: object) -> datetime:
    """An ISO 8601 time; a time without an offset is UTC (as Microsoft's exports write it)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must be an ISO 8601 date or time")
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
