"""What scoring does not count: events covered by a suppression rule (this person, this
activity type, a time inside one of the rule's periods) or marked benign. Plain data in, the
covering rules and marks out; the pipeline records them and leaves those events out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

SUPPRESSION = "suppression"
BENIGN = "benign"


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    subject_id: uuid.UUID
    types: frozenset[str]
    periods: tuple[tuple[datetime, datetime], ...]

    def covers(self, subject: uuid.UUID, kind: str, occurred: datetime) -> bool:
        return subject == self.subject_id and kind in self.types and any(
            start <= occurred < end for start, end in self.periods)


def rule_of(id_: uuid.UUID, subject: uuid.UUID, types: Iterable[str],
            periods: Iterable[Mapping[str, str]]) -> Rule:
    return Rule(id_, subject, frozenset(types), tuple(
        (datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]))
        for p in periods))


def exclusions(rules: Iterable[Rule], marks: Mapping[tuple[uuid.UUID, str], uuid.UUID],
               subject: uuid.UUID, event_id: str, kind: str, occurred: datetime
               ) -> list[tuple[str, uuid.UUID]]:
    """(kind, rule or mark id) of everything that covers this event; empty: it counts."""
    out: list[tuple[str, uuid.UUID]] = []
    mark = marks.get((subject, event_id))
    if mark is not None:
        out.append((BENIGN, mark))
    out += [(SUPPRESSION, r.id) for r in rules if r.covers(subject, kind, occurred)]
    return out
