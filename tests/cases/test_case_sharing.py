"""Case sharing: a reviewer gives a case viewer (an HR or Legal contact) read access to one
case, kept and applied by the cases service, revocable at once; the viewer reads that case,
its notes and its alerts' metadata, and nothing else: another case is as absent as one that
does not exist, and no content, activity or identity is within reach."""

from __future__ import annotations

import uuid

import httpx

from tests.cases.helpers import open_cases
from tests.conftest import Api
from tests.factories import audit_rows


async def test_a_case_viewer_reads_exactly_the_shared_case(api: Api,
                                                          http: httpx.AsyncClient) -> None:
    shared, other = await open_cases(api, http, 2)
    lead = api.auth(api.token("Investigator"))
    await http.post(f"{api.cases}/cases/{shared['id']}/notes", headers=lead,
                    json={"body": "HR asked for the timeline"})
    evidence = await http.post(f"{api.cases}/cases/{shared['id']}/evidence", headers=lead,
                               files={"file": ("t.txt", b"timeline\n", "text/plain")},
                               data={"description": "timeline"})
    assert evidence.status_code == 201
    viewer_id, viewer_token = api.new_account("CaseViewer")
    viewer = api.auth(viewer_token)
    viewers_url = f"{api.cases}/cases/{shared['id']}/viewers"

    # Before anything is shared, the case viewer sees no case at all.
    assert (await http.get(f"{api.cases}/cases", headers=viewer)).json()["items"] == []
    assert (await http.get(f"{api.cases}/cases/{shared['id']}", headers=viewer)
            ).status_code == 404

    analyst_id, _ = api.new_account("Analyst")
    not_viewer = await http.post(viewers_url, headers=lead,
                                 json={"account_id": analyst_id, "reason": "x"})
    assert not_viewer.status_code == 422
    assert not_viewer.json()["invalid_params"][0]["field"] == "account_id"
    no_reason = await http.post(viewers_url, headers=lead, json={"account_id": viewer_id})
    assert no_reason.status_code == 422
    assert no_reason.json()["invalid_params"][0]["field"] == "reason"
    unknown = await http.post(f"{api.cases}/cases/{uuid.uuid4()}/viewers", headers=lead,
                              json={"account_id": viewer_id, "reason": "HR"})
    assert unknown.status_code == 404

    added = await http.post(viewers_url, headers=lead,
                            json={"account_id": viewer_id, "reason": "HR business partner"})
    assert added.status_code == 201, added.text
    assert added.json()["account_id"] == viewer_id
    twice = await http.post(viewers_url, headers=lead,
                            json={"account_id": viewer_id, "reason": "again"})
    assert twice.status_code == 409
    listed = (await http.get(viewers_url, headers=lead)).json()
    assert [(v["account_id"], v["reason"]) for v in listed] == [(viewer_id,
                                                                 "HR business partner")]

    cases = (await http.get(f"{api.cases}/cases", headers=viewer)).json()["items"]
    assert [c["id"] for c in cases] == [shared["id"]]
    read = (await http.get(f"{api.cases}/cases/{shared['id']}", headers=viewer)).json()
    assert read["alert_count"] == 1 and read["alias"] == shared["alias"]
    notes = (await http.get(f"{api.cases}/cases/{shared['id']}/notes", headers=viewer)).json()
    assert [n["body"] for n in notes] == ["HR asked for the timeline"]
    alerts = (await http.get(f"{api.cases}/cases/{shared['id']}/alerts", headers=viewer)).json()
    assert len(alerts) == 1 and alerts[0]["alias"] == shared["alias"]
    assert "explanation" not in alerts[0] and "score" not in alerts[0]

    # Another case is absent exactly like a case that does not exist.
    for path in ("", "/notes", "/alerts"):
        theirs = await http.get(f"{api.cases}/cases/{other['id']}{path}", headers=viewer)
        nowhere = await http.get(f"{api.cases}/cases/{uuid.uuid4()}{path}", headers=viewer)
        assert theirs.status_code == nowhere.status_code == 404
        assert theirs.json()["code"] == nowhere.json()["code"]
    # Read only, no content, nothing beyond the case.
    ev = evidence.json()["id"]
    for method, url in [("POST", f"{api.cases}/cases/{shared['id']}/notes"),
                        ("POST", f"{api.cases}/cases/{shared['id']}/close"),
                        ("GET", f"{api.cases}/cases/{shared['id']}/evidence"),
                        ("GET", f"{api.cases}/cases/{shared['id']}/evidence/{ev}/content"),
                        ("GET", viewers_url),
                        ("POST", viewers_url),
                        ("GET", f"{api.cases}/cases/stats"),
                        ("GET", f"{api.cases}/alerts"),
                        ("GET", f"{api.cases}/alerts/{alerts[0]['id']}"),
                        ("GET", f"{api.identity}/people/{shared['subject_id']}"),
                        ("GET", f"{api.ingest}/activity"),
                        ("GET", f"{api.scoring}/policies")]:
        resp = await http.request(method, url, headers=viewer,
                                  json={"body": "x"} if method == "POST" else None)
        assert resp.status_code == 403, (method, url, resp.status_code)

    # Revoked: the very next request no longer sees it.
    revoked = await http.delete(f"{viewers_url}/{viewer_id}", headers=lead)
    assert revoked.status_code == 204
    assert (await http.get(f"{api.cases}/cases/{shared['id']}", headers=viewer)
            ).status_code == 404
    assert (await http.get(f"{api.cases}/cases", headers=viewer)).json()["items"] == []
    again = await http.delete(f"{viewers_url}/{viewer_id}", headers=lead)
    assert again.status_code == 404
    assert (await http.get(viewers_url, headers=lead)).json() == []

    target = f"case:{shared['id']}"
    share_row, = [r for r in await audit_rows(api, "case.share", target)
                  if r["action"] == "case.share"]
    assert share_row["detail"] == {"account_id": viewer_id, "reason": "HR business partner"}
    revoke_row, = await audit_rows(api, "case.share.revoke", target)
    assert revoke_row["detail"]["before"]["account_id"] == viewer_id


async def test_a_scoped_reviewer_cannot_share_a_case_they_do_not_see(
        api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    admin = api.auth(api.admin_token())
    analyst_id, token = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [f"Nowhere-{uuid.uuid4().hex[:6]}"]})
    assert put.status_code == 200
    viewer_id, _ = api.new_account("CaseViewer")
    resp = await http.post(f"{api.cases}/cases/{case['id']}/viewers", headers=api.auth(token),
                           json={"account_id": viewer_id, "reason": "HR"})
    assert resp.status_code == 404
