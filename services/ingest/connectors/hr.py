"""HR connector CSV files in the reference product's shapes (resignation, job level change,
performance review, performance improvement plan, or mixed with an HRScenario column), parsed
incrementally so a large upload is never held whole. Pure: no I/O, so it can be fuzzed."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from services.ingest.connectors.parsing import (
    Outcome,
    RecordError,
    build_event,
    parse_time,
)
from services.ingest.events.catalogue import ActivityType
from services.ingest.events.schemas import is_unicode

SOURCE = "hr_connector"
SCENARIOS = ("resignation", "termination", "job_level_change", "performance_review",
             "performance_improvement_plan", "mixed")
# Our column names (the reference product's); `column_map` keys must be among these.
COLUMNS = ("EmailAddress", "HRScenario", "ResignationDate", "TerminationDate",
           "LastWorkingDate", "EffectiveDate", "Remarks", "OldLevel", "NewLevel", "Rating")
# A real row is a few hundred characters (attributes are capped at 16 KB); a longer one is
# almost always an unclosed quote swallowing the file, so it is refused rather than buffered.
MAX_ROW_CHARS = 65_536
HEADER = "(header)"
ROW = "(row)"


@dataclass(frozen=True)
class _Shape:
    """One scenario's columns. The main date is the first non-blank of `main` (resignation
    files may call it TerminationDate, as the reference product's sample does)."""

    type: ActivityType
    main: tuple[str, ...]
    main_attribute: str
    dates: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        # Remarks is free text and optional; every other column of the shape must be there.
        return ("EmailAddress", self.main[0], *self.dates, *self.values)


_LEAVING = {"LastWorkingDate": "last_working_date"}
_SHAPES = {
    "resignation": _Shape(ActivityType.HR_RESIGNATION, ("ResignationDate", "TerminationDate"),
                          "resignation_date", dates=_LEAVING),
    "termination": _Shape(ActivityType.HR_TERMINATION, ("TerminationDate",),
                          "termination_date", dates=_LEAVING),
    "job_level_change": _Shape(ActivityType.HR_JOB_LEVEL_CHANGE, ("EffectiveDate",),
                               "effective_date",
                               values={"OldLevel": "old_level", "NewLevel": "new_level"}),
    "performance_review": _Shape(ActivityType.HR_PERFORMANCE_REVIEW, ("EffectiveDate",),
                                 "effective_date", values={"Rating": "rating"}),
    "performance_improvement_plan": _Shape(ActivityType.HR_IMPROVEMENT_PLAN, ("EffectiveDate",),
                                           "effective_date", values={"Rating": "rating"}),
}
# HRScenario values, compared without case, spaces, underscores or hyphens.
_SCENARIO_VALUES = {
    "resignation": "resignation",
    "termination": "termination",
    "joblevelchange": "job_level_change",
    "performancereview": "performance_review",
    "performanceimprovementplan": "performance_improvement_plan",
}
_SCENARIO_NOISE = re.compile(r"[\s_\-]+")
_EXPECTED_SCENARIOS = ("Resignation, Termination, Job level change, Performance review or "
                       "Performance improvement plan")

# Scanner states, mirroring the csv module's (excel dialect, not strict) so a record is cut
# exactly where csv.reader would end it: only at \r or \n outside a quoted field.
_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)
_UNQUOTED_STOP = re.compile(r"[,\r\n]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().casefold()


def _spell(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip()


class HrCsvParser:
    """Feed decoded text in chunks of any size; each call returns the outcomes of the rows it
    completed. Chunking never changes the outcomes: feeding a file whole or a character at a
    time gives the same list."""

    def __init__(self, scenario: str | None, column_map: dict[str, str] | None = None) -> None:
        if scenario is not None and scenario not in SCENARIOS:
            raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}")
        unknown = sorted(set(column_map or {}) - set(COLUMNS))
        if unknown:
            raise ValueError(f"column_map has unknown columns: {', '.join(unknown)}")
        self._scenario = scenario
        self._names = {col: (column_map or {}).get(col, col) for col in COLUMNS}
        self.header_error: RecordError | None = None
        self._buf = ""
        self._pos = 0
        self._state = _START
        self._started = False
        self._discarding = False
        self._closed = False
        self._count = 0
        self._width = 0
        self._header_seen = False
        self._shape: _Shape | None = None
        self._cols: dict[str, int] = {}
        self._spelled: dict[str, str] = {}

    # -- streaming ---------------------------------------------------------------------

    def feed(self, text: str) -> list[Outcome]:
        if self._closed:
            raise RuntimeError("feed() after close()")
        if self.header_error is not None or not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        self._buf += text
        return self._scan()

    def close(self) -> list[Outcome]:
        if self._closed:
            return []
        self._closed = True
        out: list[Outcome] = []
        if self.header_error is None and not self._discarding and self._buf:
            out.extend(self._record(self._buf))
        self._buf = ""
        if self.header_error is None and not self._header_seen:
            self.header_error = RecordError(-1, HEADER, "the file is empty: it has no header row")
            out.append(self.header_error)
        return out

    def _scan(self) -> list[Outcome]:
        """Cut complete records out of the buffer; the incomplete tail and the scanner state
        carry over to the next chunk, so quoted newlines survive any split."""
        buf, p, state, start = self._buf, self._pos, self._state, 0
        n = len(buf)
        out: list[Outcome] = []
        while p < n and self.header_error is None:
            if state == _QUOTED:
                q = buf.find('"', p)
                if q < 0:
                    p = n
                    break
                p, state = q + 1, _QUOTE_IN_QUOTED
                continue
            if state in (_START, _QUOTE_IN_QUOTED) and buf[p] == '"':
                # An opening quote, or the second of a doubled quote inside a quoted field.
                p, state = p + 1, _QUOTED
                continue
            match = _UNQUOTED_STOP.search(buf, p)
            if match is None:
                p, state = n, _FIELD
                break
            p = match.end()
            if match.group() == ",":
                state = _START
                continue
            state = _START
            if self._discarding:
                self._discarding = False
            else:
                out.extend(self._record(buf[start:p - 1]))
            start = p
        if self.header_error is not None:
            self._buf, self._pos, self._state = "", 0, _START
            return out
        if not self._discarding and n - start > MAX_ROW_CHARS:
            # Still unfinished and already too long: report it now, skip the rest of it.
            out.extend(self._too_long())
            self._discarding = True
        if self._discarding:
            self._buf, self._pos = "", 0
        else:
            self._buf, self._pos = buf[start:], p - start
        self._state = state
        return out

    def _too_long(self) -> list[Outcome]:
        reason = f"longer than {MAX_ROW_CHARS} characters (is a quote left open?)"
        if not self._header_seen:
            self.header_error = RecordError(-1, HEADER, f"the header row is {reason}")
            return [self.header_error]
        index = self._count
        self._count += 1
        return [RecordError(index, ROW, f"row is {reason}")]

    def _record(self, text: str) -> list[Outcome]:
        if len(text) > MAX_ROW_CHARS:
            return self._too_long()
        try:
            fields = next(csv.reader([text]), [])
        except csv.Error as exc:  # not expected with this dialect; never let it escape
            return self._unreadable(str(exc))
        if all(not f.strip() for f in fields):
            return []  # a blank line (or a row of empty cells): skipped, not counted
        if not self._header_seen:
            return self._header(fields)
        index = self._count
        self._count += 1
        return [self._row(index, fields)]

    def _unreadable(self, reason: str) -> list[Outcome]:
        if not self._header_seen:
            return self._header_fails(HEADER, reason)
        index = self._count
        self._count += 1
        return [RecordError(index, ROW, reason)]

    # -- header ------------------------------------------------------------------------

    def _header(self, fields: list[str]) -> list[Outcome]:
        self._header_seen = True
        self._width = len(fields)
        positions: dict[str, int] = {}
        for i, name in enumerate(fields):
            key = _key(name)
            if not key:
                continue
            if key in positions:
                return self._header_fails(_spell(name), "column appears more than once")
            positions[key] = i
        for col, name in self._names.items():
            i = positions.get(_key(name))
            if i is not None:
                self._cols[col] = i
                self._spelled[col] = _spell(fields[i])
        scenario = self._scenario or self._detect()
        if scenario is None:
            return [self.header_error] if self.header_error else []
        if scenario == "mixed":
            required: tuple[str, ...] = ("EmailAddress", "HRScenario")
        else:
            self._shape = _SHAPES[scenario]
            required = self._shape.required
        for col in required:
            if col in self._cols or (self._shape and col == self._shape.main[0]
                                     and any(c in self._cols for c in self._shape.main)):
                continue
            return self._header_fails(self._names[col],
                                      f"column is missing; a {scenario} file needs it")
        return []

    def _detect(self) -> str | None:
        """Which scenario the header's columns describe. A performance review and an
        improvement plan share their columns, so those need the scenario named."""
        has = self._cols.__contains__
        if has("HRScenario"):
            return "mixed"
        if has("ResignationDate") or has("TerminationDate"):
            return "resignation"
        if has("OldLevel") or has("NewLevel"):
            return "job_level_change"
        if has("Rating") or has("EffectiveDate"):
            reason = ("a performance review and a performance improvement plan have the same "
                      "columns: name the scenario or add an HRScenario column")
        else:
            reason = ("cannot tell the HR scenario from the columns: name the scenario or add "
                      "an HRScenario column")
        self._header_fails(self._names["HRScenario"], reason)
        return None

    def _header_fails(self, column: str, reason: str) -> list[Outcome]:
        self.header_error = RecordError(-1, column, reason)
        return [self.header_error]

    # -- rows --------------------------------------------------------------------------

    def _name(self, col: str) -> str:
        return self._spelled.get(col, self._names[col])

    def _value(self, fields: list[str], col: str) -> str:
        i = self._cols.get(col)
        return fields[i].strip() if i is not None else ""

    def _row(self, index: int, fields: list[str]) -> Outcome:
        if len(fields) != self._width:
            return RecordError(index, ROW,
                               f"row has {len(fields)} fields, the header has {self._width}")
        if not all(is_unicode(f) for f in fields):
            return RecordError(index, ROW, "row has characters that are not valid Unicode")
        raw = self._value(fields, "HRScenario")
        shape = self._shape or _SHAPES.get(
            _SCENARIO_VALUES.get(_SCENARIO_NOISE.sub("", raw).casefold(), ""))
        if shape is None:
            reason = (f"unknown HR scenario {raw[:60]!r}: expected {_EXPECTED_SCENARIOS}" if raw
                      else "is required")
            return RecordError(index, self._name("HRScenario"), reason)
        email = self._value(fields, "EmailAddress")
        if not email:
            return RecordError(index, self._name("EmailAddress"), "is required")
        if not _EMAIL.fullmatch(email):
            return RecordError(index, self._name("EmailAddress"),
                               "must be an email address or user principal name")

        present = [c for c in shape.main if c in self._cols]
        if not present:
            return RecordError(index, self._names[shape.main[0]],
                               f"column is missing from the header; a {shape.type.value} row "
                               "needs it")
        main_col = next((c for c in present if self._value(fields, c)), present[0])
        main = _date(self._value(fields, main_col))
        if isinstance(main, str):
            return RecordError(index, self._name(main_col), main)
        attributes: dict[str, Any] = {shape.main_attribute: main.isoformat()}
        key: list[str] = [shape.type.value, main.isoformat()]
        for col, attribute in shape.dates.items():
            raw = self._value(fields, col)
            day = _date(raw) if raw else None
            if isinstance(day, str):
                return RecordError(index, self._name(col), day)
            if day is not None:
                attributes[attribute] = day.isoformat()
            key.append(day.isoformat() if day else "")
        for col, attribute in shape.values.items():
            raw = self._value(fields, col)
            if raw:
                attributes[attribute] = raw
            key.append(raw)
        remarks = self._value(fields, "Remarks")
        if remarks:
            attributes["remarks"] = remarks
        names = {"actor": self._name("EmailAddress"), "occurred_at": self._name(main_col),
                 "attributes": self._name("Remarks") if remarks else ROW, "(record)": ROW}
        data = {"type": shape.type.value, "actor": email, "source": SOURCE,
                "occurred_at": datetime.combine(main, time(), tzinfo=UTC),
                "attributes": attributes}
        return build_event(index, data, natural_key=tuple(key), field_names=names)


def _date(raw: str) -> date | str:
    """The calendar date as written (an offset does not move it to another day), or the
    reason it is not one."""
    if not raw:
        return "is required"
    try:
        day = parse_time(raw).date()
    except (ValueError, OverflowError):
        return "must be an ISO 8601 date, e.g. 2026-11-20"
    if not 1970 <= day.year < 2100:
        return "must be between 1970 and 2100"
    return day

