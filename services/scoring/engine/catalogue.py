"""Indicators, sequences and policy templates. Plain data: what each indicator counts and its
default daily thresholds, the built-in sequences, and what each template triggers on, scores
by default and needs before it can work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The reference product's indicator groups, in its order.
GROUPS = ("office", "device", "endpoint_security", "risky_browsing", "generative_ai",
          "physical_access", "health_records", "cumulative_exfiltration", "risk_score_boosters",
          "custom")
CATEGORIES = ("access", "collection", "deletion", "exfiltration", "infiltration", "obfuscation",
              "security")

M365 = "Microsoft 365 audit log (SharePoint, OneDrive) or canonical events"
EXCHANGE = "Microsoft 365 audit log (Exchange) or canonical events"
TEAMS = "Teams / chat activity (canonical events)"
ENDPOINT = "Endpoint DLP (Microsoft 365 audit log) or canonical device events"
EDR = "Endpoint security (EDR) events"
BROWSER = "Browser or web-proxy events"
AI = "Generative-AI assistant events"
BADGING = "Physical badging connector"
EHR = "Health-record (EHR/EMR) system events"
SCORING = "Computed by scoring from the indicators above"
DIRECTORY = "People directory and cases"

# What an indicator is: counted per day against thresholds, a cumulative comparison with the
# organisation, or a booster that multiplies a score.
ACTIVITY, CUMULATIVE, BOOSTER = "activity", "cumulative", "booster"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    group: str
    category: str | None
    activity_types: tuple[str, ...]
    default_thresholds: tuple[int, int, int] | None  # daily counts for low, medium, high
    data_source: str
    description: str = ""
    kind: str = ACTIVITY
    # Only events whose attribute has one of these values count (e.g. a relationship).
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Daily bytes for low, medium, high where the volume of data matters.
    default_byte_thresholds: tuple[int, int, int] | None = None

    def applies(self, attributes: Mapping[str, Any]) -> bool:
        """For an event of one of its activity types: do its attributes qualify?"""
        return all(attributes.get(attr) in values for attr, values in self.where)


MB = 1_000_000
EXFIL_BYTES = (100 * MB, 1_000 * MB, 5_000 * MB)


def _i(key: str, name: str, group: str, category: str, types: tuple[str, ...],
       thresholds: tuple[int, int, int], source: str, **kw: object) -> Indicator:
    return Indicator(key, name, group, category, types, thresholds, source,
                     description=str(kw.pop("description", name + ".")), **kw)  # type: ignore


BUILT_IN: tuple[Indicator, ...] = (
    # Office
    _i("download", "Downloading content from SharePoint or OneDrive", "office", "collection",
       ("file.downloaded",), (20, 100, 300), M365, default_byte_thresholds=EXFIL_BYTES),
    _i("sync", "Syncing files from SharePoint or OneDrive to a device", "office",
       "collection", ("file.synced",), (20, 100, 300), M365),
    _i("share_external", "Sharing files with people outside the organization", "office",
       "exfiltration", ("file.shared_externally",), (2, 10, 25), M365),
    _i("anonymous_link", "Creating anonymous links to files", "office", "exfiltration",
       ("file.anonymous_link_created",), (1, 3, 10), M365),
    _i("delete", "Deleting files", "office", "deletion", ("file.deleted",), (20, 100, 300),
       M365),
    _i("label_downgrade", "Downgrading or removing sensitivity labels", "office",
       "obfuscation", ("file.label_downgraded", "file.label_removed"), (1, 3, 10), M365),
    _i("email_external_attachment", "Sending email with attachments outside the "
       "organization", "office", "exfiltration", ("email.sent_external_with_attachment",),
       (2, 10, 25), EXCHANGE, default_byte_thresholds=EXFIL_BYTES),
    _i("email_personal_address", "Sending email to a personal address", "office",
       "exfiltration", ("email.sent_to_personal_address",), (1, 5, 15), EXCHANGE),
    _i("email_forwarding_rule", "Creating inbox rules that forward mail", "office",
       "exfiltration", ("email.forwarding_rule_created",), (1, 2, 3), EXCHANGE),
    _i("chat_share_external", "Sharing files in chats with people outside the organization",
       "office", "exfiltration", ("chat.file_shared_externally",), (1, 5, 15), TEAMS),
    # Device
    _i("usb_copy", "Copying files to USB", "device", "exfiltration",
       ("device.file_copied_to_usb",), (1, 10, 30), ENDPOINT,
       default_byte_thresholds=EXFIL_BYTES),
    _i("cloud_upload", "Uploading files to cloud storage", "device", "exfiltration",
       ("device.file_uploaded_to_cloud",), (1, 10, 30), ENDPOINT,
       default_byte_thresholds=EXFIL_BYTES),
    _i("browser_upload", "Uploading files to websites from a browser", "device",
       "exfiltration", ("device.file_uploaded_from_browser",), (1, 10, 30), ENDPOINT,
       default_byte_thresholds=EXFIL_BYTES),
    _i("network_share", "Copying files to network shares", "device", "exfiltration",
       ("device.file_copied_to_network_share",), (2, 10, 30), ENDPOINT),
    _i("cloud_sync_folder", "Copying files to cloud sync folders", "device", "exfiltration",
       ("device.file_copied_to_cloud_sync_folder",), (2, 10, 30), ENDPOINT),
    _i("remote_desktop_copy", "Copying files over remote-desktop sessions", "device",
       "exfiltration", ("device.remote_desktop_copy",), (1, 5, 15), ENDPOINT),
    _i("print", "Printing files", "device", "exfiltration", ("device.file_printed",),
       (3, 15, 40), ENDPOINT),
    _i("archive", "Creating archives", "device", "collection", ("device.file_archived",),
       (2, 10, 25), ENDPOINT),
    _i("rename", "Renaming files on devices", "device", "obfuscation",
       ("device.file_renamed",), (10, 50, 150), ENDPOINT),
    _i("obfuscate", "Disguising files (changing extension or type)", "device",
       "obfuscation", ("device.file_obfuscated",), (1, 3, 10), ENDPOINT),
    _i("device_delete", "Deleting files on devices", "device", "deletion",
       ("device.file_deleted",), (20, 100, 300), ENDPOINT),
    # Endpoint security
    _i("antivirus_disabled", "Turning off antivirus protection", "endpoint_security",
       "security", ("security.antivirus_disabled",), (1, 2, 3), EDR),
    _i("unwanted_software", "Installing unwanted software", "endpoint_security", "security",
       ("security.unwanted_software",), (1, 2, 3), EDR),
    _i("defense_evasion", "Evading security controls", "endpoint_security", "security",
       ("security.defense_evasion",), (1, 2, 3), EDR),
    _i("failed_sign_ins", "Repeated failed sign-ins", "endpoint_security", "security",
       ("security.failed_sign_ins",), (1, 3, 10), EDR),
    # Risky browsing, generative AI, physical access
    _i("risky_browsing", "Browsing to risky websites", "risky_browsing", "infiltration",
       ("browsing.risky_site_visited",), (1, 5, 20), BROWSER),
    _i("ai_sensitive_prompt", "Entering sensitive information in AI prompts",
       "generative_ai", "exfiltration", ("ai.prompt_with_sensitive_info",), (1, 5, 15), AI),
    _i("ai_sensitive_response", "Receiving sensitive information from AI assistants",
       "generative_ai", "access", ("ai.response_with_sensitive_info",), (1, 5, 15), AI),
    _i("ai_risky_prompt", "Trying to bypass AI safeguards", "generative_ai", "security",
       ("ai.risky_prompt",), (1, 3, 10), AI),
    _i("badge_failed", "Failed physical access attempts", "physical_access", "access",
       ("physical.badge_failed",), (1, 3, 10), BADGING),
    # Health records
    _i("health_record_volume", "Unusual volume of patient-record access", "health_records",
       "access", ("health.record_accessed",), (50, 150, 400), EHR),
    _i("health_own_record", "Accessing one's own health record", "health_records", "access",
       ("health.record_accessed",), (1, 3, 10), EHR, where=(("relationship", ("self",)),)),
    _i("health_family_record", "Accessing records of family members or people at the same "
       "address", "health_records", "access", ("health.record_accessed",), (1, 2, 5), EHR,
       where=(("relationship", ("family", "same_address")),)),
    _i("health_colleague_record", "Accessing records of colleagues or VIP patients",
       "health_records", "access", ("health.record_accessed",), (1, 2, 5), EHR,
       where=(("relationship", ("colleague", "vip")),)),
    # Cumulative exfiltration: a person's exfiltration over 30 days against others'.
    Indicator("cumulative_exfiltration_org", "Exfiltration above the organization's norm",
              "cumulative_exfiltration", "exfiltration", (), None, SCORING, kind=CUMULATIVE,
              description="A person's exfiltration events over 30 days at or above the 90th "
              "percentile of everyone active in the organization."),
    Indicator("cumulative_exfiltration_peers", "Exfiltration above the peer group's norm",
              "cumulative_exfiltration", "exfiltration", (), None, SCORING, kind=CUMULATIVE,
              description="The same comparison within the person's department (groups under "
              "the minimum size are never compared)."),
    # Risk score boosters
    Indicator("booster_above_baseline", "Activity above the person's usual activity",
              "risk_score_boosters", None, (), None, SCORING, kind=BOOSTER,
              description="A day's count of an indicator is at least three times the person's "
              "average daily count over the 30 days before."),
    Indicator("booster_priority_group", "Member of a priority user group",
              "risk_score_boosters", None, (), None, DIRECTORY, kind=BOOSTER,
              description="The person belongs to a priority user group."),
    Indicator("booster_previous_violation", "Previous case closed as a policy violation",
              "risk_score_boosters", None, (), None, DIRECTORY, kind=BOOSTER,
              description="A case about the person was closed as a confirmed violation."),
    Indicator("booster_high_impact", "Potential high-impact person", "risk_score_boosters",
              None, (), None, DIRECTORY, kind=BOOSTER,
              description="The directory marks the person as potentially high impact "
              "(senior level, privileged access)."),
)
INDICATORS: dict[str, Indicator] = {i.key: i for i in BUILT_IN}

BOOSTER_PCT = {"booster_above_baseline": 25, "booster_priority_group": 25,
               "booster_previous_violation": 50, "booster_high_impact": 25}
CUMULATIVE_SCOPE = {"cumulative_exfiltration_org": "org",
                    "cumulative_exfiltration_peers": "peers"}


def counting(indicators: dict[str, Indicator]) -> list[Indicator]:
    return [i for i in indicators.values() if i.kind == ACTIVITY]


# --- Sequences ------------------------------------------------------------------------------

COLLECT = frozenset({"file.downloaded", "file.synced", "file.copied", "device.file_archived"})
OBFUSCATE = frozenset({"file.renamed", "file.label_downgraded", "file.label_removed",
                       "device.file_renamed", "device.file_obfuscated"})
EXFILTRATE = frozenset({
    "file.shared_externally", "file.anonymous_link_created",
    "email.sent_external_with_attachment", "email.sent_to_personal_address",
    "chat.file_shared_externally", "device.file_copied_to_usb", "device.file_printed",
    "device.file_uploaded_from_browser", "device.file_uploaded_to_cloud",
    "device.file_copied_to_network_share", "device.file_copied_to_cloud_sync_folder",
    "device.remote_desktop_copy"})
CLEAN_UP = frozenset({"file.deleted", "device.file_deleted"})


@dataclass(frozen=True)
class SequenceDef:
    key: str
    name: str
    steps: tuple[frozenset[str], ...]
    within_days: int = 7
    built_in: bool = True


SEQUENCES: dict[str, SequenceDef] = {s.key: s for s in (
    SequenceDef("collect_exfiltrate", "Collect, then exfiltrate", (COLLECT, EXFILTRATE)),
    SequenceDef("collect_obfuscate_exfiltrate", "Collect, disguise, then exfiltrate",
                (COLLECT, OBFUSCATE, EXFILTRATE)),
    SequenceDef("collect_exfiltrate_delete", "Collect, exfiltrate, then delete",
                (COLLECT, EXFILTRATE, CLEAN_UP)),
    SequenceDef("collect_obfuscate_exfiltrate_delete",
                "Collect, disguise, exfiltrate, then delete",
                (COLLECT, OBFUSCATE, EXFILTRATE, CLEAN_UP)),
)}

# --- Triggering events and templates --------------------------------------------------------

# Kinds of triggering event scoring recognises.
TRIGGER_KINDS = {
    "hr.resignation": "HR resignation (on the resignation date)",
    "hr.termination": "HR termination (on the termination date)",
    "dlp.high": "A high-severity DLP rule match",
    "endpoint_security.alert": "An endpoint-security alert at or above the imported status",
    "hr.risky": "A risky-user HR event: performance improvement plan, demotion, poor review",
    "priority_group": "Membership of a priority user group (always on)",
    "indicator_activity": "Activity on one of the policy's indicators (always on)",
    "manual": "Added to the policy by hand, for a limited time",
}
DEPARTING = ("hr.resignation", "hr.termination", "manual")
RISKY = ("hr.risky", "manual")

# Data that must have arrived for a template to work, by the activity-type prefix it needs.
PREREQUISITE_SOURCES = {"hr": ("hr.",), "dlp": ("dlp.",),
                        "endpoint_security": ("endpoint_security.",),
                        "health_records": ("health.",), "priority_groups": ()}


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    triggering_events: tuple[str, ...]
    default_indicators: tuple[str, ...]
    prerequisites: tuple[str, ...] = ()
    sequences: bool = False
    cumulative: bool = False
    scope: str = "all"
    # Always-on templates see every small day over a long window: a higher default threshold.
    default_alert_threshold: int = 30
    default_boosters: tuple[str, ...] = field(default=(
        "booster_above_baseline", "booster_previous_violation", "booster_high_impact"))


OFFICE_EXFIL = ("share_external", "anonymous_link", "email_external_attachment",
                "email_personal_address", "chat_share_external", "label_downgrade")
DEVICE_EXFIL = ("usb_copy", "cloud_upload", "browser_upload", "print", "network_share",
                "cloud_sync_folder", "remote_desktop_copy")
THEFT = ("download", "sync", "archive", "usb_copy", "cloud_upload", "print",
         "email_external_attachment", "email_personal_address", "share_external")
SECURITY = ("antivirus_disabled", "unwanted_software", "defense_evasion", "failed_sign_ins")
LEAKS = OFFICE_EXFIL + DEVICE_EXFIL

TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("data_theft_departing_users", "Data theft by departing users",
             "Data taken around a resignation or termination date: downloads, copies to USB "
             "and cloud, email to personal addresses.", DEPARTING, THEFT, ("hr",),
             sequences=True, cumulative=True),
    Template("data_leaks", "Data leaks",
             "Sensitive content shared outside, uploaded or printed, after a high-severity "
             "DLP match.", ("dlp.high", "manual"), LEAKS, ("dlp",), sequences=True,
             cumulative=True),
    Template("data_leaks_priority_users", "Data leaks by priority users",
             "Data leaks by members of priority user groups, scored continuously.",
             ("priority_group", "manual"), LEAKS, ("priority_groups",), sequences=True,
             cumulative=True, scope="priority_groups"),
    Template("data_leaks_risky_users", "Data leaks by risky users",
             "Data leaks after a performance improvement plan, a demotion or a poor review.",
             RISKY, LEAKS, ("hr",), sequences=True, cumulative=True),
    Template("patient_data_misuse", "Patient data misuse",
             "Access to patient records beyond the person's normal scope: their own, family, "
             "neighbours, colleagues or VIPs, and unusual volumes.",
             ("indicator_activity", "hr.resignation", "hr.termination", "manual"),
             ("health_record_volume", "health_own_record", "health_family_record",
              "health_colleague_record"), ("health_records",), default_alert_threshold=50),
    Template("risky_ai_usage", "Risky AI usage",
             "Sensitive information in prompts or responses of AI assistants, and attempts to "
             "bypass their safeguards.", ("indicator_activity", "manual"),
             ("ai_sensitive_prompt", "ai_sensitive_response", "ai_risky_prompt"),
             default_alert_threshold=50),
    Template("risky_browser_usage", "Risky browser usage",
             "Browsing to sites that put the organisation at risk: malware, hacking, leaked "
             "data and other risky categories.", ("indicator_activity", "manual"),
             ("risky_browsing",), default_alert_threshold=50),
    Template("security_policy_violations", "Security policy violations",
             "Turning off antivirus, installing unwanted software, evading security controls, "
             "after an endpoint-security alert.", ("endpoint_security.alert", "manual"),
             SECURITY, ("endpoint_security",)),
    Template("security_violations_departing_users",
             "Security policy violations by departing users",
             "Security violations around a resignation or termination date.", DEPARTING,
             SECURITY, ("hr",)),
    Template("security_violations_risky_users", "Security policy violations by risky users",
             "Security violations after a risky-user HR event.", RISKY, SECURITY, ("hr",)),
    Template("security_violations_priority_users",
             "Security policy violations by priority users",
             "Security violations by members of priority user groups, scored continuously.",
             ("priority_group", "manual"), SECURITY, ("priority_groups",),
             scope="priority_groups"),
)}

# Every activity type ingest accepts (tests/test_catalogues.py keeps this in step with it):
# custom indicators and sequences are made of these.
ACTIVITY_TYPES = frozenset({
    "file.downloaded", "file.synced", "file.copied", "file.uploaded", "file.shared_externally",
    "file.anonymous_link_created", "file.deleted", "file.renamed", "file.label_downgraded",
    "file.label_removed", "email.sent_external_with_attachment",
    "email.sent_to_personal_address", "email.sent_with_attachment",
    "email.forwarding_rule_created", "chat.file_shared_externally", "chat.external_message",
    "device.file_copied_to_usb", "device.file_printed", "device.file_uploaded_from_browser",
    "device.file_uploaded_to_cloud", "device.file_copied_to_network_share",
    "device.file_copied_to_cloud_sync_folder", "device.file_archived", "device.file_renamed",
    "device.file_obfuscated", "device.file_deleted", "device.remote_desktop_copy",
    "browsing.risky_site_visited", "ai.prompt_with_sensitive_info",
    "ai.response_with_sensitive_info", "ai.risky_prompt", "security.antivirus_disabled",
    "security.unwanted_software", "security.defense_evasion", "security.failed_sign_ins",
    "endpoint_security.alert", "physical.badge_succeeded", "physical.badge_failed",
    "dlp.rule_match", "health.record_accessed", "hr.resignation", "hr.termination",
    "hr.job_level_change", "hr.performance_review", "hr.performance_improvement_plan"})
