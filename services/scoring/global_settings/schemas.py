"""The global settings document: one versioned JSON document an Admin edits as a whole."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.scoring.engine.catalogue import ACTIVITY_TYPES

_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}"
                     r"[a-z0-9])?$")


def _domain(value: str) -> str:
    value = value.strip().casefold()
    if not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a domain (examples: contoso.com, *.contoso.com)")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
Domain = Annotated[str, StringConstraints(max_length=253), AfterValidator(_domain)]
Extension = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                             max_length=32, pattern=r"^\.?[A-Za-z0-9_+-]+$")]
Thresholds = Annotated[list[int], Field(min_length=3, max_length=3)]


def ascending(t: list[int] | None, what: str = "thresholds") -> list[int] | None:
    if t is not None and not (1 <= t[0] < t[1] < t[2]):
        raise ValueError(f"{what} must be three strictly ascending numbers from 1 "
                         "(low, medium, high)")
    return t


class Timeframes(BaseModel):
    """Defaults for new policies: the reference product's policy timeframes."""

    model_config = ConfigDict(extra="forbid")

    activation_days: int = Field(default=30, ge=1, le=30, description="Days a person stays in "
                                 "scope after a triggering event.")
    past_days: int = Field(default=90, ge=0, le=90, description="Days before a triggering "
                           "event whose activity counts (past-activity detection).")


class IntelligentDetections(BaseModel):
    model_config = ConfigDict(extra="forbid")

    excluded_file_types: list[Extension] = Field(default_factory=list, max_length=200,
                                                 description="File extensions never counted.")
    excluded_paths: list[Text] = Field(default_factory=list, max_length=500, description=(
        "Paths never counted: a prefix, or a pattern with * and ? wildcards."))
    excluded_sites: list[Text] = Field(default_factory=list, max_length=500,
                                       description="Site URLs (prefix or pattern) never "
                                       "counted.")
    excluded_keywords: list[Text] = Field(default_factory=list, max_length=500, description=(
        "Activity on files whose name, path or subject contains one of these is not counted."))
    allowed_domains: list[Domain] = Field(default_factory=list, max_length=500, description=(
        "Activity whose every destination is one of these (or a sub-domain) is not counted."))
    unallowed_domains: list[Domain] = Field(default_factory=list, max_length=500, description=(
        "Activity towards these weighs more: each event counts twice."))
    third_party_domains: list[Domain] = Field(default_factory=list, max_length=500,
                                              description="Services the organisation uses; "
                                              "counted normally, never weighed as unallowed.")
    alert_volume: Literal["fewer", "default", "more"] = Field(
        default="default", description="New alerts per policy per day: fewer 10 (and no new "
        "low-severity alerts), default 50, more 200.")
    min_endpoint_alert_status: Literal["new", "in_progress", "resolved"] = Field(
        default="new", description="Endpoint-security alerts below this status (new < "
        "in_progress < resolved) are not imported.")


class PriorityContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[Text] = Field(default_factory=list, max_length=500,
                              description="Site URLs (prefix or pattern).")
    labels: list[Text] = Field(default_factory=list, max_length=200,
                               description="Sensitivity labels (names or ids).")
    info_types: list[Text] = Field(default_factory=list, max_length=200,
                                   description="Sensitive information types.")
    extensions: list[Extension] = Field(default_factory=list, max_length=200)


ActivityTypeName = Annotated[str, StringConstraints(max_length=64)]


def _known_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - ACTIVITY_TYPES)
    if unknown:
        raise ValueError(f"unknown activity types: {', '.join(unknown)}")
    return types


class CustomIndicator(BaseModel):
    """An indicator an Admin defines from activity types (optionally narrowed by attribute
    values), counted per day like the built-in ones."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^custom_[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    category: Literal["access", "collection", "deletion", "exfiltration", "infiltration",
                      "obfuscation", "security"]
    activity_types: list[ActivityTypeName] = Field(min_length=1, max_length=20)
    where: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
                list[Annotated[str, StringConstraints(max_length=200)]]] = Field(
        default_factory=dict, max_length=5, description="attribute -> values it must have")
    default_thresholds: Thresholds

    _types = field_validator("activity_types")(_known_types)

    @field_validator("default_thresholds")
    @classmethod
    def _ascending(cls, t: list[int]) -> list[int]:
        return ascending(t) or t


class CustomSequence(BaseModel):
    """Steps of activity types that, on one file and in this order within `within_days`,
    make a sequence."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^custom_[a-z0-9_]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    steps: list[Annotated[list[ActivityTypeName], Field(min_length=1, max_length=20)]] = Field(
        min_length=2, max_length=5)
    within_days: int = Field(default=7, ge=1, le=30)

    @field_validator("steps")
    @classmethod
    def _types(cls, steps: list[list[str]]) -> list[list[str]]:
        for step in steps:
            _known_types(step)
        return steps


class GlobalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled_indicators: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=200, description="Indicators policies may use; all "
        "are off until enabled here.")
    timeframes: Timeframes = Field(default_factory=Timeframes)
    detections: IntelligentDetections = Field(default_factory=IntelligentDetections)
    priority_content: PriorityContent = Field(default_factory=PriorityContent)
    custom_indicators: list[CustomIndicator] = Field(default_factory=list, max_length=50)
    custom_sequences: list[CustomSequence] = Field(default_factory=list, max_length=20)
    analytics_min_group_size: int = Field(default=5, ge=2, le=1000, description=(
        "Analytics and peer comparisons never show or use groups smaller than this."))

    @model_validator(mode="after")
    def _unique_keys(self) -> GlobalSettings:
        for what, keys in (("custom_indicators", [c.key for c in self.custom_indicators]),
                           ("custom_sequences", [c.key for c in self.custom_sequences])):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            if dup:
                raise ValueError(f"{what}: key {dup[0]!r} is used twice")
        return self


class SettingsRead(BaseModel):
    version: int
    settings: GlobalSettings
    created_by: str
    created_at: datetime | None


class SettingsVersionRead(BaseModel):
    version: int
    created_by: str
    created_at: datetime | None


class SettingsVersionPage(BaseModel):
    items: list[SettingsVersionRead]
    next_cursor: str | None


def snapshot(settings: GlobalSettings) -> dict[str, Any]:
    return settings.model_dump(mode="json")
