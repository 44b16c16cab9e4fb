"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from services.kit.errors import InvalidInput


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except Exception as exc:
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput("cursor is not valid", code="invalid_cursor")
    return values


def encode_keyset(created_at: datetime, id_: uuid.UUID) -> str:
    """Cursor for lists ordered newest first by (created_at, id)."""
    return encode_cursor([created_at.isoformat(), str(id_)])


def decode_keyset(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    decoded = decode_cursor(cursor, 2)
    if decoded is None:
        return None
    try:
        return datetime.fromisoformat(decoded[0]), uuid.UUID(decoded[1])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None
