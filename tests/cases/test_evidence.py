"""Evidence: uploaded as multipart to an active case, size-limited while it streams, checked by
content against the allowlist and its declared type and name, SHA-256 recorded, downloaded as
attached (audited), and immutable in the database."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
import zipfile
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.cases.helpers import open_cases
from tests.conftest import Api
from tests.factories import audit_rows
from tests.test_db_roles import connected_as

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
MAIL = (b"From: someone@example.test\r\nTo: other@example.test\r\nSubject: Q3 numbers\r\n"
        b"Date: Tue, 3 Mar 2026 10:00:00 +0000\r\n\r\nSee attached.\r\n")
MAX = 10 * 1024 * 1024


def office(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(part, "<doc/>")
    return buf.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(http: httpx.AsyncClient, url: str, headers: dict, name: str, data: bytes,
                 ctype: str, description: str | None = "From the manager") -> httpx.Response:
    form = {"description": description} if description is not None else {}
    return await http.post(url, headers=headers, files={"file": (name, data, ctype)},
                           data=form)


async def test_attach_list_and_download(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    inv = api.auth(api.token("Investigator"))
    url = f"{api.cases}/cases/{case['id']}/evidence"
    added = await upload(http, url, inv, "statement.pdf", PDF, "application/pdf")
    assert added.status_code == 201, added.text
    meta = added.json()
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest() and meta["size"] == len(PDF)
    assert meta["content_type"] == "application/pdf" and meta["filename"] == "statement.pdf"
    assert meta["description"] == "From the manager"
    for name, data, ctype in (("report.docx", office("word/document.xml"), DOCX),
                              ("sheet.xlsx", office("xl/workbook.xml"), XLSX),
                              ("bundle.zip", office("notes.txt"), "application/zip"),
                              ("mail.eml", MAIL, "message/rfc822"),
                              ("rows.csv", b"a,b\n1,2\n", "text/csv"),
                              ("shot.png", PNG, "image/png"),
                              ("notes.txt", "Zoë's notes\n".encode(), "application/octet-stream")):
        resp = await upload(http, url, api.auth(api.token("Analyst")), name, data, ctype)
        assert resp.status_code == 201, (name, resp.text)
    listed = (await http.get(url, headers=inv)).json()
    assert [e["filename"] for e in listed][:2] == ["statement.pdf", "report.docx"]
    assert listed[-1]["content_type"] == "text/plain"  # from the extension
    assert all("content" not in e for e in listed)
    one = await http.get(f"{url}/{meta['id']}", headers=inv)
    assert one.status_code == 200 and one.json() == meta
    after = (await http.get(f"{api.cases}/cases/{case['id']}", headers=inv)).json()
    assert after["updated_at"] >= meta["created_at"]

    got = await http.get(f"{url}/{meta['id']}/content", headers=inv)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{meta["sha256"]}"'
    assert 'filename="statement.pdf"' in got.headers["content-disposition"]
    assert got.headers["content-disposition"].startswith("attachment")
    cached = await http.get(f"{url}/{meta['id']}/content",
                            headers={**inv, "If-None-Match": got.headers["etag"]})
    assert cached.status_code == 304 and not cached.content
    target = f"case:{case['id']}"
    added_rows = await audit_rows(api, "case.evidence.add", target)
    assert len(added_rows) == 8
    assert meta["sha256"] in {r["detail"]["sha256"] for r in added_rows}
    downloads = await audit_rows(api, "case.evidence.download", target)
    assert len(downloads) == 2 and downloads[0]["detail"]["evidence_id"] == meta["id"]

    missing = await http.get(f"{url}/{uuid.uuid4()}", headers=inv)
    assert missing.status_code == 404 and missing.json()["code"] == "evidence_not_found"
    elsewhere = await http.get(f"{api.cases}/cases/{uuid.uuid4()}/evidence/{meta['id']}",
                               headers=inv)
    assert elsewhere.status_code == 404


async def test_types_are_checked_by_content(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    inv = api.auth(api.token("Investigator"))
    url = f"{api.cases}/cases/{case['id']}/evidence"
    for name, data, ctype, status in (
            ("tool.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/x-msdownload", 415),
            ("tool.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream", 415),
            ("photo.png", PDF, "image/png", 422),  # a PDF calling itself a PNG
            ("photo.jpg", PNG, "image/png", 422),  # the name disagrees with the type
            ("report.xlsx", office("word/document.xml"), XLSX, 422),
            ("mail.eml", b"just some words\n", "message/rfc822", 422),
            ("notes.txt", b"\x00\x01\x02binary", "text/plain", 422),
            ("empty.txt", b"", "text/plain", 422)):
        resp = await upload(http, url, inv, name, data, ctype)
        assert resp.status_code == status, (name, ctype, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["invalid_params"][0]["field"] == "file", resp.text
    no_description = await upload(http, url, inv, "a.pdf", PDF, "application/pdf", None)
    assert no_description.status_code == 422
    assert no_description.json()["invalid_params"][0]["field"] == "description"
    no_file = await http.post(url, headers=inv, files={"description": (None, "x")})
    assert no_file.status_code == 422 and no_file.json()["invalid_params"][0]["field"] == "file"
    as_json = await http.post(url, headers=inv, json={"description": "x"})
    assert as_json.status_code == 415
    assert (await http.get(url, headers=inv)).json() == []


async def test_size_limit_and_active_cases_only(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    inv = api.auth(api.token("Investigator"))
    url = f"{api.cases}/cases/{case['id']}/evidence"
    at_limit = await upload(http, url, inv, "big.txt", b"a" * MAX, "text/plain")
    assert at_limit.status_code == 201, at_limit.text
    over = await upload(http, url, inv, "bigger.txt", b"a" * (MAX + 1), "text/plain")
    assert over.status_code == 413 and over.json()["code"] == "payload_too_large"

    # Refused on the declared length, before the body is sent: the answer comes although the
    # 50 MiB never do.
    parts = urlsplit(api.cases)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write((f"POST {parts.path}/cases/{case['id']}/evidence HTTP/1.1\r\n"
                  f"Host: {parts.netloc}\r\nAuthorization: {inv['Authorization']}\r\n"
                  "Content-Type: multipart/form-data; boundary=b\r\n"
                  f"Content-Length: {50 * 1024 * 1024}\r\n\r\n--b\r\n").encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert b" 413 " in status_line

    # Chunked, with no length: refused once the stream passes the limit.
    async def chunks():
        yield (b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n'
               b"Content-Type: text/plain\r\n\r\n")
        for _ in range(12):
            yield b"a" * (1024 * 1024)
    streamed = await http.post(url, headers={**inv, "Content-Type":
                                             "multipart/form-data; boundary=b"},
                               content=chunks())
    assert streamed.status_code == 413

    closed = await http.post(f"{api.cases}/cases/{case['id']}/close", headers=inv,
                             json={"classification": "benign", "action_taken": "None"})
    assert closed.status_code == 200
    late = await upload(http, url, inv, "late.pdf", PDF, "application/pdf")
    assert late.status_code == 409 and late.json()["current_status"] == "closed"
    assert len((await http.get(url, headers=inv)).json()) == 1
    unknown = await upload(http, f"{api.cases}/cases/{uuid.uuid4()}/evidence", inv, "a.pdf",
                           PDF, "application/pdf")
    assert unknown.status_code == 404


async def test_evidence_is_immutable(api: Api, http: httpx.AsyncClient) -> None:
    case, = await open_cases(api, http, 1)
    inv = api.auth(api.token("Investigator"))
    url = f"{api.cases}/cases/{case['id']}/evidence"
    meta = (await upload(http, url, inv, "s.pdf", PDF, "application/pdf")).json()
    for method in ("PUT", "PATCH", "DELETE"):
        resp = await http.request(method, f"{url}/{meta['id']}", headers=inv)
        assert resp.status_code == 405, method
    evidence_id = uuid.UUID(meta["id"])
    async with connected_as(api, "cases") as conn:
        for sql in ("UPDATE cases.evidence SET description = 'x' WHERE id = $1",
                    "DELETE FROM cases.evidence WHERE id = $1",
                    "UPDATE cases.evidence_content SET content = '\\x00' WHERE evidence_id = $1",
                    "DELETE FROM cases.evidence_content WHERE evidence_id = $1"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="immutable"):
                await conn.execute(sql, evidence_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="must be owner"):
            await conn.execute("ALTER TABLE cases.evidence DISABLE TRIGGER evidence_immutable")
    got = await http.get(f"{url}/{meta['id']}/content", headers=inv)
    assert hashlib.sha256(got.content).hexdigest() == meta["sha256"]
