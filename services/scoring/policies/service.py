"""Policies from templates: validation, create, read, update (the name never changes)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from services.kit.db import UnitOfWork
from services.kit.errors import Conflict, InvalidInput, NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import INDICATORS, TEMPLATES
from services.scoring.engine.rules import IndicatorRule, PolicyRule
from services.scoring.indicators.service import enabled_keys
from services.scoring.models import Policy
from services.scoring.policies.schemas import (
    IndicatorThresholds,
    PolicyCreate,
    PolicyRead,
    PolicyUpdate,
    TemplateRead,
)


class PolicyNotFound(NotFound):
    code = "policy_not_found"


class PolicyNameTaken(Conflict):
    code = "policy_name_taken"


def _invalid(field: str, reason: str, index: int | None = None) -> InvalidInput:
    where = f"{field}[{index}]" if index is not None else field
    return InvalidInput(f"{where}: {reason}", code="invalid_policy",
                        extra={"invalid_params": [{"field": field, "index": index,
                                                   "reason": reason}]})


def list_templates() -> list[TemplateRead]:
    return [TemplateRead(key=t.key, name=t.name, description=t.description,
                         triggering_events=list(t.triggering_events),
                         default_indicators=list(t.default_indicators))
            for t in TEMPLATES.values()]


async def _resolve_indicators(uow: UnitOfWork, template: str,
                              chosen: list[IndicatorThresholds] | None) -> list[dict]:
    enabled = await enabled_keys(uow)
    if chosen is None:
        chosen = [IndicatorThresholds(key=k) for k in TEMPLATES[template].default_indicators
                  if k in enabled]
        if not chosen:
            raise _invalid("indicators", "none of the template's indicators is enabled; "
                           "enable indicators first")
    seen: set[str] = set()
    out = []
    for i, ind in enumerate(chosen):
        if ind.key not in INDICATORS:
            raise _invalid("indicators.key", f"unknown indicator {ind.key!r}", i)
        if ind.key not in enabled:
            raise _invalid("indicators.key", f"indicator {ind.key!r} is not enabled globally", i)
        if ind.key in seen:
            raise _invalid("indicators.key", f"indicator {ind.key!r} is listed twice", i)
        seen.add(ind.key)
        thresholds = ind.thresholds or list(INDICATORS[ind.key].default_thresholds)
        out.append({"key": ind.key, "thresholds": thresholds})
    return out


def to_read(p: Policy) -> PolicyRead:
    return PolicyRead(id=p.id, name=p.name, template=p.template, description=p.description,
                      indicators=[IndicatorThresholds(**i) for i in p.indicators],
                      alert_threshold=p.alert_threshold, activation_days=p.activation_days,
                      past_days=p.past_days, active=p.active, created_at=p.created_at,
                      updated_at=p.updated_at)


def to_rule(p: Policy) -> PolicyRule:
    return PolicyRule(triggering_events=TEMPLATES[p.template].triggering_events,
                      indicators=tuple(IndicatorRule(i["key"], tuple(i["thresholds"]))
                                       for i in p.indicators),
                      alert_threshold=p.alert_threshold, activation_days=p.activation_days,
                      past_days=p.past_days)


def _snapshot(p: Policy) -> dict:
    return to_read(p).model_dump(mode="json", exclude={"created_at", "updated_at"})


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: PolicyCreate) -> PolicyRead:
    if data.template not in TEMPLATES:
        raise _invalid("template", f"unknown template {data.template!r}")
    exists = await uow.session.execute(select(Policy.id).where(Policy.name == data.name))
    if exists.first():
        raise PolicyNameTaken(f"a policy named {data.name!r} exists")
    policy = Policy(name=data.name, template=data.template, description=data.description,
                    indicators=await _resolve_indicators(uow, data.template, data.indicators),
                    alert_threshold=data.alert_threshold, activation_days=data.activation_days,
                    past_days=data.past_days, active=data.active, created_by=actor)
    uow.session.add(policy)
    await uow.session.flush()
    await uow.session.refresh(policy)
    await rt.audit.record(uow.session, actor=actor, action="policy.create",
                          target=f"policy:{policy.id}", detail={"after": _snapshot(policy)})
    uow.enqueue_after_commit(SCORING_QUEUE, "score.policy", policy_id=str(policy.id))
    return to_read(policy)


async def get_policy(uow: UnitOfWork, policy_id: uuid.UUID) -> Policy:
    policy = await uow.session.get(Policy, policy_id)
    if policy is None:
        raise PolicyNotFound("no such policy")
    return policy


async def list_policies(uow: UnitOfWork) -> list[PolicyRead]:
    rows = await uow.session.execute(select(Policy).order_by(Policy.created_at, Policy.id))
    return [to_read(p) for p in rows.scalars()]


async def update(rt: Runtime, uow: UnitOfWork, actor: str, policy_id: uuid.UUID,
                 data: PolicyUpdate) -> PolicyRead:
    policy = await get_policy(uow, policy_id)
    before = _snapshot(policy)
    changes = data.model_dump(exclude_unset=True, exclude={"indicators"})
    for key, value in changes.items():
        if value is not None:
            setattr(policy, key, value)
    if data.indicators is not None:
        policy.indicators = await _resolve_indicators(uow, policy.template, data.indicators)
    policy.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(policy)
    await rt.audit.record(uow.session, actor=actor, action="policy.update",
                          target=f"policy:{policy.id}",
                          detail={"before": before, "after": _snapshot(policy)})
    uow.enqueue_after_commit(SCORING_QUEUE, "score.policy", policy_id=str(policy.id))
    return to_read(policy)
