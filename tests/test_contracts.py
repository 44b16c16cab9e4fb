"""contracts/ is generated from the code and committed; this fails when they drift apart."""

from __future__ import annotations

import json
from pathlib import Path

from openirm.contracts import (
    CONTRACTS,
    check,
    committed_graphql_changes,
    graphql_changes,
    render,
)


def test_committed_contracts_match_the_code() -> None:
    drift = check()
    assert not drift, f"run `uv run openirm export-contracts`; drifted: {drift}"


def test_operation_ids_are_stable_and_readable() -> None:
    for name in ("identity", "ingest", "scoring", "cases"):
        doc = json.loads((CONTRACTS / f"openapi/{name}.json").read_text())
        for path, methods in doc["paths"].items():
            for method, op in methods.items():
                assert ":" in op["operationId"], (name, method, path)


def test_event_schema_lists_the_activity_catalogue() -> None:
    schema = json.loads(render()["events/activity-event.v1.schema.json"])
    types = schema["$defs"]["ActivityType"]["enum"]
    assert "hr.resignation" in types and "device.file_copied_to_usb" in types


def test_graphql_changes_tell_breaking_from_dangerous() -> None:
    old = """type Query { alert(id: ID!): Alert  alerts: [Alert!]! }
             type Alert { id: ID!  score: Int!  status: Status! }
             enum Status { OPEN  CLOSED }"""
    new = """type Query { alert(id: ID!, strict: Boolean!): Alert  alerts: [Alert!]! }
             type Alert { id: ID!  status: Status!  summary: String  priority: Int }
             enum Status { OPEN  CLOSED  ESCALATED }"""
    changes = {(c.breaking, c.kind) for c in graphql_changes(old, new)}
    assert changes == {(True, "FIELD_REMOVED"), (True, "REQUIRED_ARG_ADDED"),
                       (False, "VALUE_ADDED_TO_ENUM")}
    assert graphql_changes(old, old) == []


def test_export_contracts_reports_breaking_changes(tmp_path: Path) -> None:
    from gateway.schema import sdl

    committed = sdl().replace("type Query {", "type Query {\n  retired: Int", 1)
    (tmp_path / "schema.graphql").write_text(committed)
    changes = committed_graphql_changes(tmp_path)
    assert [str(c) for c in changes] == [
        "BREAKING FIELD_REMOVED: Field Query.retired was removed."]
    assert committed_graphql_changes(CONTRACTS) == []  # the committed SDL is the code's
