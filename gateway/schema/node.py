"""Global object identification: `node(id:)` and `nodes(ids:)` fetch any object by its global
id, each through the service that owns it and with the caller's token."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from gateway.context import Info
from gateway.errors import bad_input
from gateway.schema.common import Node, operation, resolve_node

MAX_NODES = 100


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; the owning service decides "
                                  "whether the caller may see it (NOT_FOUND or FORBIDDEN "
                                  "otherwise).",
                      metadata=operation(None))
    async def node(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node:
        return await resolve_node(info, id)

    @strawberry.field(description=f"Several objects by their global ids, in the same order "
                                  f"(at most {MAX_NODES}); one that cannot be fetched is "
                                  f"null with its error.",
                      metadata=operation(None))
    async def nodes(
        self, info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise bad_input(f"at most {MAX_NODES} ids", "ids")
        results = await asyncio.gather(*(resolve_node(info, i) for i in ids),
                                       return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, Exception):
                raise r
        return list(results)  # an exception in the list becomes that item's error
