"""What the domain modules share: Relay-style connections over the services' keyset pages,
and conversions from the services' JSON."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import strawberry

from gateway.errors import bad_input
from services.kit.pagination import encode_cursor, encode_keyset

T = TypeVar("T")

INPUT = strawberry.argument(description="What the mutation is to do.")
"""The description every mutation's `input` argument carries."""


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more items follow; fetch them with `after: endCursor`.")
    end_cursor: str | None = strawberry.field(
        description="Opaque cursor to pass as `after` for the next page; null when the page "
                    "is empty.")


@strawberry.type(description="One item of a connection and the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque cursor; `after: cursor` continues with the item after this one.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items, newest first, in the Relay connection shape.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Whether and how to fetch more.")


def page_size(first: int, maximum: int) -> int:
    """`first` as the service's `limit`, refused early when out of range."""
    if not 1 <= first <= maximum:
        raise bad_input(f"first must be between 1 and {maximum}", "first")
    return first


def keyset_cursor(created_at: str, item_id: str) -> str:
    """The cursor the cases service would hand out after this item (newest-first keyset on
    created_at and id), so a client may resume after any edge, not only the last."""
    return encode_keyset(parse_datetime(created_at), uuid.UUID(str(item_id)))


def seq_cursor(seq: int) -> str:
    """The cursor the audit API would hand out after this entry (keyset on seq)."""
    return encode_cursor([int(seq)])


def build_connection(items: Iterable[dict[str, Any]], next_cursor: str | None,
                     to_node: Callable[[dict[str, Any]], T],
                     cursor_of: Callable[[dict[str, Any]], str]) -> Connection[T]:
    """A connection from a service page; `endCursor` is the service's own `next_cursor`
    when there is a next page."""
    edges = [Edge(cursor=cursor_of(item), node=to_node(item)) for item in items]
    end = next_cursor or (edges[-1].cursor if edges else None)
    return Connection(edges=edges,
                      page_info=PageInfo(has_next_page=next_cursor is not None, end_cursor=end))


def parse_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def parse_optional_datetime(value: str | datetime | None) -> datetime | None:
    return None if value is None else parse_datetime(value)


def parse_date(value: Any) -> date | None:
    """A date from the explanation JSON; None when absent or unreadable."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
