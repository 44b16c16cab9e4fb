"""What the issue asks of every part of the schema, checked over the whole of it: a
description on every type, field, argument, enum value and input field (a console is built
from the schema alone), one `input` argument and a payload with typed errors on every
mutation, an operation named for every root field's permission, and connections for lists
that page."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)

from gateway.schema import schema

GS = schema._schema
PUBLIC_MUTATIONS = {"startRekey", "applyRetention"}  # nothing to choose: no input


def _own_types() -> list:
    return [t for name, t in GS.type_map.items() if not name.startswith("__")
            and t.name not in ("String", "Int", "Float", "Boolean", "ID")]


def test_every_type_field_argument_and_value_is_described() -> None:
    missing = []
    for t in _own_types():
        if not t.description and t not in (GS.query_type, GS.mutation_type,
                                           GS.subscription_type):
            missing.append(t.name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{t.name}.{fname}")
                for aname, a in getattr(f, "args", {}).items():
                    if not a.description:
                        missing.append(f"{t.name}.{fname}({aname})")
        if isinstance(t, GraphQLEnumType):
            missing += [f"{t.name}.{v}" for v, d in t.values.items() if not d.description]
    assert not missing, f"{len(missing)} undescribed: {missing[:40]}"


def test_every_mutation_takes_one_input_and_returns_typed_errors() -> None:
    error_union = GS.type_map["MutationError"]
    assert isinstance(error_union, GraphQLUnionType)
    assert {t.name for t in error_union.types} == {
        "ValidationError", "NotFoundError", "ConflictError", "ForbiddenError"}
    wrong = []
    for name, f in GS.mutation_type.fields.items():
        args = set(f.args)
        if args != {"input"} and not (name in PUBLIC_MUTATIONS and not args):
            wrong.append(f"{name}: arguments {sorted(args)}")
        payload = get_named_type(f.type)
        errors = getattr(payload, "fields", {}).get("errors")
        if errors is None or get_named_type(errors.type) is not error_union:
            wrong.append(f"{name}: no errors: [MutationError!]! on {payload.name}")
        elif not isinstance(errors.type, GraphQLNonNull):
            wrong.append(f"{name}: errors may be null")
    assert not wrong, wrong


def test_no_status_or_state_is_a_free_string() -> None:
    loose = [f"{t.name}.{fname}" for t in _own_types()
             if isinstance(t, GraphQLObjectType)
             for fname, f in t.fields.items()
             if fname in ("status", "state", "severity") and
             isinstance(get_named_type(f.type), GraphQLScalarType)]
    assert not loose, loose


def test_nodes_are_fetchable_by_node() -> None:
    from gateway.schema.common import NODE_RESOLVERS

    node = GS.type_map["Node"]
    implementations = {t.name for t in GS.get_possible_types(node)}  # type: ignore[arg-type]
    assert implementations - set(NODE_RESOLVERS) == set(), \
        "a Node type with no node resolver"
    assert {"Alert", "Case", "Person", "Policy", "Account", "RevealRequest", "Replay",
            "Webhook", "Suppression", "ActivityReport", "Evidence", "Export"} <= \
        implementations


def test_every_field_that_calls_a_service_names_a_known_operation() -> None:
    """Nested fields that call another REST operation say which (their permission decides
    them, and tests/test_access.py checks that operation for every role)."""
    from tests.test_access import ALLOWED

    unknown, named = [], 0
    for definition in schema.schema_converter.type_map.values():
        fields = getattr(definition.definition, "fields", None) or []
        for field in fields:
            for op in (field.metadata or {}).get("operations", ()):
                named += 1
                if op not in ALLOWED:
                    unknown.append(f"{definition.definition.name}.{field.python_name}: {op}")
    assert not unknown, unknown
    assert named > 150
