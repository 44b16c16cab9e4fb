"""Reading upload bodies: the media type decides how; JSON bodies are validated in one pass
(the fast path) and only a failing batch is taken apart record by record, so that every bad
record is reported; streamed bodies are parsed chunk by chunk as they arrive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import Request
from pydantic import BaseModel, ValidationError

from services.ingest.connectors.parsing import Outcome, Parsed
from services.ingest.events.ndjson import event_stream, loads, validation_error
from services.kit.errors import InvalidInput, InvalidParam

NDJSON = frozenset({"application/x-ndjson", "application/jsonl", "application/ndjson"})


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class StreamParser(Protocol):
    def feed(self, chunk: bytes) -> list[Outcome]: ...
    def close(self) -> list[Outcome]: ...


class Sink(Protocol):
    async def add_all(self, outcomes: list[Outcome]) -> None: ...


async def stream_into(request: Request, sink: Sink, parser: StreamParser | None = None,
                      on_chunk: Callable[[int], Awaitable[None]] | None = None) -> None:
    """Parse the body as it arrives and feed the sink (the caller finishes it);
    `on_chunk(bytes_so_far)` may report progress."""
    parser = parser or event_stream()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        await sink.add_all(parser.feed(chunk))
        if on_chunk is not None:
            await on_chunk(received)
    await sink.add_all(parser.close())


def invalid_body(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", extra={"invalid_params": [
        InvalidParam(field=field, reason=reason)]})


async def read_json(request: Request, *, strict: bool = True) -> Any:
    """The body as JSON; `strict=False` lets NaN and Infinity through, for callers that
    validate every record themselves and report them with their index."""
    try:
        return loads(await request.body(), allow_inf_nan=not strict)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_body("(body)", f"not valid JSON: {exc}") from None


async def body_outcomes(request: Request, batch_model: type[BaseModel], list_field: str,
                        item_model: type[BaseModel]) -> list[Outcome]:
    """The records of a `{list_field: [...]}` JSON batch as outcomes, one per record."""
    body = await request.body()
    try:
        batch = batch_model.model_validate_json(body)
        return [Parsed(i, e) for i, e in enumerate(getattr(batch, list_field))]
    except ValidationError:
        pass
    data = await read_json(request, strict=False)
    if not isinstance(data, dict):
        raise invalid_body("(body)", f"must be a JSON object with a list '{list_field}'")
    extra = sorted(set(data) - {list_field})
    if extra:
        raise invalid_body(extra[0], "unknown field")
    items = data.get(list_field)
    field_info = batch_model.model_fields[list_field]
    limits = {type(m).__name__: m for m in field_info.metadata}
    max_length = getattr(limits.get("MaxLen"), "max_length", None)
    if not isinstance(items, list) or not items:
        raise invalid_body(list_field, "must be a non-empty list")
    if max_length is not None and len(items) > max_length:
        raise invalid_body(list_field, f"at most {max_length} records per batch; send more "
                           "batches or an NDJSON stream")
    outcomes: list[Outcome] = []
    for index, item in enumerate(items):
        try:
            outcomes.append(Parsed(index, item_model.model_validate(item)))  # type: ignore[arg-type]
        except ValidationError as exc:
            outcomes.append(validation_error(index, exc, prefix=f"{list_field}."))
    return outcomes
