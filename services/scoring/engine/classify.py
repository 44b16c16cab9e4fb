"""From one event to what scoring counts: the indicators it counts for, whether the global
settings exclude it, whether it touched priority content or an unallowed domain, and the
triggering event it is. Plain functions over plain data."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.scoring.engine.catalogue import Indicator, counting

# Flags of a counted event (bits): which priority content it touched, where it went.
PRIORITY_SITE, PRIORITY_LABEL, PRIORITY_INFO_TYPE, PRIORITY_EXTENSION = 1, 2, 4, 8
PRIORITY_ANY = 15
UNALLOWED, THIRD_PARTY = 16, 32
PRIORITY_KINDS = {"sites": PRIORITY_SITE, "labels": PRIORITY_LABEL,
                  "info_types": PRIORITY_INFO_TYPE, "extensions": PRIORITY_EXTENSION}

ALERT_STATUS_RANK = {"new": 0, "in_progress": 1, "resolved": 2}


@dataclass(frozen=True)
class Detections:
    """The global settings that decide what counts (all lower-cased)."""

    excluded_file_types: frozenset[str] = frozenset()
    excluded_paths: tuple[str, ...] = ()
    excluded_sites: tuple[str, ...] = ()
    excluded_keywords: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    unallowed_domains: tuple[str, ...] = ()
    third_party_domains: tuple[str, ...] = ()
    min_endpoint_alert_status: str = "new"
    priority_sites: tuple[str, ...] = ()
    priority_labels: frozenset[str] = frozenset()
    priority_info_types: frozenset[str] = frozenset()
    priority_extensions: frozenset[str] = frozenset()
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)  # counting ones
    by_type: dict[str, tuple[Indicator, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Indicator]] = {}
        for ind in self.indicators:
            for t in ind.activity_types:
                index.setdefault(t, []).append(ind)
        object.__setattr__(self, "by_type", {t: tuple(v) for t, v in index.items()})


@dataclass(frozen=True)
class Counted:
    indicator: str
    day: date
    flags: int
    bytes: int


def _low(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""


def _ext(value: Any) -> str:
    return _low(value).lstrip(".")


def domain_matches(domain: str, patterns: Iterable[str]) -> bool:
    """`contoso.com` matches itself and every sub-domain; `*.contoso.com` only sub-domains."""
    for p in patterns:
        if p.startswith("*."):
            if domain.endswith(p[1:]):
                return True
        elif domain == p or domain.endswith("." + p):
            return True
    return False


def _path_matches(path: str, patterns: Iterable[str]) -> bool:
    """A pattern with a wildcard is matched whole (fnmatch); otherwise it names a folder (or
    a file): the path itself or anything under it, so `/sites/hr` does not match
    `/sites/hr-archive`."""
    for p in patterns:
        if any(c in p for c in "*?["):
            if fnmatch.fnmatchcase(path, p):
                return True
        else:
            folder = p.rstrip("/\\")
            if path == folder or path.startswith((folder + "/", folder + "\\")):
                return True
    return False


def domains_of(attrs: Mapping[str, Any]) -> list[str]:
    """Where an event went: its target and recipient domains (comma-separated lists)."""
    out: list[str] = []
    for key in ("target_domain", "recipient_domain"):
        raw = attrs.get(key)
        if isinstance(raw, str):
            out += [d for d in (_low(x) for x in raw.split(",")) if d and d not in out]
    return out


def extension_of(attrs: Mapping[str, Any]) -> str:
    ext = _ext(attrs.get("file_extension"))
    if not ext:
        name = _low(attrs.get("file_name"))
        ext = name.rpartition(".")[2] if "." in name else ""
    return ext


def excluded(d: Detections, attrs: Mapping[str, Any]) -> bool:
    if d.excluded_file_types and extension_of(attrs) in d.excluded_file_types:
        return True
    path = _low(attrs.get("path"))
    if d.excluded_paths and path and _path_matches(path, d.excluded_paths):
        return True
    site = _low(attrs.get("site_url"))
    if d.excluded_sites and site and _path_matches(site, d.excluded_sites):
        return True
    if d.excluded_keywords:
        text = " ".join(_low(attrs.get(k)) for k in ("file_name", "path", "subject"))
        if any(k in text for k in d.excluded_keywords):
            return True
    domains = domains_of(attrs)
    return bool(domains and d.allowed_domains
                and all(domain_matches(x, d.allowed_domains) for x in domains))


def flags_of(d: Detections, attrs: Mapping[str, Any]) -> int:
    flags = 0
    site = _low(attrs.get("site_url"))
    if site and d.priority_sites and _path_matches(site, d.priority_sites):
        flags |= PRIORITY_SITE
    if d.priority_labels and _low(attrs.get("sensitivity_label")) in d.priority_labels:
        flags |= PRIORITY_LABEL
    types = attrs.get("sensitive_info_types")
    if d.priority_info_types and isinstance(types, list) and any(
            _low(t) in d.priority_info_types for t in types):
        flags |= PRIORITY_INFO_TYPE
    if d.priority_extensions and extension_of(attrs) in d.priority_extensions:
        flags |= PRIORITY_EXTENSION
    # Per domain: a third-party domain is never also weighed as unallowed, but a third-party
    # recipient does not hide an unallowed one beside it.
    for x in domains_of(attrs):
        if domain_matches(x, d.third_party_domains):
            flags |= THIRD_PARTY
        elif domain_matches(x, d.unallowed_domains):
            flags |= UNALLOWED
    return flags


def _bytes(attrs: Mapping[str, Any]) -> int:
    b = attrs.get("bytes")
    return b if isinstance(b, int) and not isinstance(b, bool) and b > 0 else 0


def imported(d: Detections, activity_type: str, attrs: Mapping[str, Any]) -> bool:
    """Endpoint-security alerts below the minimum status are not imported at all."""
    if activity_type != "endpoint_security.alert":
        return True
    rank = ALERT_STATUS_RANK.get(_low(attrs.get("status")), 0)
    return rank >= ALERT_STATUS_RANK.get(d.min_endpoint_alert_status, 0)


def classify(d: Detections, activity_type: str, occurred_at: datetime,
             attrs: Mapping[str, Any]) -> list[Counted]:
    """The daily counts one event adds: nothing when excluded."""
    matching = [i for i in d.by_type.get(activity_type, ()) if i.applies(attrs)]
    if not matching or not imported(d, activity_type, attrs) or excluded(d, attrs):
        return []
    flags, size, day = flags_of(d, attrs), _bytes(attrs), occurred_at.date()
    return [Counted(i.key, day, flags, size) for i in matching]


# --- Triggering events ---------------------------------------------------------------------

TRIGGER_DATE_ATTRIBUTE = {"hr.resignation": "resignation_date",
                          "hr.termination": "termination_date"}


def _date_attr(attrs: Mapping[str, Any], name: str) -> date | None:
    raw = attrs.get(name)
    if raw:
        try:
            return date.fromisoformat(str(raw)[:10])
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def trigger_of(d: Detections, activity_type: str, occurred_at: datetime,
               attrs: Mapping[str, Any]) -> tuple[str, date] | None:
    """The triggering event an event is (kind, day), if any. HR events trigger on the date
    they name (resignation date), else when they happened; a date that does not parse falls
    back to the event's own day (ingest refuses such records anyway)."""
    day = occurred_at.date()
    if activity_type in TRIGGER_DATE_ATTRIBUTE:
        return activity_type, _date_attr(attrs, TRIGGER_DATE_ATTRIBUTE[activity_type]) or day
    if activity_type == "dlp.rule_match":
        return ("dlp.high", day) if _low(attrs.get("severity")) == "high" else None
    if activity_type == "endpoint_security.alert":
        return ("endpoint_security.alert", day) if imported(d, activity_type, attrs) else None
    effective = _date_attr(attrs, "effective_date") or day
    if activity_type == "hr.performance_improvement_plan":
        return "hr.risky", effective
    if activity_type == "hr.job_level_change":
        old, new = _number(attrs.get("old_level")), _number(attrs.get("new_level"))
        return ("hr.risky", effective) if old is not None and new is not None and new < old \
            else None
    if activity_type == "hr.performance_review":
        rating = _number(attrs.get("rating"))
        return ("hr.risky", effective) if rating is not None and rating <= 2 else None
    return None


def _basename(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip().replace("\\", "/").rstrip("/").rpartition("/")[2].strip().casefold()


def file_key(attrs: Mapping[str, Any], salt: bytes = b"") -> str | None:
    """An opaque id for the file an event touched, so sequences can follow one file across
    sources without naming it. The file's name is what every source reports (SharePoint by
    URL, a device by local path, mail by attachment name), so it is the key; a content hash
    is used only when there is no name. Keyed by `salt` (the person), so the same name gives
    different ids for different people."""
    raw = _basename(attrs.get("file_name")) or _basename(attrs.get("path"))
    if not raw:
        sha = attrs.get("sha256")
        raw = "sha256:" + sha.strip().casefold() if isinstance(sha, str) and sha.strip() else ""
    if not raw:
        return None
    return "f-" + hmac.new(salt or b"openirm", raw.encode(), hashlib.sha256).hexdigest()[:16]


def detections(indicators: dict[str, Indicator], **settings: Any) -> Detections:
    """Detections from plain settings values (lists of strings, any case)."""
    low = {k: tuple(_low(x) for x in v if _low(x)) for k, v in settings.items()
           if isinstance(v, list | tuple)}
    return Detections(
        excluded_file_types=frozenset(x.lstrip(".") for x in low.get("excluded_file_types", ())),
        excluded_paths=low.get("excluded_paths", ()),
        excluded_sites=low.get("excluded_sites", ()),
        excluded_keywords=low.get("excluded_keywords", ()),
        allowed_domains=low.get("allowed_domains", ()),
        unallowed_domains=low.get("unallowed_domains", ()),
        third_party_domains=low.get("third_party_domains", ()),
        min_endpoint_alert_status=str(settings.get("min_endpoint_alert_status") or "new"),
        priority_sites=low.get("priority_sites", ()),
        priority_labels=frozenset(low.get("priority_labels", ())),
        priority_info_types=frozenset(low.get("priority_info_types", ())),
        priority_extensions=frozenset(x.lstrip(".") for x in low.get("priority_extensions", ())),
        indicators=tuple(counting(indicators)))
