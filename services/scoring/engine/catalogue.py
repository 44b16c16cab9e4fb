"""Indicators and policy templates. Plain data: what each indicator counts, its default daily
thresholds, and what each template triggers on and scores by default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    group: str
    category: str
    activity_types: tuple[str, ...]
    default_thresholds: tuple[int, int, int]  # daily counts for low, medium, high


INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    Indicator("usb_copy", "Copying files to USB", "device", "exfiltration",
              ("device.file_copied_to_usb",), (1, 10, 30)),
    Indicator("cloud_upload", "Uploading files to cloud storage", "device", "exfiltration",
              ("device.file_uploaded_to_cloud",), (1, 10, 30)),
    Indicator("print", "Printing files", "device", "exfiltration",
              ("device.file_printed",), (3, 15, 40)),
    Indicator("email_external_attachment", "Sending email with attachments outside the "
              "organization", "office", "exfiltration",
              ("email.sent_external_with_attachment",), (2, 10, 25)),
    Indicator("email_personal_address", "Sending email to a personal address", "office",
              "exfiltration", ("email.sent_to_personal_address",), (1, 5, 15)),
    Indicator("share_external", "Sharing files with people outside the organization",
              "office", "exfiltration", ("file.shared_externally",), (2, 10, 25)),
    Indicator("download", "Downloading content from SharePoint or OneDrive", "office",
              "collection", ("file.downloaded",), (20, 100, 300)),
    Indicator("archive", "Creating archives", "device", "collection",
              ("device.file_archived",), (2, 10, 25)),
    Indicator("rename", "Renaming files on devices", "device", "obfuscation",
              ("device.file_renamed",), (10, 50, 150)),
    Indicator("delete", "Deleting files", "office", "deletion",
              ("file.deleted",), (20, 100, 300)),
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
