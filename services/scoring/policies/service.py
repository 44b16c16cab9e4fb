"""Policies from templates: validation with clear errors, create / read / update / activate /
deactivate / delete (the name never changes), health, and people added by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update

from services.kit.batch import distinct
from services.kit.db import UnitOfWork, advisory_xact_lock
from services.kit.errors import Conflict, InvalidInput, NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope
from services.scoring.engine.catalogue import ACTIVITY, BOOSTER, CUMULATIVE, TEMPLATES
from services.scoring.engine.classify import PRIORITY_KINDS
from services.scoring.engine.rules import IndicatorRule, PolicyRule
from services.scoring.global_settings import service as settings
from services.scoring.global_settings.service import Effective
from services.scoring.models import AlertDay, Policy, PolicyMember, PriorityGroup, RiskScore
from services.scoring.policies import health
from services.scoring.policies.schemas import (
    MemberCreate,
    MemberRead,
    PolicyBatch,
    PolicyCreate,
    PolicyHealth,
    PolicyIndicator,
    PolicyIndicatorRead,
    PolicyRead,
    PolicyScope,
    PolicyUpdate,
    TemplateRead,
)


class PolicyNotFound(NotFound):
    code = "policy_not_found"


class PolicyNameTaken(Conflict):
    code = "policy_name_taken"


class MemberNotFound(NotFound):
    code = "policy_member_not_found"


def _invalid(field: str, reason: str, index: int | None = None) -> InvalidInput:
    where = f"{field}[{index}]" if index is not None else field
    return InvalidInput(f"{where}: {reason}", code="invalid_policy",
                        extra={"invalid_params": [{"field": field, "index": index,
                                                   "reason": reason}]})


def list_templates() -> list[TemplateRead]:
    return [TemplateRead(key=t.key, name=t.name, description=t.description,
                         triggering_events=list(t.triggering_events),
                         default_indicators=list(t.default_indicators),
                         prerequisites=list(t.prerequisites), sequences=t.sequences,
                         cumulative=t.cumulative, scope=t.scope,
                         default_alert_threshold=t.default_alert_threshold)
            for t in TEMPLATES.values()]


# --- Validation -----------------------------------------------------------------------------

def _indicators(eff: Effective, template: str, chosen: list[PolicyIndicator] | None
                ) -> list[dict]:
    if chosen is None:
        chosen = [PolicyIndicator(key=k) for k in TEMPLATES[template].default_indicators
                  if k in eff.enabled]
        if not chosen:
            raise _invalid("indicators", "none of the template's indicators is enabled; "
                           "enable indicators in the settings first")
    seen: set[str] = set()
    out = []
    for i, ind in enumerate(chosen):
        known = eff.indicators.get(ind.key)
        if known is None:
            raise _invalid("indicators.key", f"unknown indicator {ind.key!r}", i)
        if known.kind != ACTIVITY:
            raise _invalid("indicators.key", f"{ind.key!r} is a {known.kind}; list it under "
                           f"{'boosters' if known.kind == BOOSTER else 'cumulative'}", i)
        if ind.key not in eff.enabled:
            raise _invalid("indicators.key", f"indicator {ind.key!r} is not enabled globally", i)
        if ind.key in seen:
            raise _invalid("indicators.key", f"indicator {ind.key!r} is listed twice", i)
        seen.add(ind.key)
        out.append({"key": ind.key, "mode": ind.mode, "thresholds": ind.thresholds,
                    "byte_thresholds": ind.byte_thresholds})
    return out


def _of_kind(eff: Effective, field: str, kind: str, keys: list[str]) -> list[str]:
    for i, key in enumerate(keys):
        known = eff.indicators.get(key)
        if known is None or known.kind != kind:
            raise _invalid(field, f"{key!r} is not a {kind} indicator", i)
        if key not in eff.enabled:
            raise _invalid(field, f"{key!r} is not enabled globally", i)
    if len(set(keys)) != len(keys):
        raise _invalid(field, "an entry is listed twice")
    return sorted(keys)


async def _scope(uow: UnitOfWork, template: str, scope: PolicyScope) -> dict:
    if TEMPLATES[template].scope == "priority_groups" and scope.kind != "priority_groups":
        raise _invalid("scope.kind", "this template scores priority users: scope it to one or "
                       "more priority groups")
    if scope.kind == "priority_groups":
        rows = await uow.session.execute(select(PriorityGroup.id).where(
            PriorityGroup.id.in_(scope.priority_groups)))
        missing = set(scope.priority_groups) - set(rows.scalars())
        if missing:
            raise _invalid("scope.priority_groups", f"no priority group {sorted(missing)[0]}")
    kind = scope.kind
    return {"kind": kind,
            "groups": sorted(set(scope.groups)) if kind == "groups" else [],
            "people": sorted({str(p) for p in scope.people}) if kind == "people" else [],
            "priority_groups": sorted({str(g) for g in scope.priority_groups})
            if kind == "priority_groups" else []}


async def resolve(uow: UnitOfWork, eff: Effective, template: str, data: Any,
                  base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored fields of a policy from a create, update or draft body; `base` holds the
    current values for an update."""
    if template not in TEMPLATES:
        raise _invalid("template", f"unknown template {template!r}; see GET /templates")
    t = TEMPLATES[template]
    b = base or {}
    out: dict[str, Any] = {}
    out["description"] = data.description if data.description is not None \
        else b.get("description", "")
    scope = data.scope if data.scope is not None else PolicyScope(**b["scope"]) if b.get(
        "scope") else PolicyScope(kind="all") if t.scope == "all" else None
    if scope is None:
        raise _invalid("scope", "this template scores priority users: give a scope of kind "
                       "priority_groups")
    out["scope"] = await _scope(uow, template, scope)
    out["priority_content"] = sorted(set(data.priority_content)) if data.priority_content \
        is not None else b.get("priority_content", [])
    out["indicators"] = _indicators(eff, template, data.indicators) if (
        data.indicators is not None or not b) else b["indicators"]
    if data.boosters is not None:
        out["boosters"] = _of_kind(eff, "boosters", BOOSTER, data.boosters)
    else:
        out["boosters"] = b.get("boosters", sorted(k for k in t.default_boosters
                                                   if k in eff.enabled))
    if data.sequences is not None:
        if data.sequences and not t.sequences:
            raise _invalid("sequences", "sequence detection is for the data theft and data "
                           "leaks templates")
        for i, key in enumerate(data.sequences):
            if key not in eff.sequences:
                raise _invalid("sequences", f"unknown sequence {key!r}; see GET /sequences", i)
        out["sequences"] = sorted(set(data.sequences))
    else:
        out["sequences"] = b.get("sequences", sorted(
            k for k, s in eff.sequences.items() if s.built_in) if t.sequences else [])
    if data.cumulative is not None:
        if data.cumulative and not t.cumulative:
            raise _invalid("cumulative", "cumulative exfiltration detection is for the data "
                           "theft and data leaks templates")
        out["cumulative"] = _of_kind(eff, "cumulative", CUMULATIVE, data.cumulative)
    else:
        # Opt-in, as in the reference product's wizard: it compares people with each other.
        out["cumulative"] = b.get("cumulative", [])
    timeframes = eff.settings.timeframes
    for key, default in (("alert_threshold", t.default_alert_threshold),
                         ("activation_days", timeframes.activation_days),
                         ("past_days", timeframes.past_days), ("active", True)):
        value = getattr(data, key)
        out[key] = value if value is not None else b.get(key, default)
    return out


# --- Reading ---------------------------------------------------------------------------------

def _effective_indicator(eff: Effective, i: dict) -> PolicyIndicatorRead:
    known = eff.indicators.get(i["key"])
    mode = i.get("mode") or "custom"
    thresholds = i.get("thresholds")
    if mode == "default" and known is not None and known.default_thresholds:
        thresholds = list(known.default_thresholds)
    byte_thresholds = i.get("byte_thresholds")
    if byte_thresholds is None and known is not None and known.default_byte_thresholds:
        byte_thresholds = list(known.default_byte_thresholds)
    return PolicyIndicatorRead(key=i["key"], mode=mode, thresholds=thresholds,
                               byte_thresholds=byte_thresholds)


def to_read(p: Policy, eff: Effective) -> PolicyRead:
    return PolicyRead(id=p.id, name=p.name, template=p.template, description=p.description,
                      scope=PolicyScope(**p.scope) if p.scope else PolicyScope(),
                      priority_content=p.priority_content,
                      indicators=[_effective_indicator(eff, i) for i in p.indicators],
                      boosters=p.boosters, sequences=p.sequences, cumulative=p.cumulative,
                      triggering_events=list(TEMPLATES[p.template].triggering_events),
                      alert_threshold=p.alert_threshold, activation_days=p.activation_days,
                      past_days=p.past_days, active=p.active, created_at=p.created_at,
                      updated_at=p.updated_at)


def to_rule(p: Any, eff: Effective) -> PolicyRule:
    """The engine's view of a policy (a Policy row or a resolved draft)."""
    indicators = []
    for i in p.indicators:
        shown = _effective_indicator(eff, i)
        thresholds = None if shown.mode == "baseline" else tuple(shown.thresholds or ())
        indicators.append(IndicatorRule(
            shown.key, thresholds or None,  # type: ignore[arg-type]
            tuple(shown.byte_thresholds) if shown.byte_thresholds else None))  # type: ignore
    mask = 0
    for kind in p.priority_content:
        mask |= PRIORITY_KINDS[kind]
    return PolicyRule(
        triggering_events=TEMPLATES[p.template].triggering_events,
        indicators=tuple(indicators), alert_threshold=p.alert_threshold,
        activation_days=p.activation_days, past_days=p.past_days, priority_content=mask,
        boosters=frozenset(p.boosters),
        sequences=tuple(eff.sequences[k] for k in p.sequences if k in eff.sequences),
        cumulative=frozenset(p.cumulative),
        scope_is_priority=(p.scope or {}).get("kind") == "priority_groups")


def _snapshot(p: Policy, eff: Effective) -> dict:
    return to_read(p, eff).model_dump(mode="json", exclude={"created_at", "updated_at"})


async def get_policy(uow: UnitOfWork, policy_id: uuid.UUID) -> Policy:
    policy = await uow.session.get(Policy, policy_id)
    if policy is None:
        raise PolicyNotFound("no such policy")
    return policy


async def read(uow: UnitOfWork, policy_id: uuid.UUID) -> PolicyRead:
    return to_read(await get_policy(uow, policy_id), await settings.current(uow.session))


async def read_many(uow: UnitOfWork, policy_ids: list[uuid.UUID]) -> PolicyBatch:
    wanted = distinct(policy_ids)
    rows = await uow.session.execute(select(Policy).where(Policy.id.in_(wanted)))
    by_id = {p.id: p for p in rows.scalars()}
    eff = await settings.current(uow.session)
    return PolicyBatch(items=[to_read(by_id[i], eff) for i in wanted if i in by_id],
                       missing=[i for i in wanted if i not in by_id])


async def list_policies(uow: UnitOfWork) -> list[PolicyRead]:
    eff = await settings.current(uow.session)
    rows = await uow.session.execute(select(Policy).order_by(Policy.created_at, Policy.id))
    return [to_read(p, eff) for p in rows.scalars()]


# --- Writing ---------------------------------------------------------------------------------

def _rescore(uow: UnitOfWork, policy: Policy) -> None:
    uow.enqueue_after_commit(SCORING_QUEUE, "score.policy", policy_id=str(policy.id))


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: PolicyCreate) -> PolicyRead:
    # Settings and policies check each other (enabled indicators): one at a time.
    await advisory_xact_lock(uow.session, settings.SETTINGS_LOCK)
    eff = await settings.current(uow.session)
    fields = await resolve(uow, eff, data.template, data)
    exists = await uow.session.execute(select(Policy.id).where(Policy.name == data.name))
    if exists.first():
        raise PolicyNameTaken(f"a policy named {data.name!r} exists")
    policy = Policy(name=data.name, template=data.template, created_by=actor, **fields)
    uow.session.add(policy)
    await uow.session.flush()
    await uow.session.refresh(policy)
    await rt.audit.record(uow.session, actor=actor, action="policy.create",
                          target=f"policy:{policy.id}", detail={"after": _snapshot(policy, eff)})
    _rescore(uow, policy)
    return to_read(policy, eff)


async def update(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID,
                 data: PolicyUpdate) -> PolicyRead:
    policy = await get_policy(uow, policy_id)
    if data.name is not None and data.name != policy.name:
        raise _invalid("name", "a policy's name cannot change after creation")
    if data.template is not None and data.template != policy.template:
        raise _invalid("template", "a policy's template cannot change after creation")
    await advisory_xact_lock(uow.session, settings.SETTINGS_LOCK)
    eff = await settings.current(uow.session)
    before = _snapshot(policy, eff)
    base = {c: getattr(policy, c) for c in (
        "description", "scope", "priority_content", "indicators", "boosters", "sequences",
        "cumulative", "alert_threshold", "activation_days", "past_days", "active")}
    for key, value in (await resolve(uow, eff, policy.template, data, base)).items():
        setattr(policy, key, value)
    policy.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(policy)
    await rt.audit.record(uow.session, actor=actor, action="policy.update",
                          target=f"policy:{policy.id}",
                          detail={"before": before, "after": _snapshot(policy, eff)})
    _rescore(uow, policy)
    return to_read(policy, eff)


async def set_active(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID,
                     active: bool) -> PolicyRead:
    policy = await get_policy(uow, policy_id)
    eff = await settings.current(uow.session)
    if policy.active != active:
        policy.active = active
        policy.updated_at = func.now()
        await uow.session.flush()
        await uow.session.refresh(policy)
        await rt.audit.record(uow.session, actor=actor,
                              action="policy.activate" if active else "policy.deactivate",
                              target=f"policy:{policy.id}", detail={
                                  "before": {"active": not active}, "after": {"active": active}})
        if active:
            _rescore(uow, policy)
    return to_read(policy, eff)


async def delete_policy(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID) -> None:
    """Its scores and people added by hand go with it; alerts it raised stay in cases."""
    policy = await get_policy(uow, policy_id)
    before = _snapshot(policy, await settings.current(uow.session))
    await uow.session.execute(delete(RiskScore).where(RiskScore.policy_id == policy_id))
    await uow.session.execute(delete(AlertDay).where(AlertDay.policy_id == policy_id))
    await uow.session.delete(policy)
    await rt.audit.record(uow.session, actor=actor, action="policy.delete",
                          target=f"policy:{policy_id}", detail={"before": before})


async def policy_health(uow: UnitOfWork, policy_id: uuid.UUID) -> PolicyHealth:
    policy = await get_policy(uow, policy_id)
    eff = await settings.current(uow.session)
    return await health.check(uow.session, policy, eff)


# --- People added by hand ---------------------------------------------------------------------

def _member(m: PolicyMember, today: Any) -> MemberRead:
    return MemberRead(id=m.id, policy_id=m.policy_id, subject_id=m.subject_id, reason=m.reason,
                      starts_on=m.starts_on, until=m.until, added_by=m.added_by,
                      active=m.removed_at is None and m.until >= today,
                      created_at=m.created_at)


async def add_member(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID,
                     data: MemberCreate) -> MemberRead:
    policy = await get_policy(uow, policy_id)
    if "manual" not in TEMPLATES[policy.template].triggering_events:
        raise _invalid("policy", "this template cannot be triggered by hand")
    today = datetime.now(UTC).date()
    member = PolicyMember(policy_id=policy.id, subject_id=data.subject_id, reason=data.reason,
                          starts_on=today,
                          until=today + timedelta(days=data.days or policy.activation_days),
                          added_by=actor)
    uow.session.add(member)
    await uow.session.flush()
    await uow.session.refresh(member)
    await rt.audit.record(uow.session, actor=actor, action="policy.member_add",
                          target=f"policy:{policy.id}",
                          detail={"subject_id": str(data.subject_id), "reason": data.reason,
                                  "until": member.until.isoformat()})
    uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects", subjects=[str(data.subject_id)])
    return _member(member, today)


async def list_members(uow: UnitOfWork, policy_id: uuid.UUID, scope: AccessScope
                       ) -> list[MemberRead]:
    await get_policy(uow, policy_id)
    stmt = select(PolicyMember).where(PolicyMember.policy_id == policy_id)
    if (subjects := scope.subject_list()) is not None:
        stmt = stmt.where(PolicyMember.subject_id.in_(subjects))
    rows = await uow.session.execute(stmt.order_by(PolicyMember.created_at, PolicyMember.id))
    today = datetime.now(UTC).date()
    return [_member(m, today) for m in rows.scalars()]


async def remove_member(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID,
                        member_id: uuid.UUID) -> MemberRead:
    """Ends the manual triggering now (the record stays)."""
    member = await uow.session.get(PolicyMember, member_id)
    if member is None or member.policy_id != policy_id:
        raise MemberNotFound("no such person added to this policy")
    if member.removed_at is None:
        await uow.session.execute(sql_update(PolicyMember).where(PolicyMember.id == member_id)
                                  .values(removed_at=func.now()))
        await rt.audit.record(uow.session, actor=actor, action="policy.member_remove",
                              target=f"policy:{policy_id}",
                              detail={"subject_id": str(member.subject_id)})
        uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects",
                                 subjects=[str(member.subject_id)])
        await uow.session.refresh(member)
    return _member(member, datetime.now(UTC).date())
