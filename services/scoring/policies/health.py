"""Policy health: healthy, recommendations or warnings, each with its reason. `assess` is the
rule on plain data; `check` gathers what scoring has seen (source freshness, triggers, people
active) for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engine.catalogue import (
    PREREQUISITE_SOURCES,
    TEMPLATES,
    TRIGGER_KINDS,
    Indicator,
)
from services.scoring.global_settings.service import Effective
from services.scoring.models import Policy
from services.scoring.policies.schemas import HealthReason, PolicyHealth

STALE_DAYS = 7
TRIGGER_SHARE = 0.15
MIN_ACTIVE_FOR_SHARE = 10
# Triggers scoring stores from events (the others are memberships or activity itself).
STORED_TRIGGERS = tuple(k for k in TRIGGER_KINDS
                        if k not in ("priority_group", "indicator_activity", "manual"))
SOURCE_NAMES = {"hr": "HR", "dlp": "DLP", "endpoint_security": "endpoint-security",
                "health_records": "health-record"}


@dataclass(frozen=True)
class Observed:
    """What scoring has seen that bears on a policy's health."""

    last_seen: dict[str, datetime]  # activity type -> when it last arrived
    priority_members: int  # people in the policy's priority groups
    triggered: int  # people with one of its triggering events in 30 days
    active: int  # people with any activity in 30 days


def _latest(seen: dict[str, datetime], prefixes: tuple[str, ...]) -> datetime | None:
    times = [t for kind, t in seen.items() if kind.startswith(prefixes)]
    return max(times) if times else None


def assess(template_key: str, active: bool, indicators: list[Indicator], observed: Observed,
           now: datetime) -> tuple[str, list[HealthReason]]:
    template = TEMPLATES[template_key]
    reasons: list[HealthReason] = []

    def add(level: str, code: str, message: str) -> None:
        reasons.append(HealthReason(level=level, code=code, message=message))  # type: ignore

    if not active:
        add("recommendation", "inactive", "The policy is inactive: nobody is scored by it.")
    for source in template.prerequisites:
        if source == "priority_groups":
            if not observed.priority_members:
                add("warning", "priority_groups_empty", "The policy's priority groups have no "
                    "members: nobody can be scored.")
            continue
        name = SOURCE_NAMES[source]
        latest = _latest(observed.last_seen, PREREQUISITE_SOURCES[source])
        if latest is None:
            add("warning", f"no_{source}_data", f"No {name} events have ever arrived; this "
                "template's triggering events come from them.")
        elif now - latest > timedelta(days=STALE_DAYS):
            add("warning", f"stale_{source}_data", f"No {name} events in {STALE_DAYS} days "
                f"(the last arrived {latest.date().isoformat()}).")
    silent = [i for i in indicators
              if not any(t in observed.last_seen for t in i.activity_types)]
    for ind in silent:
        add("recommendation", "indicator_without_data", f"Indicator {ind.key!r} is enabled but "
            f"its source ({ind.data_source}) has sent nothing.")
    if indicators and len(silent) == len(indicators):
        add("warning", "no_indicator_data", "None of the policy's indicators has received any "
            "data: it cannot raise alerts.")
    if (observed.active >= MIN_ACTIVE_FOR_SHARE
            and observed.triggered > TRIGGER_SHARE * observed.active):
        add("recommendation", "trigger_too_broad", f"The triggering event fired for "
            f"{observed.triggered} of {observed.active} active people in 30 days (more than "
            f"{TRIGGER_SHARE:.0%}): alerts will be noisy; narrow the scope or the trigger.")
    status = "warnings" if any(r.level == "warning" for r in reasons) else \
        "recommendations" if reasons else "healthy"
    return status, reasons


async def check(session: AsyncSession, policy: Policy, eff: Effective) -> PolicyHealth:
    now = datetime.now(UTC)
    seen = {r.type: r.last_seen_at for r in await session.execute(
        text("SELECT type, last_seen_at FROM scoring.source_seen"))}
    members = (await session.execute(text(
        "SELECT count(DISTINCT m) FROM scoring.priority_group, "
        "jsonb_array_elements_text(members) AS m WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": policy.scope.get("priority_groups", [])})).scalar() or 0
    kinds = [k for k in TEMPLATES[policy.template].triggering_events if k in STORED_TRIGGERS]
    since = (now - timedelta(days=30)).date()
    counts = (await session.execute(text("""
        SELECT (SELECT count(DISTINCT subject_id) FROM scoring.triggering_event
                WHERE kind = ANY(:kinds) AND day >= :since) AS triggered,
               (SELECT count(DISTINCT subject_id) FROM scoring.daily_activity
                WHERE day >= :since) AS active
    """), {"kinds": kinds, "since": since})).one()
    indicators = [eff.indicators[i["key"]] for i in policy.indicators
                  if i["key"] in eff.indicators]
    status, reasons = assess(policy.template, policy.active, indicators,
                             Observed(seen, members, counts.triggered if kinds else 0,
                                      counts.active), now)
    return PolicyHealth(policy_id=policy.id, status=status, reasons=reasons)  # type: ignore
