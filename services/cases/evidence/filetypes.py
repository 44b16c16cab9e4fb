"""What an evidence file is, judged by its bytes (magic numbers, the parts of a ZIP, text that
decodes), against the allowlist and the type and extension the uploader declared."""

from __future__ import annotations

import io
import re
import zipfile

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text"  # detected: UTF-8 text with no NUL bytes

# Declared content type -> the file-name extensions that go with it.
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "text/plain": (".txt", ".log", ".text"),
    "text/csv": (".csv",),
    "message/rfc822": (".eml",),
    "application/zip": (".zip",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg",
           "application/x-zip-compressed": "application/zip",
           "application/x-pdf": "application/pdf", "application/csv": "text/csv"}
# Types a client sends when it does not know: the extension decides then.
UNKNOWN = {"", "application/octet-stream", "binary/octet-stream"}
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
         (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
_HEADER = re.compile(rb"^[!-9;-~]+:[ \t]?")
_MAIL_FIELDS = (b"from", b"to", b"date", b"subject", b"received", b"message-id",
                b"mime-version", b"return-path")


def extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def declared_type(content_type: str, filename: str) -> str | None:
    """The allowlisted type the uploader meant, or None when it is not on the allowlist."""
    ctype = ALIASES.get(content_type, content_type)
    if ctype in UNKNOWN:
        ext = extension(filename)
        return next((t for t, exts in ALLOWED.items() if ext in exts), None)
    return ctype if ctype in ALLOWED else None


def sniff(data: bytes) -> str | None:
    for magic, ctype in MAGIC:
        if data.startswith(magic):
            return ctype
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        return "application/zip"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def _looks_like_mail(data: bytes) -> bool:
    """An RFC 5322 message starts with header fields, among them some a message has."""
    head = data.lstrip(b"\xef\xbb\xbf").split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = [ln for ln in head.splitlines() if ln and ln[:1] not in (b" ", b"\t")]
    if not lines or not all(_HEADER.match(ln) for ln in lines):
        return False
    fields = {ln.split(b":", 1)[0].strip().lower() for ln in lines}
    return len(fields & set(_MAIL_FIELDS)) >= 2


def matches(detected: str | None, declared: str, data: bytes) -> bool:
    if detected == declared:
        return True
    if declared == "application/zip":
        return detected in (DOCX, XLSX)  # an Office file is a ZIP too
    if detected == TEXT:
        return declared in ("text/plain", "text/csv") or \
            (declared == "message/rfc822" and _looks_like_mail(data))
    return False


def describe(detected: str | None) -> str:
    return {None: "not a type on the allowlist", TEXT: "text"}.get(detected, detected or "")
