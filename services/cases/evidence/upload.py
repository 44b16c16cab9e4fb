"""Reading a multipart evidence upload as it streams in: the file is hashed as it arrives and
refused with 413 the moment it passes the size limit (a declared Content-Length over the limit
is refused before any byte is read), so an oversized upload is never held whole."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from services.kit.errors import InvalidInput, InvalidParam, PayloadTooLarge, UnsupportedMediaType

# Room for the multipart framing and the description around the file.
OVERHEAD = 64 * 1024
MAX_DESCRIPTION = 2000
FIELDS = ("file", "description")


def invalid(field_: str, reason: str, *, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(f"{field_}: {reason}", code=code, extra={
        "invalid_params": [InvalidParam(field=field_, reason=reason)]})


@dataclass
class Upload:
    filename: str = ""
    content_type: str = ""
    description: str = ""
    data: bytearray = field(default_factory=bytearray)
    sha256: str = ""


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    buffer: bytearray = field(default_factory=bytearray)


def _clean_filename(raw: str) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|*?:')
    return name.strip()[:255]


async def read_upload(chunks: AsyncIterator[bytes], content_type: str | None,
                      content_length: str | None, max_bytes: int) -> Upload:
    ctype, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType("send the evidence as multipart/form-data with a `file` "
                                   "and a `description`")
    too_large = PayloadTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            declared = 0
        if declared > max_bytes + OVERHEAD:
            raise too_large

    upload, digest = Upload(), hashlib.sha256()
    seen: set[str] = set()
    state: dict[str, _Part | bytes | None] = {"part": None, "field": b""}
    errors: list[Exception] = []

    def on_part_begin() -> None:
        state["part"] = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] = bytes(state["field"] or b"") + data[start:end]  # type: ignore[operator]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part = state["part"]
        assert isinstance(part, _Part)
        key = (state["field"] or b"").lower()  # type: ignore[union-attr]
        part.headers[key] = part.headers.get(key, b"") + data[start:end]

    def on_header_end() -> None:
        state["field"] = b""

    def on_headers_finished() -> None:
        part = state["part"]
        assert isinstance(part, _Part)
        _, disp = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = disp.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disp:
            part.filename = disp[b"filename"].decode("utf-8", "replace")
        part.content_type = parse_options_header(
            part.headers.get(b"content-type", b""))[0].decode("latin-1").lower()
        if part.name not in FIELDS:
            errors.append(invalid(part.name or "(body)", "unexpected field; send `file` and "
                                  "`description`"))
        elif part.name in seen:
            errors.append(invalid(part.name, "given more than once"))
        seen.add(part.name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = state["part"]
        assert isinstance(part, _Part)
        if errors:
            return
        chunk = data[start:end]
        if part.name == "file":
            if len(upload.data) + len(chunk) > max_bytes:
                errors.append(too_large)
                return
            upload.data += chunk
            digest.update(chunk)
        elif part.name == "description":
            if len(part.buffer) + len(chunk) > MAX_DESCRIPTION * 4:
                errors.append(invalid("description", f"at most {MAX_DESCRIPTION} characters"))
                return
            part.buffer += chunk

    def on_part_end() -> None:
        part = state["part"]
        assert isinstance(part, _Part)
        if part.name == "file":
            upload.filename = _clean_filename(part.filename or "")
            upload.content_type = part.content_type
        elif part.name == "description":
            try:
                upload.description = part.buffer.decode("utf-8").strip()
            except UnicodeDecodeError:
                errors.append(invalid("description", "not UTF-8 text"))
            if "\x00" in upload.description:
                errors.append(invalid("description", "contains NUL"))

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data,
        "on_part_end": on_part_end, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished})
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes + OVERHEAD:
                raise too_large
            parser.write(chunk)
            if errors:
                raise errors[0]
        parser.finalize()
    except MultipartParseError as exc:
        raise invalid("(body)", f"malformed multipart body: {exc}") from None
    if errors:
        raise errors[0]
    if "file" not in seen:
        raise invalid("file", "field required")
    if "description" not in seen or not upload.description:
        raise invalid("description", "field required")
    if len(upload.description) > MAX_DESCRIPTION:
        raise invalid("description", f"at most {MAX_DESCRIPTION} characters")
    if not upload.filename:
        raise invalid("file", "the file needs a name")
    if not upload.data:
        raise invalid("file", "the file is empty")
    upload.sha256 = digest.hexdigest()
    return upload
