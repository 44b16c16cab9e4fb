"""Policy health: healthy, recommendations or warnings, each with its reason. Computed when
asked, from what scoring has seen (source freshness, triggers, people active)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engine.catalogue import PREREQUISITE_SOURCES, TEMPLATES
from services.scoring.global_settings.service import Effective
from services.scoring.models import Policy
from services.scoring.policies.schemas import HealthReason, PolicyHealth

STALE_DAYS = 7
TRIGGER_SHARE = 0.15
STORED_TRIGGERS = ("hr.resignation", "hr.termination", "dlp.high", "endpoint_security.alert",
                   "hr.risky")
SOURCE_NAMES = {"hr": "HR", "dlp": "DLP", "endpoint_security": "endpoint-security",
                "health_records": "health-record"}


async def _last_seen(session: AsyncSession) -> dict[str, datetime]:
    rows = await session.execute(text("SELECT type, last_seen_at FROM scoring.source_seen"))
    return {r.type: r.last_seen_at for r in rows}


def _latest(seen: dict[str, datetime], prefixes: tuple[str, ...]) -> datetime | None:
    times = [t for kind, t in seen.items() if kind.startswith(prefixes)]
    return max(times) if times else None


async def check(session: AsyncSession, policy: Policy, eff: Effective) -> PolicyHealth:
    template = TEMPLATES[policy.template]
    seen = await _last_seen(session)
    now = datetime.now(UTC)
    reasons: list[HealthReason] = []

    def add(level: str, code: str, message: str) -> None:
        reasons.append(HealthReason(level=level, code=code, message=message))  # type: ignore

    if not policy.active:
        add("recommendation", "inactive", "The policy is inactive: nobody is scored by it.")
    for source in template.prerequisites:
        if source == "priority_groups":
            groups = policy.scope.get("priority_groups", [])
            members = (await session.execute(text(
                "SELECT coalesce(sum(jsonb_array_length(members)), 0) FROM "
                "scoring.priority_group WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": groups})).scalar()
            if not members:
                add("warning", "priority_groups_empty", "The policy's priority groups have no "
                    "members: nobody can be scored.")
            continue
        name = SOURCE_NAMES[source]
        latest = _latest(seen, PREREQUISITE_SOURCES[source])
        if latest is None:
            add("warning", f"no_{source}_data", f"No {name} events have ever arrived; this "
                "template's triggering events come from them.")
        elif now - latest > timedelta(days=STALE_DAYS):
            add("warning", f"stale_{source}_data", f"No {name} events in {STALE_DAYS} days "
                f"(the last arrived {latest.date().isoformat()}).")
    silent = []
    for item in policy.indicators:
        ind = eff.indicators.get(item["key"])
        if ind is not None and not any(t in seen for t in ind.activity_types):
            silent.append(ind.key)
    for key in silent:
        add("recommendation", "indicator_without_data", f"Indicator {key!r} is enabled but its "
            f"source ({eff.indicators[key].data_source}) has sent nothing.")
    if silent and len(silent) == len(policy.indicators):
        add("warning", "no_indicator_data", "None of the policy's indicators has received any "
            "data: it cannot raise alerts.")
    kinds = [k for k in template.triggering_events if k in STORED_TRIGGERS]
    if kinds:
        since = (now - timedelta(days=30)).date()
        row = (await session.execute(text("""
            SELECT (SELECT count(DISTINCT subject_id) FROM scoring.triggering_event
                    WHERE kind = ANY(:kinds) AND day >= :since) AS triggered,
                   (SELECT count(DISTINCT subject_id) FROM scoring.daily_activity
                    WHERE day >= :since) AS active
        """), {"kinds": kinds, "since": since})).one()
        if row.active >= 10 and row.triggered > TRIGGER_SHARE * row.active:
            add("recommendation", "trigger_too_broad", f"The triggering event fired for "
                f"{row.triggered} of {row.active} active people in 30 days (more than "
                f"{TRIGGER_SHARE:.0%}): alerts will be noisy; narrow the scope or the trigger.")
    status = "warnings" if any(r.level == "warning" for r in reasons) else \
        "recommendations" if reasons else "healthy"
    return PolicyHealth(policy_id=policy.id, status=status, reasons=reasons)  # type: ignore
