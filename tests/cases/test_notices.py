"""Notice templates and notices sent from a case: checked templates, delivery over SMTP to a
local server (the person's address resolved by identity, never shown to the sender), the
outbox when no SMTP server is configured, failures recorded."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.cases.person_case import person_case
from tests.conftest import Api
from tests.factories import audit_rows
from tests.smtp_sink import SmtpSink

BODY = ("<p>Hello {{alias}},</p><p>About case {{case_id}} ({{case_title}}).</p>"
        "<p>{{message}}</p><a href=\"{{training_url}}\">Training</a><p>{{sender}}</p>")


def template_body(**overrides) -> dict:
    return {"name": f"Reminder {uuid.uuid4().hex[:8]}", "send_from": "irm@contoso.example",
            "cc": ["manager@contoso.example"], "bcc": ["records@contoso.example"],
            "subject": "Reminder about case {{case_id}}", "body_html": BODY,
            "training_url": "https://training.contoso.example/data-handling", **overrides}


async def test_templates_are_checked_and_managed(api: Api, http: httpx.AsyncClient) -> None:
    analyst = api.auth(api.token("Analyst"))
    url = f"{api.cases}/notice-templates"
    bad = await http.post(url, headers=analyst, json=template_body(body_html="<p>{{ alias </p>"))
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["field"] == "body_html"
    assert "malformed" in bad.json()["invalid_params"][0]["reason"]
    unknown = await http.post(url, headers=analyst,
                              json=template_body(subject="Your salary {{ salary }}"))
    assert unknown.status_code == 422
    assert unknown.json()["invalid_params"][0]["field"] == "subject"
    assert "{{salary}}" in unknown.json()["detail"]
    sandboxed = await http.post(url, headers=analyst, json=template_body(
        body_html="{{ alias.__class__.__mro__ }}"))
    assert sandboxed.status_code == 422
    address = await http.post(url, headers=analyst, json=template_body(cc=["not-an-address"]))
    assert address.status_code == 422 and address.json()["invalid_params"][0]["field"] == "cc"
    created = await http.post(url, headers=analyst, json=template_body())
    assert created.status_code == 201, created.text
    template = created.json()
    same_name = await http.post(url, headers=analyst, json=template_body(name=template["name"]))
    assert same_name.status_code == 409
    changed = await http.patch(f"{url}/{template['id']}", headers=analyst,
                               json={"subject": "Case {{case_title}}"})
    assert changed.status_code == 200 and changed.json()["subject"] == "Case {{case_title}}"
    wrong = await http.patch(f"{url}/{template['id']}", headers=analyst,
                             json={"body_html": "{{ nope }}"})
    assert wrong.status_code == 422 and wrong.json()["invalid_params"][0]["field"] == "body_html"
    listed = (await http.get(url, headers=api.auth(api.token("Investigator")))).json()
    assert template["id"] in [t["id"] for t in listed]
    assert (await http.delete(f"{url}/{template['id']}", headers=analyst)).status_code == 204
    assert (await http.get(f"{url}/{template['id']}", headers=analyst)).status_code == 404
    actions = [r["action"] for r in await audit_rows(api, "notice_template.",
                                                     f"notice_template:{template['id']}")]
    assert sorted(actions) == ["notice_template.create", "notice_template.delete",
                               "notice_template.update"]


async def _wait_state(api: Api, http: httpx.AsyncClient, case_id: str, notice_id: str,
                      state: str, within: float = 20) -> dict:
    deadline = time.monotonic() + within
    while True:
        notices = (await http.get(f"{api.cases}/cases/{case_id}/notices",
                                  headers=api.auth(api.token("Analyst")))).json()
        notice = next(n for n in notices if n["id"] == notice_id)
        if notice["state"] == state or time.monotonic() > deadline:
            return notice
        await asyncio.sleep(0.1)


async def test_notice_is_sent_over_smtp_without_showing_the_address(
        api: Api, http: httpx.AsyncClient, smtp: SmtpSink) -> None:
    _, token = api.new_account("Analyst")
    analyst = api.auth(token)
    person = await person_case(api, http, token)
    template = (await http.post(f"{api.cases}/notice-templates", headers=analyst,
                                json=template_body())).json()
    sent = await http.post(f"{api.cases}/cases/{person['case_id']}/notices", headers=analyst,
                           json={"template_id": template["id"],
                                 "message": "Please <b>review</b> the policy."})
    assert sent.status_code == 202, sent.text
    notice = sent.json()
    assert notice["state"] == "queued" and notice["alias"] == person["alias"]
    assert person["email"] not in sent.text and person["display"] not in sent.text
    received = smtp.wait_for(lambda m: m.message["Message-ID"] == f"<notice-{notice['id']}"
                             "@contoso.example>")
    msg = received.message
    assert msg["From"] == "irm@contoso.example" and msg["To"] == person["email"]
    assert msg["Cc"] == "manager@contoso.example" and msg["Bcc"] is None
    assert sorted(received.rcpt_tos) == sorted([person["email"], "manager@contoso.example",
                                                "records@contoso.example"])
    assert msg["Subject"] == f"Reminder about case {person['case_id']}"
    html = msg.get_body(("html",)).get_content()
    assert f"Hello {person['alias']}" in html and "(Data &lt;leaving&gt;)" in html
    assert "Please &lt;b&gt;review&lt;/b&gt; the policy." in html
    assert 'href="https://training.contoso.example/data-handling"' in html
    assert "<p>irm@contoso.example</p>" in html
    done = await _wait_state(api, http, person["case_id"], notice["id"], "sent")
    assert done["state"] == "sent" and done["attempts"] == 1 and done["sent_at"]
    assert done["body_html"] == html.strip() or "Please &lt;b&gt;review" in done["body_html"]
    case_notices = await http.get(f"{api.cases}/cases/{person['case_id']}/notices",
                                  headers=analyst)
    assert person["email"] not in case_notices.text
    lookups = await audit_rows(api, "person.notice_address", f"subject:{person['subject_id']}")
    assert lookups and lookups[0]["detail"] == {"case_id": person["case_id"]}
    assert person["email"] not in str(lookups)
    assert await audit_rows(api, "case.notice.send", f"case:{person['case_id']}")
    assert await audit_rows(api, "case.notice.deliver", f"case:{person['case_id']}")
    # Only the sender service may ask identity for the address.
    for who in (analyst, api.auth(api.token("Investigator"))):
        refused = await http.get(
            f"{api.identity}/people/{person['subject_id']}/notice-address", headers=who,
            params={"case_id": person["case_id"]})
        assert refused.status_code == 403


async def test_notice_refusals(api: Api, http: httpx.AsyncClient) -> None:
    _, token = api.new_account("Investigator")
    inv = api.auth(token)
    person = await person_case(api, http, token)
    template = (await http.post(f"{api.cases}/notice-templates", headers=inv,
                                json=template_body())).json()
    url = f"{api.cases}/cases/{person['case_id']}/notices"
    unknown = await http.post(url, headers=inv, json={"template_id": str(uuid.uuid4())})
    assert unknown.status_code == 422
    assert unknown.json()["invalid_params"][0]["field"] == "template_id"
    missing = await http.post(f"{api.cases}/cases/{uuid.uuid4()}/notices", headers=inv,
                              json={"template_id": template["id"]})
    assert missing.status_code == 404
    await http.post(f"{api.cases}/cases/{person['case_id']}/close", headers=inv,
                    json={"classification": "benign", "resolution": "explained"})
    closed = await http.post(url, headers=inv, json={"template_id": template["id"]})
    assert closed.status_code == 409 and closed.json()["current_status"] == "closed"


async def test_notice_to_an_erased_person_fails_with_the_reason(
        api: Api, http: httpx.AsyncClient) -> None:
    _, token = api.new_account("Analyst")
    analyst = api.auth(token)
    person = await person_case(api, http, token)
    template = (await http.post(f"{api.cases}/notice-templates", headers=analyst,
                                json=template_body())).json()
    erased = await http.request("DELETE", f"{api.identity}/people/{person['subject_id']}",
                                headers=api.auth(api.admin_token()),
                                json={"reason": "DSR-1234"})
    assert erased.status_code == 200, erased.text
    sent = await http.post(f"{api.cases}/cases/{person['case_id']}/notices", headers=analyst,
                           json={"template_id": template["id"]})
    assert sent.status_code == 202
    failed = await _wait_state(api, http, person["case_id"], sent.json()["id"], "failed")
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"] == "identity gave no address: person_erased"
    assert await audit_rows(api, "case.notice.fail", f"case:{person['case_id']}")


@pytest.fixture
def cases_without_smtp(api: Api):
    """A second cases process on the same database, with no SMTP server configured."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in api.stack.env("cases").items() if not k.startswith("OPENIRM_SMTP")}
    env.pop("OPENIRM_PARENT_PID", None)
    proc = subprocess.Popen([sys.executable, "-m", "openirm.cli", "serve", "cases", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            cwd=os.getcwd())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "cases did not start"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(15)


async def test_without_smtp_notices_stay_in_the_outbox(
        api: Api, http: httpx.AsyncClient, cases_without_smtp: str, smtp: SmtpSink) -> None:
    _, token = api.new_account("Analyst")
    analyst = api.auth(token)
    person = await person_case(api, http, token)
    template = (await http.post(f"{api.cases}/notice-templates", headers=analyst,
                                json=template_body())).json()
    sent = await http.post(f"{cases_without_smtp}/cases/{person['case_id']}/notices",
                           headers=analyst, json={"template_id": template["id"]})
    assert sent.status_code == 202, sent.text
    assert sent.json()["state"] == "outbox"
    await asyncio.sleep(1.5)  # nothing is sent: no job was queued
    assert not [m for m in smtp.messages if sent.json()["id"] in m.message["Message-ID"]]
    outbox = (await http.get(f"{api.cases}/notices", headers=analyst,
                             params={"state": "outbox", "limit": 200})).json()
    assert sent.json()["id"] in [n["id"] for n in outbox["items"]]
    assert all(n["state"] == "outbox" for n in outbox["items"])
    assert person["email"] not in str(outbox)
