"""What one request may ask for: a cost budget (on top of strawberry's depth, alias and token
limits), and automatic persisted queries (a client sends a query's SHA-256 instead of its
text once the gateway has seen it)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from gateway.errors import BAD_USER_INPUT

DEFAULT_PAGE = 50
"""What a connection's `first` is taken as when the query leaves it out (the schema's
default page)."""
LIST_ARGUMENTS = ("first", "ids", "limit")


def _multiplier(field: FieldNode, variables: dict[str, Any]) -> int:
    """How many items a field may return, from its `first`/`limit`/`ids` argument; a
    connection asked for without `first` returns its default page."""
    for arg in field.arguments or ():
        if arg.name.value not in LIST_ARGUMENTS:
            continue
        value = arg.value
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            if isinstance(raw, list):
                return max(len(raw), 1)
            return raw if isinstance(raw, int) and raw > 0 else DEFAULT_PAGE
        if isinstance(value, IntValueNode):
            return max(int(value.value), 1)
        if isinstance(value, ListValueNode):
            return max(len(value.values), 1)
    selected = field.selection_set.selections if field.selection_set else ()
    if any(isinstance(f, FieldNode) and f.name.value in ("edges", "nodes") for f in selected):
        return DEFAULT_PAGE
    return 1


def query_cost(fragments: dict[str, FragmentDefinitionNode],
               selection_set: SelectionSetNode | None, variables: dict[str, Any],
               seen: frozenset[str] = frozenset()) -> int:
    """1 per field, with a list field's sub-selection counted once per item it may return:
    `alerts(first: 50) { edges { node { case { id } } } }` costs 1 + 50 * 4."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = query_cost(fragments, selection.selection_set, variables, seen)
            total += 1 + _multiplier(selection, variables) * inner
        elif isinstance(selection, InlineFragmentNode):
            total += query_cost(fragments, selection.selection_set, variables, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are refused elsewhere
                total += query_cost(fragments, fragment.selection_set, variables,
                                    seen | {name})
    return total


class CostLimiter(SchemaExtension):
    """Refuses, before anything runs, an operation whose cost is over the budget, saying
    what it cost; the cost of every accepted operation is in `extensions.cost`. It runs
    beside validation, not as a validation rule, because it depends on the variables while
    validation results are cached per document (list it after `ValidationCache`)."""

    def __init__(self, *, budget: int) -> None:
        self.budget = budget
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        operation = _operation(document.definitions, ctx.operation_name) if document else None
        if operation is not None:
            fragments = {d.name.value: d for d in document.definitions  # type: ignore
                         if isinstance(d, FragmentDefinitionNode)}
            self.cost = query_cost(fragments, operation.selection_set, dict(ctx.variables or {}))
            if self.cost > self.budget:
                refusal = GraphQLError(
                    f"The query costs {self.cost}, over the budget of {self.budget} per "
                    f"request: ask for smaller pages (`first`) or fewer nested lists.",
                    operation, extensions={"code": BAD_USER_INPUT, "cost": self.cost,
                                           "budget": self.budget})
                errors = self._errors_so_far()
                ctx.pre_execution_errors = [*errors, refusal]
        yield

    def _errors_so_far(self) -> list[GraphQLError]:
        """What validation has found so far: the cached result when `ValidationCache` ran
        first; otherwise validate now (strawberry then skips its own validation)."""
        ctx = self.execution_context
        if ctx.pre_execution_errors is None:
            from strawberry.schema.schema import validate_document

            return list(validate_document(ctx.schema._schema, ctx.graphql_document,
                                          ctx.validation_rules))
        return list(ctx.pre_execution_errors)

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "budget": self.budget}}


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


class PersistedQueryStore:
    """Automatic persisted queries (Apollo's protocol, version 1), kept in this process:
    the first request sends the text with `extensions.persistedQuery.sha256Hash`; later ones
    send only the hash. A gateway that forgot a query (restart, eviction) answers
    PERSISTED_QUERY_NOT_FOUND and the client re-sends the text."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._queries: OrderedDict[str, str] = OrderedDict()

    def resolve(self, query: str | None, extensions: dict[str, Any] | None
                ) -> tuple[str | None, GraphQLError | None]:
        """The query text to run, or the error to answer with."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query, None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 \
                or not isinstance(persisted.get("sha256Hash"), str):
            return None, GraphQLError("persistedQuery must be {version: 1, sha256Hash}",
                                      extensions={"code": BAD_USER_INPUT})
        digest = persisted["sha256Hash"].lower()
        if query is not None:
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                return None, GraphQLError("provided sha does not match query",
                                          extensions={"code": BAD_USER_INPUT})
            self._remember(digest, query)
            return query, None
        stored = self._queries.get(digest)
        if stored is None:
            return None, GraphQLError("PersistedQueryNotFound",
                                      extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
        self._queries.move_to_end(digest)
        return stored, None

    def _remember(self, digest: str, query: str) -> None:
        self._queries[digest] = query
        self._queries.move_to_end(digest)
        while len(self._queries) > self.capacity:
            self._queries.popitem(last=False)
