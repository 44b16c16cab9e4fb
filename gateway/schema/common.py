"""What the domain modules share, the schema's conventions in one place:

- global object ids (`Node.id`, `to_global_id`, `from_global_id`) and the `node` registry;
- Relay connections over the services' keyset pages (`build_connection`) and over whole
  lists (`list_connection`);
- `operation(...)`: the REST operation whose permission decides a field, recorded in the
  field's metadata (the permission-matrix test walks it);
- conversions from the services' JSON."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, Generic, TypeVar

import strawberry

from gateway.clients import uuid_segment
from gateway.errors import bad_input
from services.kit.pagination import encode_cursor, encode_keyset

T = TypeVar("T")

INPUT = strawberry.argument(description="What the mutation is to do.")
"""The description every mutation's `input` argument carries."""

MAX_PAGE = 200
"""The largest page most lists take (the services' own largest)."""
FIRST = strawberry.argument(description=f"Page size, 1 to {MAX_PAGE}.")
AFTER = strawberry.argument(description="Cursor from a previous page (`endCursor` or an "
                                        "edge's cursor).")
"""The `first` / `after` arguments of a connection of at most `MAX_PAGE` items."""


def operation(name: str | None, *also: str) -> dict[str, Any]:
    """Field metadata naming the REST operation(s) (`service:operation_id` as in
    contracts/openapi) whose permission decides the field. None: no token needed."""
    return {"operations": tuple(o for o in (name, *also) if o)}


# Global object ids ---------------------------------------------------------------------

def to_global_id(type_name: str, key: str) -> strawberry.ID:
    """`base64url("Type:key")`, unpadded: opaque, unique across the whole schema."""
    raw = f"{type_name}:{key}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def from_global_id(value: str) -> tuple[str, str] | None:
    """(type name, key) of a global id; None when the value is not one."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, key = raw.partition(":")
    if not sep or not type_name.isidentifier() or not key:
        return None
    return type_name, key


def decode_id(value: str, type_name: str | Sequence[str], field: str) -> str:
    """The service's key behind an id argument. A global id of the expected type is the
    norm; the bare UUID the REST APIs use is accepted too. Anything else, or a global id of
    another type, is BAD_USER_INPUT naming the argument."""
    expected = (type_name,) if isinstance(type_name, str) else tuple(type_name)
    decoded = from_global_id(str(value))
    if decoded is not None:
        kind, key = decoded
        if kind not in expected:
            raise bad_input(f"{field} is the id of a {kind}, not of a {' or '.join(expected)}",
                            field)
        return key
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise bad_input(f"{field} is not a valid id", field) from None


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    key: strawberry.Private[str]

    @strawberry.field(description="Global id: opaque, unique across all types; pass it to "
                                  "`node(id:)` or to any argument that takes this object's "
                                  "id.")
    def id(self) -> strawberry.ID:
        return to_global_id(type(self).__strawberry_definition__.name,  # type: ignore
                            self.key)

    @strawberry.field(description="The id the REST APIs and exports use for this object "
                                  "(a UUID, or the key it is known by).")
    def raw_id(self) -> str:
        return self.key


NodeResolver = Callable[[Any, str], Awaitable[Any]]
NODE_RESOLVERS: dict[str, NodeResolver] = {}
"""Type name -> how `node(id:)` fetches one (info, key); filled by each domain module."""


def node_resolver(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    """Register how `node(id:)` fetches objects of `type_name`."""

    def register(fn: NodeResolver) -> NodeResolver:
        if type_name in NODE_RESOLVERS:
            raise RuntimeError(f"two node resolvers for {type_name}")
        NODE_RESOLVERS[type_name] = fn
        return fn

    return register


async def resolve_node(info: Any, value: str) -> Any:
    decoded = from_global_id(str(value))
    if decoded is None or decoded[0] not in NODE_RESOLVERS:
        raise bad_input("id is not a global id of this schema", "id")
    kind, key = decoded
    return await NODE_RESOLVERS[kind](info, key)


# Connections ---------------------------------------------------------------------------

@strawberry.type(description="Where a page of a connection starts and ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more items follow; fetch them with `after: endCursor`.")
    end_cursor: str | None = strawberry.field(
        description="Opaque cursor to pass as `after` for the next page; null when the page "
                    "is empty.")
    has_previous_page: bool = strawberry.field(
        default=False, description="Whether items come before this page (true when the page "
                                   "was asked for with `after`).")
    start_cursor: str | None = strawberry.field(
        default=None, description="Cursor of the first item of the page; null when empty.")


@strawberry.type(description="One item of a connection and the cursor that points at it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor_source: strawberry.Private[str | Callable[[], str]]
    """The cursor, or how to make it: most pages are read without their edges' cursors."""

    @strawberry.field(description="Opaque cursor; `after: cursor` continues with the item "
                                  "after this one.")
    def cursor(self) -> str:
        return self.cursor_text()

    def cursor_text(self) -> str:
        if callable(self.cursor_source):
            self.cursor_source = self.cursor_source()
        return self.cursor_source


@strawberry.type(description="A page of items in the Relay connection shape, in the order "
                             "the field documents.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Whether and how to fetch more.")

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


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
                     cursor_of: Callable[[dict[str, Any]], str] | None = None, *,
                     after: str | None = None) -> Connection[T]:
    """A connection from a service's keyset page; `endCursor` is the service's own
    `next_cursor` when there is a next page. `cursor_of` gives each edge the cursor that
    resumes after it; without one (services whose cursors are not rebuildable) the edges
    carry the page's next cursor, which is right for the last edge."""
    items = list(items)
    edges = [Edge(cursor_source=partial(cursor_of, item) if cursor_of else (next_cursor or ""),
                  node=to_node(item)) for item in items]
    end = next_cursor or (edges[-1].cursor_text() if edges else None)
    return Connection(edges=edges, page_info=PageInfo(
        has_next_page=next_cursor is not None, end_cursor=end or None,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor_text() if edges else None))


def offset_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def parse_offset_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition(":")
        offset = int(number)
        if kind != "offset" or offset < 0:
            raise ValueError
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_input("after is not a cursor of this list", "after") from None
    return offset


def list_connection(items: Sequence[Any], to_node: Callable[[Any], T], *, first: int,
                    after: str | None, maximum: int) -> Connection[T]:
    """A connection over a whole list a service returns at once (policies, templates,
    accounts…): the same shape and cursors as the keyset ones, paged here."""
    size = page_size(first, maximum)
    start = parse_offset_cursor(after)
    window = list(items)[start:start + size]
    edges = [Edge(cursor_source=offset_cursor(start + i + 1), node=to_node(item))
             for i, item in enumerate(window)]
    more = start + size < len(items)
    return Connection(edges=edges, page_info=PageInfo(
        has_next_page=more, end_cursor=edges[-1].cursor_text() if edges else None,
        has_previous_page=start > 0, start_cursor=edges[0].cursor_text() if edges else None))


def iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person_segment(value: str, field: str = "subjectId") -> str:
    """A person argument (a Person's global id, or the subject UUID) as a URL segment."""
    return uuid_segment(decode_id(value, "Person", field), field)


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
