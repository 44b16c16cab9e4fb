"""NDJSON streams, parsed as the bytes arrive: one record per line, blank lines ignored, never
the whole body in memory. Lines are canonical events, or a connector's records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from services.ingest.connectors.parsing import Outcome, Parsed, RecordError
from services.ingest.events.schemas import ActivityEvent
from services.kit.ndjson import MAX_LINE_BYTES, NdjsonLines


def NdjsonStream(parse_line: Callable[[int, bytes], Outcome]) -> NdjsonLines[Outcome]:
    """Calls `parse_line(index, line)` for every non-blank line; over-long lines are errors."""
    return NdjsonLines(parse_line, lambda index: RecordError(
        index, "(line)", f"longer than {MAX_LINE_BYTES} bytes"))


def parse_event(index: int, line: bytes) -> Outcome:
    try:
        return Parsed(index, ActivityEvent.model_validate_json(line))
    except ValidationError as exc:
        return validation_error(index, exc)


def event_stream() -> NdjsonStream:
    return NdjsonStream(parse_event)


def loads(data: bytes | str, *, allow_inf_nan: bool = False) -> Any:
    """Strict JSON, parsed by pydantic-core: NaN and Infinity refused (unless asked for, by
    callers that validate each record and report it with its index), lone surrogates refused
    (PostgreSQL cannot store them), nesting limited; every problem a ValueError."""
    return from_json(data, allow_inf_nan=allow_inf_nan)


def record_parser(mapper: Callable[[int, Any], Outcome]) -> Callable[[int, bytes], Outcome]:
    """A line parser for a connector: JSON-decode the line, then map the record."""

    def parse(index: int, line: bytes) -> Outcome:
        try:
            record = loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            return RecordError(index, "(record)", f"not valid JSON: {exc}")
        return mapper(index, record)

    return parse


def validation_error(index: int, exc: ValidationError, prefix: str = "") -> RecordError:
    """The first problem of a record, with its field as a dotted path."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    if first["type"] in ("json_invalid", "json_type") or not loc:
        loc = "(record)"
    return RecordError(index, prefix + loc, str(first["msg"]).removeprefix("Value error, "))
