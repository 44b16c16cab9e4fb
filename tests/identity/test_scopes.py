"""Scoped access: a case viewer sees the cases shared with them and nothing else; a reviewer
limited to departments or regions sees only those people, in every service."""

from __future__ import annotations

import httpx

from tests.conftest import Api
from tests.factories import audit_rows, create_policy, fresh_alert


async def test_case_viewer_reads_only_the_shared_case(api: Api, http: httpx.AsyncClient
                                                      ) -> None:
    policy = create_policy(api)
    analyst = api.auth(api.token("Analyst"))
    cases = []
    for _ in range(2):
        alert = await fresh_alert(api, policy)
        resp = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=analyst,
                               json={})
        cases.append(resp.json()["case_id"])
    shared, other = cases
    await http.post(f"{api.cases}/cases/{shared}/notes", headers=analyst,
                    json={"body": "HR asked for the timeline"})
    viewer_id, viewer_token = api.new_account("CaseViewer")
    viewer = api.auth(viewer_token)
    admin = api.auth(api.admin_token())

    # Before anything is shared, the case viewer sees no case at all.
    assert (await http.get(f"{api.cases}/cases", headers=viewer)).json()["items"] == []
    assert (await http.get(f"{api.cases}/cases/{shared}", headers=viewer)).status_code == 404

    put = await http.put(f"{api.identity}/accounts/{viewer_id}/scope", headers=admin,
                         json={"case_ids": [shared]})
    assert put.status_code == 200 and put.json()["case_ids"] == [shared]
    listed = (await http.get(f"{api.cases}/cases", headers=viewer)).json()["items"]
    assert [c["id"] for c in listed] == [shared]
    assert (await http.get(f"{api.cases}/cases/{shared}", headers=viewer)).status_code == 200
    notes = (await http.get(f"{api.cases}/cases/{shared}/notes", headers=viewer)).json()
    assert [n["body"] for n in notes] == ["HR asked for the timeline"]
    assert (await http.get(f"{api.cases}/cases/{other}", headers=viewer)).status_code == 404
    # Read only, and nothing beyond the case.
    for method, url in [("POST", f"{api.cases}/cases/{shared}/notes"),
                        ("GET", f"{api.cases}/alerts"),
                        ("GET", f"{api.scoring}/policies")]:
        resp = await http.request(method, url, headers=viewer,
                                  json={"body": "x"} if method == "POST" else None)
        assert resp.status_code == 403, (method, url)

    row = (await audit_rows(api, "account.scope.set", f"user:{viewer_id}"))[0]
    assert row["detail"]["before"]["case_ids"] == []
    assert row["detail"]["after"]["case_ids"] == [shared]


async def test_scope_input_is_checked(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    viewer_id, _ = api.new_account("Analyst")
    bad = await http.put(f"{api.identity}/accounts/{viewer_id}/scope", headers=admin,
                         json={"departments": [""]})
    assert bad.status_code == 422
    missing = await http.put(f"{api.identity}/accounts/00000000-0000-0000-0000-000000000000/"
                             "scope", headers=admin, json={})
    assert missing.status_code == 404
    refused = await http.put(f"{api.identity}/accounts/{viewer_id}/scope",
                             headers=api.auth(api.token("Investigator")), json={})
    assert refused.status_code == 403
    resolve = await http.get(f"{api.identity}/access/scope", params={"subject": "nobody"},
                             headers=api.auth(api.service_token()))
    assert resolve.status_code == 422
