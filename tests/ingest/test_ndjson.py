"""The NDJSON stream parser: any bytes, cut anywhere, give the same outcomes as the whole body,
and never an exception; over-long lines are reported once without being buffered."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.connectors.parsing import Parsed, RecordError
from services.ingest.events.ndjson import MAX_LINE_BYTES, event_stream

EVENT = {"id": "e-1", "type": "file.downloaded", "occurred_at": "2026-11-20T10:00:00Z",
         "actor": "a@contoso.example", "attributes": {"file_name": "x.docx"}}


def _parse(chunks: list[bytes]) -> list:
    parser = event_stream()
    out = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.close()


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def _key(outcome: object) -> tuple:
    if isinstance(outcome, Parsed):
        return ("ok", outcome.index, outcome.event.id)
    assert isinstance(outcome, RecordError)
    return ("error", outcome.index, outcome.field, outcome.reason)


def test_lines_blank_lines_and_errors() -> None:
    body = (json.dumps(EVENT) + "\n\n  \n" + json.dumps({**EVENT, "type": "nope"}) + "\n{x\n"
            + json.dumps({**EVENT, "id": "e-2"})).encode()
    out = _parse([body])
    assert [_key(o)[:2] for o in out] == [("ok", 0), ("error", 1), ("error", 2), ("ok", 3)]
    assert out[1].field == "type" and out[2].field == "(record)"


def test_an_over_long_line_is_one_error_and_is_not_kept() -> None:
    parser = event_stream()
    out = parser.feed(b'{"id": "' + b"x" * (MAX_LINE_BYTES + 10))
    out += parser.feed(b"y" * MAX_LINE_BYTES * 3)  # still the same line
    assert len(parser._pending) <= MAX_LINE_BYTES
    out += parser.feed(b'"}\n' + json.dumps(EVENT).encode() + b"\n")
    out += parser.close()
    assert [_key(o)[:2] for o in out] == [("error", 0), ("ok", 1)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.just(json.dumps(EVENT).encode()),
    st.binary(max_size=80),
    st.text(max_size=60).map(str.encode),
    st.builds(lambda v: json.dumps({**EVENT, "attributes": v}).encode(),
              st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                              max_size=3))), max_size=8),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_any_bytes_cut_anywhere_parse_like_the_whole(lines: list[bytes], cuts: list[int]
                                                     ) -> None:
    body = b"\n".join(lines)
    whole = [_key(o) for o in _parse([body])]
    assert [_key(o) for o in _parse(_split(body, cuts))] == whole
