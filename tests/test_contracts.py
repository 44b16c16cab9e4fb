"""contracts/ is generated from the code and committed; this fails when they drift apart."""

from __future__ import annotations

import json

from openirm.contracts import CONTRACTS, check, render


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
