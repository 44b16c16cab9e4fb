"""The activity catalogue: every activity type ingest accepts, with the reference product's
category and indicator group, the attributes it must carry and which of its attributes are
content (file names, paths, subjects, URLs) that only roles allowed to see content receive.
Scoring maps activity types to indicators; ingest only validates and stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

SCHEMA_VERSION = 1


class Category(StrEnum):
    """The reference product's activity categories (plus `hr` for HR records)."""

    ACCESS = "access"
    COLLECTION = "collection"
    DELETION = "deletion"
    EXFILTRATION = "exfiltration"
    INFILTRATION = "infiltration"
    OBFUSCATION = "obfuscation"
    SECURITY = "security"
    HR = "hr"


class Group(StrEnum):
    """Where an activity comes from, as the reference product groups its indicators."""

    OFFICE = "office"
    EMAIL = "email"
    CHAT = "chat"
    DEVICE = "device"
    RISKY_BROWSING = "risky_browsing"
    GENERATIVE_AI = "generative_ai"
    SECURITY = "security"
    ENDPOINT_SECURITY = "endpoint_security"
    PHYSICAL_ACCESS = "physical_access"
    HEALTH_RECORDS = "health_records"
    DLP = "dlp"
    HR = "hr"


class ActivityType(StrEnum):
    # SharePoint / OneDrive
    FILE_DOWNLOADED = "file.downloaded"
    FILE_SYNCED = "file.synced"
    FILE_COPIED = "file.copied"
    FILE_UPLOADED = "file.uploaded"
    FILE_SHARED_EXTERNALLY = "file.shared_externally"
    FILE_ANONYMOUS_LINK = "file.anonymous_link_created"
    FILE_DELETED = "file.deleted"
    FILE_RENAMED = "file.renamed"
    FILE_LABEL_DOWNGRADED = "file.label_downgraded"
    FILE_LABEL_REMOVED = "file.label_removed"
    # Email
    EMAIL_EXTERNAL_ATTACHMENT = "email.sent_external_with_attachment"
    EMAIL_PERSONAL_ADDRESS = "email.sent_to_personal_address"
    EMAIL_WITH_ATTACHMENT = "email.sent_with_attachment"
    EMAIL_FORWARDING_RULE = "email.forwarding_rule_created"
    # Teams / chat
    CHAT_FILE_SHARED_EXTERNALLY = "chat.file_shared_externally"
    CHAT_EXTERNAL_MESSAGE = "chat.external_message"
    # Endpoint / device
    DEVICE_USB_COPY = "device.file_copied_to_usb"
    DEVICE_PRINT = "device.file_printed"
    DEVICE_BROWSER_UPLOAD = "device.file_uploaded_from_browser"
    DEVICE_CLOUD_UPLOAD = "device.file_uploaded_to_cloud"
    DEVICE_NETWORK_SHARE = "device.file_copied_to_network_share"
    DEVICE_CLOUD_SYNC_FOLDER = "device.file_copied_to_cloud_sync_folder"
    DEVICE_ARCHIVE = "device.file_archived"
    DEVICE_RENAME = "device.file_renamed"
    DEVICE_OBFUSCATE = "device.file_obfuscated"
    DEVICE_DELETE = "device.file_deleted"
    DEVICE_REMOTE_DESKTOP_COPY = "device.remote_desktop_copy"
    # Risky browsing, generative AI
    BROWSING_RISKY_SITE = "browsing.risky_site_visited"
    AI_SENSITIVE_PROMPT = "ai.prompt_with_sensitive_info"
    AI_SENSITIVE_RESPONSE = "ai.response_with_sensitive_info"
    AI_RISKY_PROMPT = "ai.risky_prompt"
    # Security
    SECURITY_ANTIVIRUS_DISABLED = "security.antivirus_disabled"
    SECURITY_UNWANTED_SOFTWARE = "security.unwanted_software"
    SECURITY_DEFENSE_EVASION = "security.defense_evasion"
    SECURITY_FAILED_SIGN_INS = "security.failed_sign_ins"
    ENDPOINT_SECURITY_ALERT = "endpoint_security.alert"
    # Physical access
    BADGE_SUCCEEDED = "physical.badge_succeeded"
    BADGE_FAILED = "physical.badge_failed"
    # DLP
    DLP_RULE_MATCH = "dlp.rule_match"
    # Health records (EHR/EMR systems)
    HEALTH_RECORD_ACCESSED = "health.record_accessed"
    # HR
    HR_RESIGNATION = "hr.resignation"
    HR_TERMINATION = "hr.termination"
    HR_JOB_LEVEL_CHANGE = "hr.job_level_change"
    HR_PERFORMANCE_REVIEW = "hr.performance_review"
    HR_IMPROVEMENT_PLAN = "hr.performance_improvement_plan"


SEVERITIES = ("low", "medium", "high")
ALERT_STATUSES = ("new", "in_progress", "resolved")
URL_CATEGORIES = ("hacking", "malware", "phishing", "criminal_activity", "cult", "gambling",
                  "hate_and_intolerance", "illegal_drugs", "illegal_software", "adult",
                  "violence", "weapons", "leaked_data", "personal_cloud_storage",
                  "generative_ai", "job_search", "other")
BADGE_STATUSES = ("success", "failed")
# How the person who opened a patient's record relates to the patient, as the EHR reports it.
PATIENT_RELATIONSHIPS = ("none", "self", "family", "same_address", "colleague", "vip")


@dataclass(frozen=True)
class ActivitySpec:
    category: Category
    group: Group
    description: str
    required: tuple[str, ...] = ()
    # attribute -> allowed values (checked case-sensitively; connectors normalise first)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()


def _s(category: Category, group: Group, description: str, **kw: object) -> ActivitySpec:
    return ActivitySpec(category, group, description, **kw)  # type: ignore[arg-type]


C, G = Category, Group
CATALOGUE: dict[ActivityType, ActivitySpec] = {
    ActivityType.FILE_DOWNLOADED: _s(C.COLLECTION, G.OFFICE,
                                     "Downloaded a file from SharePoint or OneDrive."),
    ActivityType.FILE_SYNCED: _s(C.COLLECTION, G.OFFICE,
                                 "Synced a file from SharePoint or OneDrive to a device."),
    ActivityType.FILE_COPIED: _s(C.COLLECTION, G.OFFICE, "Copied a file within SharePoint or "
                                 "OneDrive."),
    ActivityType.FILE_UPLOADED: _s(C.INFILTRATION, G.OFFICE,
                                   "Uploaded a file to SharePoint or OneDrive."),
    ActivityType.FILE_SHARED_EXTERNALLY: _s(C.EXFILTRATION, G.OFFICE,
                                            "Shared a file or folder with someone outside "
                                            "the organisation."),
    ActivityType.FILE_ANONYMOUS_LINK: _s(C.EXFILTRATION, G.OFFICE,
                                         "Created an anonymous (anyone) link to a file."),
    ActivityType.FILE_DELETED: _s(C.DELETION, G.OFFICE,
                                  "Deleted a file from SharePoint or OneDrive."),
    ActivityType.FILE_RENAMED: _s(C.OBFUSCATION, G.OFFICE,
                                  "Renamed a file in SharePoint or OneDrive."),
    ActivityType.FILE_LABEL_DOWNGRADED: _s(C.OBFUSCATION, G.OFFICE,
                                           "Replaced a file's sensitivity label with a lower "
                                           "one."),
    ActivityType.FILE_LABEL_REMOVED: _s(C.OBFUSCATION, G.OFFICE,
                                        "Removed a file's sensitivity label."),
    ActivityType.EMAIL_EXTERNAL_ATTACHMENT: _s(C.EXFILTRATION, G.EMAIL,
                                               "Sent an email with attachments outside the "
                                               "organisation."),
    ActivityType.EMAIL_PERSONAL_ADDRESS: _s(C.EXFILTRATION, G.EMAIL,
                                            "Sent an email to a personal address."),
    ActivityType.EMAIL_WITH_ATTACHMENT: _s(C.EXFILTRATION, G.EMAIL,
                                           "Sent an email with attachments; recipients "
                                           "unknown."),
    ActivityType.EMAIL_FORWARDING_RULE: _s(C.EXFILTRATION, G.EMAIL,
                                           "Created an inbox rule that forwards or redirects "
                                           "mail."),
    ActivityType.CHAT_FILE_SHARED_EXTERNALLY: _s(C.EXFILTRATION, G.CHAT,
                                                 "Shared a file in a chat or channel with "
                                                 "people outside the organisation."),
    ActivityType.CHAT_EXTERNAL_MESSAGE: _s(C.EXFILTRATION, G.CHAT,
                                           "Sent a chat message to someone outside the "
                                           "organisation."),
    ActivityType.DEVICE_USB_COPY: _s(C.EXFILTRATION, G.DEVICE,
                                     "Copied a file to removable media."),
    ActivityType.DEVICE_PRINT: _s(C.EXFILTRATION, G.DEVICE, "Printed a file."),
    ActivityType.DEVICE_BROWSER_UPLOAD: _s(C.EXFILTRATION, G.DEVICE,
                                           "Uploaded a file to a website from a browser."),
    ActivityType.DEVICE_CLOUD_UPLOAD: _s(C.EXFILTRATION, G.DEVICE,
                                         "Uploaded a file to a cloud service."),
    ActivityType.DEVICE_NETWORK_SHARE: _s(C.EXFILTRATION, G.DEVICE,
                                          "Copied a file to a network share."),
    ActivityType.DEVICE_CLOUD_SYNC_FOLDER: _s(C.EXFILTRATION, G.DEVICE,
                                              "Copied a file to a cloud sync folder."),
    ActivityType.DEVICE_ARCHIVE: _s(C.COLLECTION, G.DEVICE,
                                    "Created an archive (zip, 7z, …) of files."),
    ActivityType.DEVICE_RENAME: _s(C.OBFUSCATION, G.DEVICE, "Renamed a file on a device."),
    ActivityType.DEVICE_OBFUSCATE: _s(C.OBFUSCATION, G.DEVICE,
                                      "Changed a file's extension or content type to hide "
                                      "what it is."),
    ActivityType.DEVICE_DELETE: _s(C.DELETION, G.DEVICE, "Deleted a file on a device."),
    ActivityType.DEVICE_REMOTE_DESKTOP_COPY: _s(C.EXFILTRATION, G.DEVICE,
                                                "Copied a file over a remote-desktop "
                                                "session."),
    ActivityType.BROWSING_RISKY_SITE: _s(C.INFILTRATION, G.RISKY_BROWSING,
                                         "Browsed to a site in a risky URL category.",
                                         required=("url_category",),
                                         choices={"url_category": URL_CATEGORIES}),
    ActivityType.AI_SENSITIVE_PROMPT: _s(C.EXFILTRATION, G.GENERATIVE_AI,
                                         "Entered sensitive information in a prompt to a "
                                         "generative-AI assistant."),
    ActivityType.AI_SENSITIVE_RESPONSE: _s(C.ACCESS, G.GENERATIVE_AI,
                                           "Received sensitive information in a "
                                           "generative-AI response."),
    ActivityType.AI_RISKY_PROMPT: _s(C.SECURITY, G.GENERATIVE_AI,
                                     "Sent a prompt that tries to bypass an assistant's "
                                     "safeguards (jailbreak, injection)."),
    ActivityType.SECURITY_ANTIVIRUS_DISABLED: _s(C.SECURITY, G.SECURITY,
                                                 "Turned off antivirus protection."),
    ActivityType.SECURITY_UNWANTED_SOFTWARE: _s(C.SECURITY, G.SECURITY,
                                                "Installed or ran unwanted software."),
    ActivityType.SECURITY_DEFENSE_EVASION: _s(C.SECURITY, G.SECURITY,
                                              "Tried to evade security controls."),
    ActivityType.SECURITY_FAILED_SIGN_INS: _s(C.SECURITY, G.SECURITY,
                                              "Repeated failed sign-ins."),
    ActivityType.ENDPOINT_SECURITY_ALERT: _s(C.SECURITY, G.ENDPOINT_SECURITY,
                                             "An endpoint-security (EDR) alert about the "
                                             "person's device.",
                                             required=("severity", "status"),
                                             choices={"severity": SEVERITIES,
                                                      "status": ALERT_STATUSES}),
    ActivityType.BADGE_SUCCEEDED: _s(C.ACCESS, G.PHYSICAL_ACCESS,
                                     "Badged into a physical asset.", required=("asset_id",)),
    ActivityType.BADGE_FAILED: _s(C.ACCESS, G.PHYSICAL_ACCESS,
                                  "Failed to badge into a physical asset.",
                                  required=("asset_id",)),
    ActivityType.DLP_RULE_MATCH: _s(C.SECURITY, G.DLP,
                                    "A data-loss-prevention rule matched the person's "
                                    "activity.", required=("severity",),
                                    choices={"severity": SEVERITIES}),
    ActivityType.HEALTH_RECORD_ACCESSED: _s(C.ACCESS, G.HEALTH_RECORDS,
                                            "Opened or changed a patient's health record in "
                                            "an EHR system.", required=("relationship",),
                                            choices={"relationship": PATIENT_RELATIONSHIPS}),
    ActivityType.HR_RESIGNATION: _s(C.HR, G.HR, "The person resigned or gave notice.",
                                    dates=("resignation_date", "last_working_date")),
    ActivityType.HR_TERMINATION: _s(C.HR, G.HR, "The person's employment was terminated.",
                                    dates=("termination_date", "last_working_date")),
    ActivityType.HR_JOB_LEVEL_CHANGE: _s(C.HR, G.HR, "The person's job level changed.",
                                         dates=("effective_date",)),
    ActivityType.HR_PERFORMANCE_REVIEW: _s(C.HR, G.HR, "The person had a performance review.",
                                           dates=("effective_date",)),
    ActivityType.HR_IMPROVEMENT_PLAN: _s(C.HR, G.HR, "The person was placed on a performance "
                                         "improvement plan.", dates=("effective_date",)),
}

CATEGORY: dict[ActivityType, Category] = {t: s.category for t, s in CATALOGUE.items()}

# Attributes every role may read. Everything else (file names, paths, URLs, subjects,
# recipients, HR remarks, and any attribute not listed) is content: only roles that may see
# content receive it. An allow-list, so a new attribute is private until someone decides.
PUBLIC_ATTRIBUTES = frozenset({
    "bytes", "file_extension", "file_type", "sensitivity_label", "label_from", "label_to",
    "sensitive_info_types", "recipient_domain", "recipient_count", "target_domain",
    "url_category", "severity", "status", "count", "asset_id", "access_status", "rating",
    "old_level", "new_level", "resignation_date", "last_working_date", "termination_date",
    "effective_date", "relationship", "policy_name", "rule_name", "application", "platform",
    "workload",
    "operation", "record_type", "target_type", "attachment_count",
})


def public_attributes(attributes: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in attributes.items() if k in PUBLIC_ATTRIBUTES}
