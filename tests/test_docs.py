"""The examples in docs/ingest.md are sent to a running stack exactly as written (dates moved
into the current month so that they stay inside the retention window)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import Api

DOC = Path(__file__).resolve().parent.parent / "docs" / "ingest.md"
EXAMPLE = re.compile(r"<!-- example: (POST) (\S+) (\S+)(?: \?(\S+))? -->\n```[a-z]*\n(.*?)```",
                     re.S)


def _examples() -> list[tuple[str, str, str, str, str]]:
    found = EXAMPLE.findall(DOC.read_text())
    assert len(found) >= 5, "docs/ingest.md lost its examples"
    return found


@pytest.mark.parametrize(("method", "path", "media", "query", "body"), _examples(),
                         ids=[f"{e[1]} {e[2]}" for e in _examples()])
async def test_documented_example_is_accepted(api: Api, http: httpx.AsyncClient, method: str,
                                              path: str, media: str, query: str,
                                              body: str) -> None:
    body = body.replace("2026-11", datetime.now(UTC).strftime("%Y-%m"))
    params = dict(p.split("=", 1) for p in query.split("&")) if query else {}
    resp = await http.request(method, f"{api.ingest}{path}", params=params, content=body,
                              headers={**api.auth(api.admin_token()), "content-type": media})
    assert resp.status_code == 202, resp.text
    answer = resp.json()
    assert answer["accepted"] + answer["duplicates"] >= 1 and answer["rejected"] == 0
