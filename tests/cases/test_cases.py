"""Cases: list filters, sorts and cursors; statistics and open cases over time; closing needs
the action taken; notes cannot be changed, not even by the service's own database role."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.cases.helpers import open_cases
from tests.conftest import Api
from tests.factories import audit_rows
from tests.test_db_roles import connected_as


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _all(http: httpx.AsyncClient, url: str, headers: dict, params: dict) -> list[dict]:
    """Every page, one item a page, so the cursor is used at each step."""
    items, cursor = [], None
    while True:
        page = (await http.get(url, headers=headers,
                               params={**params, "limit": 1} | ({"cursor": cursor}
                                                                  if cursor else {}))).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def test_filters_sorts_and_cursors(api: Api, http: httpx.AsyncClient) -> None:
    first, second, third = await open_cases(api, http, 3)
    analyst = api.auth(api.token("Analyst"))
    url = f"{api.cases}/cases"
    ids = [first["id"], second["id"], third["id"]]
    assert first["alert_count"] == 1 and first["updated_at"] == first["created_at"]
    window = {"opened_from": first["created_at"],
              "opened_to": (_t(third["created_at"]) + timedelta(microseconds=1)).isoformat()}

    oldest_first = await _all(http, url, analyst, {**window, "sort": "opened_at"})
    assert [c["id"] for c in oldest_first] == ids
    newest_first = await _all(http, url, analyst, window)  # the default: -opened_at
    assert [c["id"] for c in newest_first] == ids[::-1]
    assert all(c["alert_count"] == 1 for c in newest_first)

    # A note makes the first case the last updated.
    note = await http.post(f"{url}/{first['id']}/notes", headers=analyst,
                           json={"body": "Spoke to the manager."})
    assert note.status_code == 201
    touched = (await http.get(f"{url}/{first['id']}", headers=analyst)).json()
    assert _t(touched["updated_at"]) > _t(touched["created_at"])
    by_update = await _all(http, url, analyst, {**window, "sort": "updated_at"})
    assert [c["id"] for c in by_update] == [second["id"], third["id"], first["id"]]
    by_update_desc = await _all(http, url, analyst, {**window, "sort": "-updated_at"})
    assert [c["id"] for c in by_update_desc] == [first["id"], third["id"], second["id"]]
    recently = await _all(http, url, analyst, {**window, "updated_from": touched["updated_at"]})
    assert [c["id"] for c in recently] == [first["id"]]

    closed = await http.post(f"{url}/{second['id']}/close", headers=analyst,
                             json={"classification": "benign", "action_taken": "None needed"})
    assert closed.status_code == 200
    only_closed = await _all(http, url, analyst, {**window, "status": "closed"})
    assert [c["id"] for c in only_closed] == [second["id"]]
    active = await _all(http, url, analyst, {**window, "status": "active"})
    assert {c["id"] for c in active} == {first["id"], third["id"]}

    # A cursor is for the sort it was made with.
    page = (await http.get(url, headers=analyst,
                           params={**window, "sort": "opened_at", "limit": 1})).json()
    mixed = await http.get(url, headers=analyst, params={**window, "sort": "updated_at",
                                                         "cursor": page["next_cursor"]})
    assert mixed.status_code == 422 and mixed.json()["code"] == "invalid_cursor"
    backwards = await http.get(url, headers=analyst, params={
        "opened_from": third["created_at"], "opened_to": first["created_at"]})
    assert backwards.status_code == 422
    assert backwards.json()["invalid_params"][0]["field"] == "opened_to"
    bad_sort = await http.get(url, headers=analyst, params={"sort": "title"})
    assert bad_sort.status_code == 422 and bad_sort.json()["invalid_params"][0]["field"] == "sort"


async def test_statistics_and_open_cases_over_time(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    analyst = api.auth(api.token("Analyst"))
    closed = (await http.post(f"{api.cases}/cases/{case['id']}/close", headers=analyst,
                              json={"classification": "confirmed_violation",
                                    "action_taken": "Access revoked"})).json()
    took = (_t(closed["closed_at"]) - _t(closed["created_at"])).total_seconds()
    # A window around this close alone.
    window = {"from": (_t(closed["closed_at"]) - timedelta(microseconds=1)).isoformat(),
              "to": (_t(closed["closed_at"]) + timedelta(microseconds=1)).isoformat()}
    stats = (await http.get(f"{api.cases}/cases/stats", headers=analyst, params=window)).json()
    assert stats["closed_in_window"] == 1
    assert stats["by_classification"] == {"benign": 0, "confirmed_violation": 1}
    assert stats["mean_time_to_close_s"] == pytest.approx(took, abs=1e-3)
    assert stats["median_time_to_close_s"] == pytest.approx(took, abs=1e-3)
    assert set(stats["by_status"]) == {"active", "closed"} and stats["by_status"]["closed"] >= 1
    empty = (await http.get(f"{api.cases}/cases/stats", headers=analyst,
                            params={"from": "2001-01-01T00:00:00Z",
                                    "to": "2001-01-02T00:00:00Z"})).json()
    assert empty["closed_in_window"] == 0 and empty["mean_time_to_close_s"] is None

    opened_at = _t(case["created_at"])
    series = (await http.get(f"{api.cases}/cases/open-over-time", headers=analyst, params={
        "from": (opened_at - timedelta(days=3)).isoformat(),
        "to": (opened_at + timedelta(days=3)).isoformat(), "bucket": "day"})).json()
    points = series["points"]
    assert len(points) == 7
    assert all(_t(p["bucket_end"]) - _t(p["bucket_start"]) == timedelta(days=1) for p in points)
    assert all(_t(p["bucket_start"]).hour == 0 for p in points)
    # Future buckets: every case that is active now, and nothing closed.
    assert points[-1]["open"] == stats["by_status"]["active"]
    weeks = (await http.get(f"{api.cases}/cases/open-over-time", headers=analyst, params={
        "from": (opened_at - timedelta(days=20)).isoformat(), "to": opened_at.isoformat(),
        "bucket": "week"})).json()["points"]
    assert all(_t(p["bucket_start"]).weekday() == 0 for p in weeks)
    assert 3 <= len(weeks) <= 4
    for params, field in (({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
                           "to"),
                          ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
                           "to"),
                          ({"bucket": "month"}, "bucket")):
        bad = await http.get(f"{api.cases}/cases/open-over-time", headers=analyst,
                             params=params)
        assert bad.status_code == 422 and bad.json()["invalid_params"][0]["field"] == field


async def test_closing_needs_the_action_taken(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    analyst = api.auth(api.token("Analyst"))
    url = f"{api.cases}/cases/{case['id']}/close"
    for body in ({"classification": "benign"},
                 {"classification": "benign", "action_taken": "   "}):
        refused = await http.post(url, headers=analyst, json=body)
        assert refused.status_code == 422, body
        assert refused.json()["invalid_params"][0]["field"] == "action_taken"
    no_class = await http.post(url, headers=analyst, json={"action_taken": "HR informed"})
    assert no_class.status_code == 422
    assert no_class.json()["invalid_params"][0]["field"] == "classification"
    closed = await http.post(url, headers=analyst, json={"classification": "benign",
                                                         "action_taken": " HR informed "})
    assert closed.status_code == 200
    assert closed.json()["action_taken"] == closed.json()["resolution"] == "HR informed"
    again = await http.post(url, headers=analyst, json={"classification": "benign",
                                                        "action_taken": "twice"})
    assert again.status_code == 409 and again.json()["current_status"] == "closed"
    row, = await audit_rows(api, "case.close", f"case:{case['id']}")
    assert row["detail"]["after"]["action_taken"] == "HR informed"


async def test_notes_cannot_be_changed_or_deleted(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    analyst = api.auth(api.token("Analyst"))
    notes_url = f"{api.cases}/cases/{case['id']}/notes"
    note = (await http.post(notes_url, headers=analyst, json={"body": "First look."})).json()
    for method in ("PUT", "PATCH", "DELETE"):
        resp = await http.request(method, notes_url, headers=analyst, json={"body": "x"})
        assert resp.status_code == 405, method
        item = await http.request(method, f"{notes_url}/{note['id']}", headers=analyst,
                                  json={"body": "x"})
        assert item.status_code in (404, 405), method
    async with connected_as(api, "cases") as conn:
        for sql in ("UPDATE cases.note SET body = 'rewritten' WHERE id = $1",
                    "DELETE FROM cases.note WHERE id = $1"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute(sql, uuid.UUID(note["id"]))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE cases.note")
    kept = (await http.get(notes_url, headers=analyst)).json()
    assert [n["body"] for n in kept] == ["First look."]
