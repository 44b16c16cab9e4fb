"""Directory files as records: CSV and NDJSON parsed incrementally as the bytes arrive (never
the whole file in memory), JSON arrays whole (bounded). Pure: no I/O, so it can be fuzzed.

Column and key names are matched without case, spaces, underscores or hyphens, with the
common spellings of directory exports (Microsoft Entra / Graph, HR systems) as synonyms."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from services.identity.people.schemas import DirectoryFields
from services.kit.ndjson import MAX_LINE_BYTES, NdjsonLines

MAX_RECORD_CHARS = 65_536
HEADER = "(header)"
ROW = "(row)"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "mail", "emailaddress", "upn", "userprincipalname"),
    "display_name": ("displayname", "name", "fullname"),
    "given_name": ("givenname", "firstname"),
    "surname": ("surname", "sn", "lastname", "familyname"),
    "department": ("department", "dept"),
    "manager": ("manager", "manageremail", "managerupn", "managerprincipalname"),
    "job_title": ("jobtitle", "title"),
    "location": ("location", "officelocation", "office"),
    "region": ("region", "country", "countryregion", "countryorregion", "usagelocation"),
    "employment_start": ("employmentstart", "startdate", "hiredate", "employeehiredate"),
    "employment_end": ("employmentend", "enddate", "leavedate", "employeeleavedatetime",
                       "lastworkingdate"),
    "high_impact": ("highimpact", "highimpactuser", "priority", "priorityuser"),
}
_CANONICAL = {syn: field for field, syns in SYNONYMS.items() for syn in syns}
_NOISE = re.compile(r"[\s_\-./]+")


def canonical(name: str) -> str | None:
    return _CANONICAL.get(_NOISE.sub("", name.strip().lstrip("\ufeff").casefold()))


@dataclass(frozen=True)
class Record:
    """A record's fields under our names (only those the source gave), and our name ->
    the source's spelling, for error messages."""

    index: int
    fields: dict[str, Any]
    names: dict[str, str]


@dataclass(frozen=True)
class Problem:
    index: int
    field: str
    reason: str


Outcome = Record | Problem


class HeaderError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def validate(record: Record) -> DirectoryFields | Problem:
    try:
        return DirectoryFields.model_validate(record.fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        field = record.names.get(loc[0], loc[0]) if loc else ROW
        reason = str(first["msg"]).removeprefix("Value error, ")
        if not loc and "employment_end" in reason:
            field = record.names.get("employment_end", "employment_end")
        elif not loc and "manager" in reason:
            field = record.names.get("manager", "manager")
        return Problem(record.index, field, reason)


class KeyMapper:
    """Maps a record's keys (a CSV header, a JSON object's keys) to our field names."""

    def __init__(self, ignore_unknown: bool) -> None:
        self.ignore_unknown = ignore_unknown
        self.ignored: set[str] = set()

    def map_keys(self, keys: list[str]) -> tuple[dict[str, str], str | None]:
        """our name -> source key, or the reason the keys cannot be used."""
        mapped: dict[str, str] = {}
        for key in keys:
            ours = canonical(key)
            if ours is None:
                if self.ignore_unknown:
                    if len(self.ignored) < 100:
                        self.ignored.add(key)
                    continue
                return mapped, f"unknown column '{key}'" if key else "a column has no name"
            if ours in mapped:
                return mapped, (f"'{mapped[ours]}' and '{key}' are both the {ours}; keep one")
            mapped[ours] = key
        if "email" not in mapped:
            return mapped, "no email (or UPN) column: it is the stable key"
        return mapped, None


# -- CSV ---------------------------------------------------------------------------------

_STOP = re.compile(r'["\n]')


class CsvRecords:
    """Decoded CSV text in, records out; a record may span lines inside quotes. Feeding a
    file whole or a character at a time gives the same records."""

    def __init__(self, mapper: KeyMapper) -> None:
        self._mapper = mapper
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._offset = 0
        self._buf = ""
        self._pos = 0
        self._quoted = False
        self._skipping = False
        self._columns: list[str | None] | None = None
        self._names: dict[str, str] = {}
        self.index = 0

    def feed(self, chunk: bytes) -> list[Outcome]:
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise HeaderError("(body)", "is not UTF-8 text (near byte "
                              f"{self._offset + exc.start})") from None
        self._offset += len(chunk)
        return self._scan(text)

    def close(self) -> list[Outcome]:
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise HeaderError("(body)", "ends inside a UTF-8 character") from None
        out = self._scan(text)
        if self._buf and not self._skipping:
            out.extend(self._record(self._buf))
        self._buf = ""
        if self._columns is None:
            raise HeaderError(HEADER, "the file is empty: it has no header row")
        return out

    def _scan(self, text: str) -> list[Outcome]:
        buf = self._buf + text
        p, start, n = self._pos, 0, len(buf)
        out: list[Outcome] = []
        while p < n:
            if self._quoted:
                q = buf.find('"', p)
                if q < 0:
                    p = n
                    break
                p, self._quoted = q + 1, False  # a doubled quote reopens at once
                continue
            m = _STOP.search(buf, p)
            if m is None:
                p = n
                break
            p = m.end()
            if m.group() == '"':
                self._quoted = True
                continue
            if self._skipping:
                self._skipping = False
            else:
                out.extend(self._record(buf[start:p - 1]))
            start = p
        if not self._skipping and n - start > MAX_RECORD_CHARS:
            out.extend(self._too_long())
            self._skipping = True
        if self._skipping:
            self._buf, self._pos = "", 0
        else:
            self._buf, self._pos = buf[start:], p - start
        return out

    def _too_long(self) -> list[Outcome]:
        reason = f"longer than {MAX_RECORD_CHARS} characters (is a quote left open?)"
        if self._columns is None:
            raise HeaderError(HEADER, f"the header row is {reason}")
        index, self.index = self.index, self.index + 1
        return [Problem(index, ROW, f"row is {reason}")]

    def _record(self, text: str) -> list[Outcome]:
        if len(text) > MAX_RECORD_CHARS:
            return self._too_long()
        try:
            cells = next(csv.reader([text.removesuffix("\r")]), [])
        except csv.Error as exc:
            cells, error = [], str(exc)
        else:
            error = None
        if error is None and all(not c.strip() for c in cells):
            return []  # a blank line: skipped, not counted
        if self._columns is None:
            if error is not None:
                raise HeaderError(HEADER, error)
            self._header(cells)
            return []
        index, self.index = self.index, self.index + 1
        if error is not None:
            return [Problem(index, ROW, error)]
        if len(cells) != len(self._columns):
            return [Problem(index, ROW, f"has {len(cells)} fields; the header has "
                                        f"{len(self._columns)}")]
        fields = {ours: (cell.strip() or None) for ours, cell in zip(self._columns, cells,
                                                                      strict=True) if ours}
        return [Record(index, fields, self._names)]

    def _header(self, cells: list[str]) -> None:
        mapped, error = self._mapper.map_keys([c.strip().lstrip("\ufeff") for c in cells])
        if error is not None:
            raise HeaderError(HEADER, error)
        by_key = {v: k for k, v in mapped.items()}
        self._columns = [by_key.get(c.strip().lstrip("\ufeff")) for c in cells]
        self._names = {ours: theirs for ours, theirs in mapped.items()}


# -- JSON and NDJSON -----------------------------------------------------------------------



def json_record(index: int, value: Any, mapper: KeyMapper) -> Outcome:
    if not isinstance(value, dict):
        return Problem(index, ROW, "must be a JSON object")
    mapped, error = mapper.map_keys([str(k) for k in value])
    if error is not None:
        field = (next((str(k) for k in value if canonical(str(k)) is None), ROW)
                 if "unknown" in error else "email" if "no email" in error else ROW)
        return Problem(index, field, error)
    return Record(index, {ours: value[theirs] for ours, theirs in mapped.items()},
                  {ours: theirs for ours, theirs in mapped.items()})


def NdjsonRecords(mapper: KeyMapper) -> NdjsonLines[Outcome]:
    """One JSON object a line; blank lines ignored; over-long lines are errors."""

    def parse(index: int, line: bytes) -> Outcome:
        try:
            value = from_json(line)
        except ValueError as exc:
            return Problem(index, ROW, f"not valid JSON: {exc}")
        return json_record(index, value, mapper)

    return NdjsonLines(parse, lambda index: Problem(
        index, ROW, f"line is longer than {MAX_LINE_BYTES} bytes"))
