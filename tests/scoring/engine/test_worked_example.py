"""docs/scoring.md's worked example, computed by the engine: every number the page shows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.scoring.engine.catalogue import SEQUENCES, TEMPLATES
from services.scoring.engine.classify import PRIORITY_LABEL, file_key
from services.scoring.engine.rules import (
    DailyCount,
    Facts,
    FileEvent,
    IndicatorRule,
    Person,
    PolicyRule,
    Trigger,
    evaluate,
)
from services.scoring.global_settings.schemas import GlobalSettings
from services.scoring.global_settings.service import effective
from services.scoring.pipeline.service import fold

MEGAN = uuid.UUID(int=1)


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _events() -> list[tuple[str, str, datetime, dict]]:
    events = [("hr-1", "hr.resignation", _at(18), {"resignation_date": "2026-11-18"}),
              ("dl-1", "file.downloaded", _at(19), {"path": "/sites/finance/plan.xlsx"})]
    for i in range(15):
        attrs: dict = {"path": "/sites/finance/plan.xlsx" if i == 0 else f"/c/{i}.docx"}
        if i < 3:
            attrs["sensitivity_label"] = "Highly Confidential"
        events.append((f"usb-{i}", "device.file_copied_to_usb", _at(20, 11), attrs))
    events += [(f"mail-{i}", "email.sent_external_with_attachment", _at(20, 12),
                {"recipient_domain": "gmail.com"}) for i in range(6)]
    return events


def test_the_worked_example() -> None:
    eff = effective(1, GlobalSettings(detections={"unallowed_domains": ["gmail.com"]},
                                      priority_content={"labels": ["Highly Confidential"]}))
    counts: dict = {}
    triggers: list = []
    events = _events()
    fold(eff, [(MEGAN, e, t, at, a) for e, t, at, a in events], counts, triggers)
    files = [FileEvent(key, t, at, e) for e, t, at, a in events if (key := file_key(a))]
    ind = eff.indicators
    policy = PolicyRule(
        TEMPLATES["data_theft_departing_users"].triggering_events,
        tuple(IndicatorRule(k, ind[k].default_thresholds, ind[k].default_byte_thresholds)
              for k in ("usb_copy", "email_external_attachment", "download")),
        alert_threshold=30, activation_days=30, past_days=90, priority_content=PRIORITY_LABEL,
        boosters=frozenset(TEMPLATES["data_theft_departing_users"].default_boosters),
        sequences=tuple(SEQUENCES.values()))
    person = Person([Trigger(kind, day, e) for e, _, kind, day in triggers],
                    [DailyCount(i, day, v[0], flags, v[1])
                     for (_, i, day, flags), v in counts.items()], files, Facts())
    result = evaluate(policy, person)
    assert result is not None
    assert (result.score, result.severity, result.raises_alert, result.base) == \
        (75, "high", True, 60)
    assert (result.trigger.kind, result.trigger.day) == ("hr.resignation", date(2026, 11, 18))
    assert (result.window_start, result.window_end) == (date(2026, 8, 20), date(2026, 12, 18))
    rows = [(c["kind"], c.get("indicator") or c.get("sequence") or c.get("booster"),
             c.get("weighted_count"), c.get("level"), c["points"])
            for c in result.contributions]
    assert rows == [
        ("indicator", "email_external_attachment", 12, "medium", 20),
        ("indicator", "usb_copy", 18, "medium", 20),
        ("sequence", "collect_exfiltrate", None, None, 20),
        ("booster", "booster_above_baseline", None, None, 15),
    ]
    assert result.risk_factors == ("priority_content", "sequence", "unallowed_domains")
