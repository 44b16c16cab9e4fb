"""The permission table of tests/test_access.py, walked over every GraphQL root field: each
field answers FORBIDDEN (a top-level error for a read, a `ForbiddenError` in the payload of a
mutation) to exactly the roles the REST operation behind it refuses, and UNAUTHENTICATED
without a token. The operation of a field is in its metadata (`common.operation`)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)

from gateway.schema import schema
from gateway.schema.common import to_global_id
from tests.conftest import ROLES, Api
from tests.test_access import ALLOWED, EXTRA_ROLES

# Fields that would change shared state for every other test if a role were let through.
HARMLESS_INPUT = {"updatePrivacySettings": "{}",
                  "updateTriageSettings": "{slaHours: {high: 24, medium: 72, low: 168}}"}

GS = schema._schema


ERROR_CODES = {"ForbiddenError": "FORBIDDEN", "NotFoundError": "NOT_FOUND",
               "ConflictError": "CONFLICT", "ValidationError": "BAD_USER_INPUT"}


def _roots() -> list[tuple[str, str, GraphQLField]]:
    out = []
    for kind, root in (("query", GS.query_type), ("mutation", GS.mutation_type)):
        for name, f in root.fields.items():
            out.append((kind, name, f))
    return out


def _operations(kind: str, name: str) -> tuple[str, ...] | None:
    """The REST operations deciding a root field, from its metadata (`common.operation`);
    None when no token is needed or the owning type's service decides (`node`)."""
    root = schema.get_type_by_name("Query" if kind == "query" else "Mutation")
    for f in root.fields:  # type: ignore[union-attr]
        if f.graphql_name == name or (f.graphql_name is None and
                                       _camel(f.python_name) == name):
            return tuple(f.metadata["operations"]) or None
    raise KeyError(name)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


def _value(type_, name: str) -> str:
    """A literal for a required argument: well-formed, pointing at nothing."""
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, name)
    if isinstance(type_, GraphQLList):
        return "[]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        parts = [f"{k}: {_value(f.type, k)}" for k, f in type_.fields.items()
                 if isinstance(f.type, GraphQLNonNull)]
        return "{" + ", ".join(parts) + "}"
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "Upload":
        return "$file"  # a file part of a GraphQL multipart request (see `codes`)
    return {"ID": f'"{uuid.uuid4()}"', "Int": "1", "Float": "1.0", "Boolean": "true",
            "Date": '"2026-01-01"',
            "DateTime": '"2026-01-01T00:00:00Z"'}.get(
        type_.name, '"probe-value-1234567890@example.com"'
        if "email" in name.lower() else '"a probe value long enough"')


def _document(kind: str, name: str, f: GraphQLField) -> str:
    named = get_named_type(f.type)

    def literal(arg: str, type_) -> str:
        if arg == "input" and name in HARMLESS_INPUT:
            return HARMLESS_INPUT[name]
        if arg == "id" and "CaseItem" in {i.name for i in getattr(named, "interfaces", ())}:
            # An item of a case: its global id names the case too.
            return f'"{to_global_id(named.name, f"{uuid.uuid4()}:{uuid.uuid4()}")}"'
        return _value(type_, arg)

    args = [f"{k}: {literal(k, a.type)}" for k, a in f.args.items()
            if isinstance(a.type, GraphQLNonNull)]
    if isinstance(named, GraphQLScalarType):
        selection = ""
    elif "errors" in getattr(named, "fields", {}):
        selection = " { __typename errors { __typename } }"
    else:
        selection = " { __typename }"
    call = f"{name}{'(' + ', '.join(args) + ')' if args else ''}"
    variables = "($file: Upload!)" if "$file" in call else ""
    return f"{kind}{variables} {{ {call}{selection} }}"


ROOTS = _roots()


def test_every_root_field_has_a_permission() -> None:
    operations = {name: _operations(kind, name) for kind, name, _ in ROOTS}
    named = {op for ops in operations.values() if ops for op in ops}
    assert named <= set(ALLOWED), named - set(ALLOWED)


@pytest.mark.parametrize(("kind", "name", "field"), ROOTS, ids=[r[1] for r in ROOTS])
async def test_every_field_checks_every_role(api: Api, http: httpx.AsyncClient, kind: str,
                                             name: str, field: GraphQLField) -> None:
    operations = _operations(kind, name)
    if operations is None:
        return
    op = operations[0]
    document = _document(kind, name, field)

    async def codes(token: str | None) -> set[str]:
        headers = api.auth(token) if token else {}
        if "$file" in document:  # the GraphQL multipart request spec
            resp = await http.post(api.gateway, headers=headers, data={
                "operations": json.dumps({"query": document, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]})},
                files={"0": ("probe.txt", b"probe\n", "text/plain")})
        else:
            resp = await http.post(api.gateway, json={"query": document}, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        found = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        payload = (body.get("data") or {}).get(name)
        if isinstance(payload, dict):
            found |= {ERROR_CODES[e["__typename"]] for e in payload.get("errors") or []}
        return found

    assert "UNAUTHENTICATED" in await codes(None), document
    callers = {role: (api.admin_token() if role == "Admin" else api.token(role))
               for role in (*ROLES, *EXTRA_ROLES)}
    callers["service"] = api.service_token()
    for role, token in callers.items():
        got = await codes(token)
        allowed = role in ALLOWED[op] or (role == "InsiderRiskManagement"
                                          and ALLOWED[op] & set(ROLES))
        if allowed:
            assert "FORBIDDEN" not in got, f"{name} should allow {role}: {got}"
            assert "INTERNAL_SERVER_ERROR" not in got, f"{name} as {role}: {got}"
        else:
            assert got == {"FORBIDDEN"}, f"{name} should refuse {role}: {got}"
