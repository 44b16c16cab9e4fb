"""Escalation exports: built by a job with progress, a signed bundle that `openirm
verify-export` checks (and refuses once a byte changes), pseudonymous unless the downloader
holds a reveal grant for the case, content only for Investigators, downloads audited."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
import uuid
import zipfile

import httpx

from services.cases.exports.verify import load_public_key, verify
from tests.cases.person_case import person_case
from tests.conftest import Api
from tests.factories import audit_rows


async def _ready(api: Api, http: httpx.AsyncClient, headers: dict, case_id: str) -> dict:
    created = await http.post(f"{api.cases}/cases/{case_id}/exports", headers=headers)
    assert created.status_code == 202, created.text
    export = created.json()
    assert export["state"] == "queued" and export["progress"] == 0
    deadline = time.monotonic() + 30
    while export["state"] not in ("ready", "failed") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        export = (await http.get(f"{api.cases}/cases/{case_id}/exports/{export['id']}",
                                 headers=headers)).json()
    assert export["state"] == "ready", export
    assert export["progress"] == 100 and export["size_bytes"] > 0
    return export


async def _public_key(api: Api, http: httpx.AsyncClient):
    resp = await http.get(f"{api.cases}/exports/signing-key")
    assert resp.status_code == 200
    return load_public_key(resp.json()["public_key_pem"]), resp.json()["public_key_pem"]


async def _cli(*args: str) -> subprocess.CompletedProcess:
    """`openirm verify-export ...` as a user runs it."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "openirm.cli", "verify-export", *args],
        capture_output=True, text=True)


def _files(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


async def test_analyst_export_is_signed_pseudonymous_and_verifiable(
        api: Api, http: httpx.AsyncClient, tmp_path) -> None:
    _, token = api.new_account("Analyst")
    analyst = api.auth(token)
    person = await person_case(api, http, token)
    case_id = person["case_id"]
    await http.post(f"{api.cases}/cases/{case_id}/notes", headers=analyst,
                    json={"body": "Spoke to the manager."})
    attached = await http.post(f"{api.cases}/cases/{case_id}/evidence", headers=analyst,
                               files={"file": ("hr-letter.txt", b"Resignation accepted.\n",
                                               "text/plain")},
                               data={"description": "HR's letter"})
    assert attached.status_code == 201, attached.text
    evidence = attached.json()
    export = await _ready(api, http, analyst, case_id)
    assert export["content_included"] is False
    resp = await http.get(f"{api.cases}/cases/{case_id}/exports/{export['id']}/bundle",
                          headers=analyst)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    bundle = resp.content
    key, pem = await _public_key(api, http)
    verdict = verify(bundle, key)
    assert verdict.ok, verdict.problems
    files = _files(bundle)
    evidence_path = f"evidence/{evidence['id']}-hr-letter.txt"
    assert set(files) == {"case.json", "alerts.json", "notes.json", "notices.json",
                          "evidence.json", evidence_path, "activities.json", "audit.json",
                          "manifest.json", "manifest.sig"}
    assert files[evidence_path] == b"Resignation accepted.\n"
    listed = json.loads(files["evidence.json"])
    assert [(e["path"], e["sha256"], e["description"]) for e in listed] == [
        (evidence_path, evidence["sha256"], "HR's letter")]
    manifest = json.loads(files["manifest.json"])
    assert manifest["pseudonymous"] is True and manifest["case_id"] == case_id
    assert {f["name"] for f in manifest["files"]} == set(files) - {"manifest.json",
                                                                   "manifest.sig"}
    alerts = json.loads(files["alerts.json"])
    assert [a["id"] for a in alerts] == [person["alert"]["id"]]
    assert alerts[0]["explanation"]["contributions"]
    assert json.loads(files["notes.json"])[0]["body"] == "Spoke to the manager."
    activities = json.loads(files["activities.json"])["items"]
    assert len(activities) >= 24
    assert all("file_name" not in a["attributes"] for a in activities)
    actions = {row["action"] for row in json.loads(files["audit.json"])}
    assert {"case.open", "alert.confirm", "case.note.add", "case.export.create"} <= actions
    for secret in (person["email"], person["display"], "secret-0.docx"):
        assert secret.encode() not in b"".join(files.values())
    downloads = await audit_rows(api, "case.export.download", f"case:{case_id}")
    assert downloads[0]["detail"]["identity_included"] is False
    assert downloads[0]["detail"]["export_id"] == export["id"]

    # The command: valid as downloaded, invalid once one byte of one file changes.
    path, key_file = tmp_path / "bundle.zip", tmp_path / "key.pem"
    path.write_bytes(bundle)
    key_file.write_text(pem)
    ok = await _cli(str(path),
                     "--public-key", str(key_file))
    assert ok.returncode == 0 and ok.stdout.startswith("VALID"), ok.stdout + ok.stderr
    by_url = await _cli(str(path),
                         "--url", api.cases)
    assert by_url.returncode == 0, by_url.stdout + by_url.stderr
    tampered = dict(files)
    body = bytearray(tampered["alerts.json"])
    at = body.index(b'"score": ') + len(b'"score": ')
    body[at] = ord("9") if body[at] != ord("9") else ord("8")
    tampered["alerts.json"] = bytes(body)
    path.write_bytes(_rezip(tampered))
    bad = await _cli(str(path),
                      "--public-key", str(key_file))
    assert bad.returncode == 1 and "INVALID" in bad.stdout
    assert "alerts.json: checksum mismatch" in bad.stdout
    # A manifest re-written to match the change no longer matches its signature.
    manifest["files"] = [f if f["name"] != "alerts.json" else
                         {**f, "sha256": __import__("hashlib").sha256(body).hexdigest()}
                         for f in manifest["files"]]
    forged = {**tampered, "manifest.json": json.dumps(manifest).encode()}
    assert verify(_rezip(forged), key).problems == [
        f"the signature of manifest.json does not hold for this public key "
        f"(key {manifest['signing_key_id']})"]
    # A byte flipped in a file's data as stored in the ZIP is caught as well.
    raw = bytearray(bundle)
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        info = zf.getinfo("alerts.json")
    name_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    raw[info.header_offset + 30 + name_len + extra_len + info.compress_size // 2] ^= 0xFF
    assert not verify(bytes(raw), key).ok


async def test_investigator_export_has_content_and_the_revealed_identity(
        api: Api, http: httpx.AsyncClient) -> None:
    _, token = api.new_account("Investigator")
    inv = api.auth(token)
    person = await person_case(api, http, token)
    case_id = person["case_id"]
    export = await _ready(api, http, inv, case_id)
    assert export["content_included"] is True
    url = f"{api.cases}/cases/{case_id}/exports/{export['id']}/bundle"
    files = _files((await http.get(url, headers=inv)).content)
    content = json.loads(files["content.json"])["items"]
    assert "secret-0.docx" in {c["content"].get("file_name") for c in content}
    assert "identity.json" not in files and person["email"].encode() not in files["case.json"]
    revealed = await http.post(f"{api.identity}/people/{person['subject_id']}/reveal",
                               headers=inv, json={"case_id": case_id,
                                                  "justification": "Escalating to legal hold"})
    assert revealed.status_code in (201, 202), revealed.text
    if revealed.status_code == 202:  # two-person rule left on: not this test's subject
        return
    resp = await http.get(url, headers=inv)
    key, _ = await _public_key(api, http)
    assert verify(resp.content, key).ok
    files = _files(resp.content)
    identity = json.loads(files["identity.json"])
    assert identity["identity"]["email"] == person["email"]
    assert json.loads(files["manifest.json"])["pseudonymous"] is False
    downloads = await audit_rows(api, "case.export.download", f"case:{case_id}")
    assert downloads[0]["detail"]["identity_included"] is True
    # Another reviewer without a grant gets the pseudonymous bundle of the same export, and
    # an Analyst gets it without content too, still validly signed.
    other = await http.get(url, headers=api.auth(api.token("Investigator")))
    assert "identity.json" not in _files(other.content)
    assert "content.json" in _files(other.content)
    trimmed = await http.get(url, headers=api.auth(api.token("Analyst")))
    assert verify(trimmed.content, key).ok
    assert {"identity.json", "content.json"}.isdisjoint(_files(trimmed.content))
    assert json.loads(_files(trimmed.content)["manifest.json"])["content_included"] is False


async def test_export_ids_out_of_reach_are_not_found(api: Api, http: httpx.AsyncClient) -> None:
    _, token = api.new_account("Analyst")
    analyst = api.auth(token)
    person = await person_case(api, http, token)
    export = await _ready(api, http, analyst, person["case_id"])
    other_case = str(uuid.uuid4())
    for path in (f"/cases/{person['case_id']}/exports/{uuid.uuid4()}",
                 f"/cases/{other_case}/exports/{export['id']}",
                 f"/cases/{other_case}/exports/{export['id']}/bundle"):
        assert (await http.get(api.cases + path, headers=analyst)).status_code == 404
    assert (await http.post(f"{api.cases}/cases/{other_case}/exports",
                            headers=analyst)).status_code == 404
    listed = (await http.get(f"{api.cases}/cases/{person['case_id']}/exports",
                             headers=analyst)).json()
    assert [e["id"] for e in listed] == [export["id"]]
