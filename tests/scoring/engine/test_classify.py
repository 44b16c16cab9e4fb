"""From one event to what scoring counts: exclusions, priority-content and domain flags,
triggering events, health-record indicators and file keys."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.scoring.engine.classify import (
    PRIORITY_EXTENSION,
    PRIORITY_INFO_TYPE,
    PRIORITY_LABEL,
    PRIORITY_SITE,
    THIRD_PARTY,
    UNALLOWED,
    Detections,
    classify,
    file_key,
    trigger_of,
)
from services.scoring.global_settings.schemas import GlobalSettings
from services.scoring.global_settings.service import effective

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
DAY = date(2026, 3, 1)
EMAIL = "email.sent_external_with_attachment"
EDR_ALERT = "endpoint_security.alert"
EDR_INDICATOR = {"key": "custom_edr_alert", "name": "Endpoint alerts", "category": "security",
                 "activity_types": [EDR_ALERT], "default_thresholds": [1, 2, 3]}


def det(detections: dict | None = None, priority: dict | None = None,
        custom: list[dict] | None = None) -> Detections:
    """Detections as the engine gets them: from a validated global-settings document."""
    return effective(1, GlobalSettings.model_validate({
        "detections": detections or {}, "priority_content": priority or {},
        "custom_indicators": custom or []})).detections


def counted(d: Detections, kind: str, **attrs: Any) -> list[tuple[str, int, int]]:
    return [(c.indicator, c.flags, c.bytes) for c in classify(d, kind, AT, attrs)]


def counts(d: Detections, kind: str, **attrs: Any) -> bool:
    return bool(classify(d, kind, AT, attrs))


def flags(d: Detections, kind: str = EMAIL, **attrs: Any) -> int:
    (c,) = classify(d, kind, AT, attrs)
    return c.flags


def test_a_counted_event() -> None:
    (c,) = classify(det(), "file.downloaded", AT, {"file_name": "plan.docx", "bytes": 1234})
    assert (c.indicator, c.day, c.flags, c.bytes) == ("download", DAY, 0, 1234)
    assert classify(det(), "hr.resignation", AT, {}) == []
    assert classify(det(), "file.uploaded", AT, {}) == []  # no indicator counts it


@pytest.mark.parametrize(("raw", "size"), [(1234, 1234), (0, 0), (-5, 0), (True, 0),
                                           ("100", 0), (None, 0)])
def test_bytes_only_when_a_positive_integer(raw: object, size: int) -> None:
    assert counted(det(), "file.downloaded", bytes=raw) == [("download", 0, size)]


# --- Exclusions -----------------------------------------------------------------------------

def test_excluded_file_types() -> None:
    d = det({"excluded_file_types": [".tmp", "log"]})
    assert not counts(d, "file.downloaded", file_name="notes.TMP")
    assert not counts(d, "file.downloaded", file_extension=".Log")
    assert not counts(d, "file.downloaded", file_name="notes.docx", file_extension="tmp")
    assert counts(d, "file.downloaded", file_name="notes.tmp.docx")
    assert counts(d, "file.downloaded", file_name="tmp")
    assert counts(d, "file.downloaded")


def test_excluded_path_prefix() -> None:
    d = det({"excluded_paths": ["/sites/HR/"]})
    assert not counts(d, "file.downloaded", path="/Sites/hr/Salaries.xlsx")
    assert counts(d, "file.downloaded", path="/sites/hrx/a.docx")
    assert counts(d, "file.downloaded", path="/archive/sites/hr/a.docx")  # a prefix only


def test_excluded_path_pattern_is_matched_whole() -> None:
    d = det({"excluded_paths": ["*/archive/*", "/sites/*/temp", "/drafts/v?.docx"]})
    assert not counts(d, "file.downloaded", path="/sites/a/Archive/b.docx")
    assert counts(d, "file.downloaded", path="/sites/a/archived/b.docx")
    assert not counts(d, "file.downloaded", path="/sites/a/temp")
    assert counts(d, "file.downloaded", path="/sites/a/temp/b.docx")
    assert not counts(d, "file.downloaded", path="/drafts/v1.docx")
    assert counts(d, "file.downloaded", path="/drafts/v10.docx")


def test_excluded_sites() -> None:
    d = det({"excluded_sites": ["https://contoso.sharepoint.com/sites/Lab"]})
    assert not counts(d, "file.downloaded",
                      site_url="https://contoso.sharepoint.com/sites/lab/Shared Documents")
    assert counts(d, "file.downloaded", site_url="https://contoso.sharepoint.com/sites/legal")
    # A site is not a path: the site list does not exclude by path.
    assert counts(d, "file.downloaded", path="https://contoso.sharepoint.com/sites/lab/x")


def test_excluded_keywords_are_case_insensitive() -> None:
    d = det({"excluded_keywords": ["PayRoll"]})
    assert not counts(d, "file.downloaded", file_name="Q3-PAYROLL.xlsx")
    assert not counts(d, "file.downloaded", path="/finance/payroll/q3.xlsx")
    assert not counts(d, EMAIL, subject="Payroll run for March")
    assert counts(d, "file.downloaded", file_name="pay-roll.xlsx")
    assert counts(d, EMAIL, subject="Roadmap", recipient_domain="payroll.example")


@pytest.mark.parametrize(("domains", "excluded"), [
    ("contoso.com", True),
    ("CONTOSO.com", True),
    ("mail.contoso.com", True),  # a sub-domain of an allowed domain
    ("notcontoso.com", False),
    ("contoso.com.evil.example", False),
    ("partner.org", False),  # *.partner.org allows sub-domains only
    ("eu.partner.org", True),
    ("contoso.com,eu.partner.org", True),
    ("contoso.com, gmail.com", False),  # every destination must be allowed
    ("", False),
])
def test_allowed_domains(domains: str, excluded: bool) -> None:
    d = det({"allowed_domains": ["contoso.com", "*.partner.org"]})
    assert counts(d, EMAIL, target_domain=domains) is not excluded
    assert counts(d, EMAIL, recipient_domain=domains) is not excluded


def test_no_exclusions_without_settings() -> None:
    d = det()
    assert counts(d, EMAIL, target_domain="contoso.com", file_name="payroll.tmp",
                  path="/sites/hr/payroll.tmp")


@pytest.mark.parametrize(("minimum", "status", "imported"), [
    ("new", "new", True), ("new", None, True), ("in_progress", "new", False),
    ("in_progress", None, False), ("in_progress", "In_Progress", True),
    ("in_progress", "resolved", True), ("resolved", "in_progress", False),
    ("resolved", "resolved", True)])
def test_endpoint_alerts_below_the_minimum_status(minimum: str, status: str | None,
                                                  imported: bool) -> None:
    d = det({"min_endpoint_alert_status": minimum}, custom=[EDR_INDICATOR])
    attrs = {"status": status} if status else {}
    assert counted(d, EDR_ALERT, **attrs) == ([("custom_edr_alert", 0, 0)] if imported else [])
    assert trigger_of(d, EDR_ALERT, AT, attrs) == ((EDR_ALERT, DAY) if imported else None)


# --- Flags ----------------------------------------------------------------------------------

PRIORITY = det(priority={"sites": ["https://contoso.sharepoint.com/sites/Finance"],
                         "labels": ["Highly Confidential"], "info_types": ["Credit Card Number"],
                         "extensions": [".pdf"]})


@pytest.mark.parametrize(("attrs", "expected"), [
    ({}, 0),
    ({"site_url": "https://contoso.sharepoint.com/sites/finance/Shared Documents"},
     PRIORITY_SITE),
    ({"site_url": "https://contoso.sharepoint.com/sites/legal"}, 0),
    ({"sensitivity_label": "HIGHLY CONFIDENTIAL"}, PRIORITY_LABEL),
    ({"sensitivity_label": "Confidential"}, 0),
    ({"sensitive_info_types": ["Passport", "credit card number"]}, PRIORITY_INFO_TYPE),
    ({"sensitive_info_types": "Credit Card Number"}, 0),  # not a list
    ({"file_name": "plan.PDF"}, PRIORITY_EXTENSION),
    ({"file_name": "plan.pdf.docx"}, 0),
    ({"file_extension": "pdf", "file_name": "plan.docx"}, PRIORITY_EXTENSION),
    ({"site_url": "https://contoso.sharepoint.com/sites/finance", "file_name": "a.pdf",
      "sensitivity_label": "highly confidential", "sensitive_info_types": ["credit card number"]},
     PRIORITY_SITE | PRIORITY_LABEL | PRIORITY_INFO_TYPE | PRIORITY_EXTENSION),
])
def test_priority_content_flags(attrs: dict, expected: int) -> None:
    assert flags(PRIORITY, "file.downloaded", **attrs) == expected


DOMAINS = det({"unallowed_domains": ["gmail.com", "both.example"],
               "third_party_domains": ["dropbox.com", "*.box.com", "both.example"]},
              priority={"labels": ["secret"]})


@pytest.mark.parametrize(("domains", "expected"), [
    ("gmail.com", UNALLOWED),
    ("mail.gmail.com", UNALLOWED),
    ("dropbox.com", THIRD_PARTY),
    ("eu.box.com", THIRD_PARTY),
    ("box.com", 0),
    ("both.example", THIRD_PARTY),  # on both lists: third party wins
    ("outlook.com", 0),
    ("outlook.com,gmail.com", UNALLOWED),
    ("", 0),
])
def test_unallowed_and_third_party_domains(domains: str, expected: int) -> None:
    assert flags(DOMAINS, target_domain=domains) == expected
    assert flags(DOMAINS, recipient_domain=domains) == expected


def test_priority_and_domain_flags_combine() -> None:
    assert flags(DOMAINS, target_domain="gmail.com", sensitivity_label="Secret") == \
        PRIORITY_LABEL | UNALLOWED


def test_flags_do_not_depend_on_attributes_outside_the_settings() -> None:
    # Settings without priority content or domains: nothing is ever flagged.
    assert flags(det(), target_domain="gmail.com", sensitivity_label="Secret",
                 file_name="a.pdf") == 0


# --- Triggering events ----------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "attrs", "expected"), [
    ("hr.resignation", {"resignation_date": "2026-04-30"}, ("hr.resignation", date(2026, 4, 30))),
    ("hr.resignation", {"resignation_date": "2026-04-30T00:00:00Z"},
     ("hr.resignation", date(2026, 4, 30))),
    ("hr.resignation", {}, ("hr.resignation", DAY)),
    ("hr.resignation", {"resignation_date": "soon"}, ("hr.resignation", DAY)),
    ("hr.resignation", {"termination_date": "2026-04-30"}, ("hr.resignation", DAY)),
    ("hr.termination", {"termination_date": "2026-05-02"}, ("hr.termination", date(2026, 5, 2))),
    ("dlp.rule_match", {"severity": "High"}, ("dlp.high", DAY)),
    ("dlp.rule_match", {"severity": "medium"}, None),
    ("dlp.rule_match", {}, None),
    ("hr.performance_improvement_plan", {"effective_date": "2026-03-15"},
     ("hr.risky", date(2026, 3, 15))),
    ("hr.performance_improvement_plan", {}, ("hr.risky", DAY)),
    ("hr.job_level_change", {"old_level": 5, "new_level": 3, "effective_date": "2026-02-01"},
     ("hr.risky", date(2026, 2, 1))),
    ("hr.job_level_change", {"old_level": "5", "new_level": "4.5"}, ("hr.risky", DAY)),
    ("hr.job_level_change", {"old_level": 3, "new_level": 5}, None),
    ("hr.job_level_change", {"old_level": 3, "new_level": 3}, None),
    ("hr.job_level_change", {"new_level": 1}, None),
    ("hr.job_level_change", {"old_level": "senior", "new_level": 1}, None),
    ("hr.performance_review", {"rating": 2}, ("hr.risky", DAY)),
    ("hr.performance_review", {"rating": "1", "effective_date": "2026-01-31"},
     ("hr.risky", date(2026, 1, 31))),
    ("hr.performance_review", {"rating": 2.5}, None),
    ("hr.performance_review", {"rating": 3}, None),
    ("hr.performance_review", {}, None),
    ("file.downloaded", {"severity": "high"}, None),
])
def test_trigger_of(kind: str, attrs: dict, expected: tuple[str, date] | None) -> None:
    assert trigger_of(det(), kind, AT, attrs) == expected


def test_triggers_are_not_subject_to_exclusions() -> None:
    d = det({"excluded_paths": ["/sites/hr"], "allowed_domains": ["contoso.com"]})
    assert trigger_of(d, "dlp.rule_match", AT, {"severity": "high", "path": "/sites/hr/a",
                                                "target_domain": "contoso.com"}) == \
        ("dlp.high", DAY)


# --- Health records -------------------------------------------------------------------------

@pytest.mark.parametrize(("relationship", "indicators"), [
    (None, ["health_record_volume"]),
    ("patient", ["health_record_volume"]),
    ("self", ["health_own_record", "health_record_volume"]),
    ("family", ["health_family_record", "health_record_volume"]),
    ("same_address", ["health_family_record", "health_record_volume"]),
    ("colleague", ["health_colleague_record", "health_record_volume"]),
    ("vip", ["health_colleague_record", "health_record_volume"]),
])
def test_health_record_indicators_by_relationship(relationship: str | None,
                                                  indicators: list[str]) -> None:
    attrs = {"relationship": relationship} if relationship else {}
    assert sorted(i for i, _, _ in counted(det(), "health.record_accessed", **attrs)) == \
        indicators


def test_custom_indicator_where() -> None:
    custom = {"key": "custom_big_share", "name": "Shares to partners", "category":
              "exfiltration", "activity_types": ["file.shared_externally"],
              "where": {"audience": ["partner"]}, "default_thresholds": [1, 2, 3]}
    d = det(custom=[custom])
    assert sorted(i for i, _, _ in counted(d, "file.shared_externally", audience="partner")) == \
        ["custom_big_share", "share_external"]
    assert [i for i, _, _ in counted(d, "file.shared_externally", audience="anyone")] == \
        ["share_external"]


# --- File keys ------------------------------------------------------------------------------

def test_file_key_is_stable_and_opaque() -> None:
    key = file_key({"file_name": "Salaries 2026.xlsx"})
    assert key is not None and re.fullmatch(r"f-[0-9a-f]{16}", key)
    assert "salaries" not in key.casefold()
    assert file_key({"file_name": " salaries 2026.XLSX "}) == key
    assert file_key({"file_name": "Salaries 2025.xlsx"}) != key


def test_file_key_follows_the_file_name_across_sources() -> None:
    sharepoint = file_key({"path": "https://contoso.sharepoint.com/sites/hr/Plan.xlsx"})
    device = file_key({"path": "C:\\Users\\meg\\Downloads\\plan.xlsx",
                       "sha256": "ab" * 32})
    mail = file_key({"file_name": "plan.xlsx"})
    assert sharepoint == device == mail
    assert file_key({"sha256": "ab" * 32}) not in (None, sharepoint)  # no name: the hash
    assert "plan" not in str(sharepoint)
    # Keyed by the person: the same name is a different id for someone else.
    assert file_key({"file_name": "plan.xlsx"}, b"person-2") != mail


@pytest.mark.parametrize("attrs", [{}, {"file_name": "  "}, {"path": 7}, {"sha256": None}])
def test_no_file_key_without_a_file(attrs: dict) -> None:
    assert file_key(attrs) is None
