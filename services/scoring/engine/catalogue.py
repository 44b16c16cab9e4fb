"""Indicators and policy templates. Plain data: what each indicator counts, its default daily
thresholds, and what each template triggers on and scores by default."""

from __future__ import annotations

from dataclasses import dataclass

# The reference product's indicator groups (health records, cumulative exfiltration, risk
# score boosters and custom indicators are not counting indicators and come with the scoring
# model's own work).
GROUPS = ("office", "device", "endpoint_security", "risky_browsing", "generative_ai",
          "physical_access")

M365 = "Microsoft 365 audit log (SharePoint, OneDrive) or canonical events"
EXCHANGE = "Microsoft 365 audit log (Exchange) or canonical events"
TEAMS = "Teams / chat activity (canonical events)"
ENDPOINT = "Endpoint DLP (Microsoft 365 audit log) or canonical device events"
EDR = "Endpoint security (EDR) events"
BROWSER = "Browser or web-proxy events"
AI = "Generative-AI assistant events"
BADGING = "Physical badging connector"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    group: str
    category: str
    activity_types: tuple[str, ...]
    default_thresholds: tuple[int, int, int]  # daily counts for low, medium, high
    data_source: str


def _i(key: str, name: str, group: str, category: str, types: tuple[str, ...],
       thresholds: tuple[int, int, int], source: str) -> Indicator:
    return Indicator(key, name, group, category, types, thresholds, source)


INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    # Office
    _i("download", "Downloading content from SharePoint or OneDrive", "office", "collection",
       ("file.downloaded",), (20, 100, 300), M365),
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
       (2, 10, 25), EXCHANGE),
    _i("email_personal_address", "Sending email to a personal address", "office",
       "exfiltration", ("email.sent_to_personal_address",), (1, 5, 15), EXCHANGE),
    _i("email_forwarding_rule", "Creating inbox rules that forward mail", "office",
       "exfiltration", ("email.forwarding_rule_created",), (1, 2, 3), EXCHANGE),
    _i("chat_share_external", "Sharing files in chats with people outside the organization",
       "office", "exfiltration", ("chat.file_shared_externally",), (1, 5, 15), TEAMS),
    # Device
    _i("usb_copy", "Copying files to USB", "device", "exfiltration",
       ("device.file_copied_to_usb",), (1, 10, 30), ENDPOINT),
    _i("cloud_upload", "Uploading files to cloud storage", "device", "exfiltration",
       ("device.file_uploaded_to_cloud",), (1, 10, 30), ENDPOINT),
    _i("browser_upload", "Uploading files to websites from a browser", "device",
       "exfiltration", ("device.file_uploaded_from_browser",), (1, 10, 30), ENDPOINT),
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
)}

INDICATOR_BY_ACTIVITY: dict[str, str] = {
    activity: ind.key for ind in INDICATORS.values() for activity in ind.activity_types
}


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    triggering_events: tuple[str, ...]
    default_indicators: tuple[str, ...]


TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("data_theft_departing_users", "Data theft by departing users",
             "Detects data theft by people near their resignation or termination date, "
             "triggered by HR resignation or termination events.",
             ("hr.resignation", "hr.termination"),
             ("usb_copy", "cloud_upload", "print", "email_external_attachment",
              "email_personal_address", "share_external", "download", "archive")),
)}

TRIGGER_ACTIVITIES: frozenset[str] = frozenset(
    a for t in TEMPLATES.values() for a in t.triggering_events)
