"""NDJSON read as the bytes arrive: one record per line, blank lines ignored, over-long lines
reported once and dropped as they come, so memory stays bounded and no body is held whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_LINE_BYTES = 64 * 1024


class NdjsonLines(Generic[T]):
    """Calls `parse_line(index, line)` for every non-blank line and `too_long(index)` for a
    line over `MAX_LINE_BYTES`; indexes count non-blank lines from 0."""

    def __init__(self, parse_line: Callable[[int, bytes], T],
                 too_long: Callable[[int], T]) -> None:
        self._parse_line, self._too_long = parse_line, too_long
        self._pending = b""
        self._skipping = False  # inside an over-long line, already reported
        self.index = 0

    def feed(self, chunk: bytes) -> list[T]:
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        out = [o for line in lines if (o := self._line(line)) is not None]
        if len(self._pending) > MAX_LINE_BYTES:
            # Report the line now and drop its bytes as they come.
            if not self._skipping:
                out.append(self._next_too_long())
            self._pending, self._skipping = b"", True
        return out

    def close(self) -> list[T]:
        rest, self._pending = self._pending, b""
        outcome = self._line(rest)
        return [outcome] if outcome is not None else []

    def _next_too_long(self) -> T:
        index, self.index = self.index, self.index + 1
        return self._too_long(index)

    def _line(self, line: bytes) -> T | None:
        if self._skipping:  # the end of the over-long line
            self._skipping = False
            return None
        if not line.strip():
            return None
        if len(line) > MAX_LINE_BYTES:
            return self._next_too_long()
        index, self.index = self.index, self.index + 1
        return self._parse_line(index, line)
