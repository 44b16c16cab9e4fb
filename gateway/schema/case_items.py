"""What is filed under a case (notes, evidence, notices, exports): the REST APIs reach each one
only through its case (`/cases/{case_id}/evidence/{evidence_id}`), so its global id carries
both keys ("Evidence:<case id>:<evidence id>") and `rawId` is the item's own id."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.context import Info
from gateway.errors import bad_input
from gateway.schema.common import Node, from_global_id, operation

if TYPE_CHECKING:
    from gateway.schema.cases import Case


def item_key(case_id: object, item_id: object) -> str:
    """The Node key of an item of a case."""
    return f"{case_id}:{item_id}"


def split_item_key(key: str, field: str) -> tuple[str, str]:
    """(case id, item id) of an item key; BAD_USER_INPUT naming `field` when it is not one."""
    case_id, _, item_id = key.partition(":")
    try:
        return str(uuid.UUID(case_id)), str(uuid.UUID(item_id))
    except ValueError:
        raise bad_input(f"{field} is not a valid id", field) from None


def decode_item_id(value: str, type_name: str, field: str) -> tuple[str, str]:
    """(case id, item id) behind an id argument of an item of a case. Only its global id
    will do: the item's bare UUID does not say which case it is filed under."""
    decoded = from_global_id(str(value))
    if decoded is None:
        raise bad_input(f"{field} must be the global id of a {type_name} (its id field)",
                        field)
    kind, key = decoded
    if kind != type_name:
        raise bad_input(f"{field} is the id of a {kind}, not of a {type_name}", field)
    return split_item_key(key, field)


@strawberry.interface(description="Something filed under a case: a note, evidence, a notice "
                                  "or an export.")
class CaseItem(Node):
    @strawberry.field(description="The id the REST APIs and exports use for this item (a "
                                  "UUID, under `/cases/{caseId}/...`).")
    def raw_id(self) -> str:
        return self.key.partition(":")[2]

    @strawberry.field(description="The case it is filed under.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Annotated[Case, strawberry.lazy(
            "gateway.schema.cases")] | None:
        from gateway.schema.cases import case_by_id

        return await case_by_id(info, self.case_key)

    @property
    def case_key(self) -> str:
        return self.key.partition(":")[0]

    @property
    def item_id(self) -> str:
        return self.key.partition(":")[2]
