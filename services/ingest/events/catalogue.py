"""The activity catalogue: every activity type ingest accepts, with the reference product's
category. Scoring maps activity types to indicators; ingest only validates and stores."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    ACCESS = "access"
    COLLECTION = "collection"
    DELETION = "deletion"
    EXFILTRATION = "exfiltration"
    INFILTRATION = "infiltration"
    OBFUSCATION = "obfuscation"
    SECURITY = "security"
    HR = "hr"


class ActivityType(StrEnum):
    HR_RESIGNATION = "hr.resignation"
    HR_TERMINATION = "hr.termination"
    FILE_DOWNLOADED = "file.downloaded"
    FILE_SHARED_EXTERNALLY = "file.shared_externally"
    FILE_DELETED = "file.deleted"
    DEVICE_USB_COPY = "device.file_copied_to_usb"
    DEVICE_CLOUD_UPLOAD = "device.file_uploaded_to_cloud"
    DEVICE_PRINT = "device.file_printed"
    DEVICE_ARCHIVE = "device.file_archived"
    DEVICE_RENAME = "device.file_renamed"
    EMAIL_EXTERNAL_ATTACHMENT = "email.sent_external_with_attachment"
    EMAIL_PERSONAL_ADDRESS = "email.sent_to_personal_address"
    DLP_RULE_MATCH = "dlp.rule_match"


CATEGORY: dict[ActivityType, Category] = {
    ActivityType.HR_RESIGNATION: Category.HR,
    ActivityType.HR_TERMINATION: Category.HR,
    ActivityType.FILE_DOWNLOADED: Category.COLLECTION,
    ActivityType.FILE_SHARED_EXTERNALLY: Category.EXFILTRATION,
    ActivityType.FILE_DELETED: Category.DELETION,
    ActivityType.DEVICE_USB_COPY: Category.EXFILTRATION,
    ActivityType.DEVICE_CLOUD_UPLOAD: Category.EXFILTRATION,
    ActivityType.DEVICE_PRINT: Category.EXFILTRATION,
    ActivityType.DEVICE_ARCHIVE: Category.COLLECTION,
    ActivityType.DEVICE_RENAME: Category.OBFUSCATION,
    ActivityType.EMAIL_EXTERNAL_ATTACHMENT: Category.EXFILTRATION,
    ActivityType.EMAIL_PERSONAL_ADDRESS: Category.EXFILTRATION,
    ActivityType.DLP_RULE_MATCH: Category.SECURITY,
}
