"""Microsoft 365 unified audit log records (Office 365 Management Activity API JSON) as
canonical events. Pure and total: one record in, one Outcome out, never an exception, so an
upload of any JSON can be fuzzed and a bad record never sinks the batch."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ingest.connectors.parsing import (
    Outcome,
    Parsed,
    RecordError,
    Unmapped,
    build_event,
    parse_time,
)
from services.ingest.events.catalogue import SEVERITIES, ActivityType
from services.ingest.events.schemas import MAX_ATTRIBUTES_BYTES

SOURCE = "m365"
ENDPOINT_RECORD_TYPE = 63  # DLPEndpoint
MAX_TEXT = 1000  # characters kept of any one string attribute
MAX_ITEMS = 20  # entries kept of any one list attribute
MAX_SCAN = 200  # list entries read from a record (bounds the work on hostile input)
FIELD_NAMES = {"id": "Id", "actor": "UserId", "occurred_at": "CreationTime"}
REQUIRED = ("Id", "CreationTime", "Operation", "UserId")
# Attributes kept whole when a record's attributes must be shrunk to fit the size limit.
_ESSENTIAL = frozenset({"operation", "record_type", "workload", "severity", "attachment_count"})

T = ActivityType
# SharePoint / OneDrive file operations (RecordType 6).
_OFFICE_FILE: dict[str, ActivityType] = {
    "FileDownloaded": T.FILE_DOWNLOADED,
    "FileSyncDownloadedFull": T.FILE_SYNCED,
    "FileSyncDownloadedPartial": T.FILE_SYNCED,
    "FileCopied": T.FILE_COPIED,
    "FileUploaded": T.FILE_UPLOADED,
    "FileSyncUploadedFull": T.FILE_UPLOADED,
    "FileDeleted": T.FILE_DELETED,
    "FileRecycled": T.FILE_DELETED,
    "FileRenamed": T.FILE_RENAMED,
}
# Endpoint DLP (RecordType 63, Workload "Endpoint").
_DEVICE: dict[str, ActivityType] = {
    "FileCopiedToRemovableMedia": T.DEVICE_USB_COPY,
    "FileUploadedToCloud": T.DEVICE_CLOUD_UPLOAD,
    "FilePrinted": T.DEVICE_PRINT,
    "FileCopiedToNetworkShare": T.DEVICE_NETWORK_SHARE,
    "FileArchived": T.DEVICE_ARCHIVE,
    "FileRenamed": T.DEVICE_RENAME,
    "FileDeleted": T.DEVICE_DELETE,
    "FileCopiedToRemoteDesktopSession": T.DEVICE_REMOTE_DESKTOP_COPY,
}
_SHARING = frozenset({"SharingSet", "SharingInvitationCreated", "AddedToSecureLink",
                      "SecureLinkCreated"})
_ANONYMOUS_LINK = "AnonymousLinkCreated"
_LABEL_REMOVED = frozenset({"FileSensitivityLabelRemoved", "SensitivityLabelRemoved"})
_LABEL_CHANGED = frozenset({"FileSensitivityLabelChanged", "SensitivityLabelUpdated"})
_SEND = "Send"
_INBOX_RULES = frozenset({"New-InboxRule", "Set-InboxRule"})
_DLP = "DLPRuleMatch"

MAPPED_OPERATIONS: frozenset[str] = frozenset(
    {*_OFFICE_FILE, *_DEVICE, *_SHARING, _ANONYMOUS_LINK, *_LABEL_REMOVED, *_LABEL_CHANGED,
     _SEND, *_INBOX_RULES, _DLP})
# Operation names are matched case-insensitively (Microsoft's docs write "DlpRuleMatch",
# its records "DLPRuleMatch").
_CANONICAL = {name.casefold(): name for name in MAPPED_OPERATIONS}

_EXTERNAL_TARGET_TYPES = frozenset({"guest", "partner"})
_FORWARD_PARAMETERS = frozenset({"forwardto", "forwardasattachmentto", "redirectto"})
# SensitivityLabelEventData.LabelEventType: 1 upgraded, 2 downgraded, 3 removed, 4 same order.
_LABEL_DOWNGRADED = frozenset({"2", "labeldowngraded"})
_LABEL_REMOVED_EVENT = frozenset({"3", "labelremoved"})
# (old, new) label-order fields some exports carry; a lower new order is a less sensitive label.
_LABEL_ORDER_FIELDS = (("OldSensitivityLabelOrder", "SensitivityLabelOrder"),
                       ("OldLabelOrder", "NewLabelOrder"))
_ATTACHMENT_SIZE = re.compile(r"\(\d+b\)")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9._%+'\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
_DOMAIN = re.compile(r"^[a-z0-9\-]+(?:\.[a-z0-9\-]+)+$")


def map_record(index: int, record: object) -> Outcome:
    """Map one unified audit log record: an event for the operations in MAPPED_OPERATIONS,
    Unmapped for any other well-formed record, RecordError (naming the source field) else."""
    if not isinstance(record, dict):
        return RecordError(index, "(record)", "must be a JSON object (one audit record)")
    for name in REQUIRED:
        value = record.get(name)
        if value is None:
            return RecordError(index, name, "is required")
        if not isinstance(value, str):
            return RecordError(index, name, "must be a string")
        if not value.strip():
            return RecordError(index, name, "must not be blank")
    try:
        occurred_at = parse_time(record["CreationTime"])
    except (ValueError, TypeError, OverflowError):
        return RecordError(index, "CreationTime",
                           "must be an ISO 8601 date and time, e.g. 2026-11-20T10:15:00")
    raw_operation = record["Operation"].strip()
    operation = _CANONICAL.get(raw_operation.casefold())
    if operation is None:
        return Unmapped(index, raw_operation[:200])
    return _dispatch(_Context(index, record, operation, raw_operation[:200], occurred_at,
                              _is_endpoint(record)))


@dataclass(frozen=True)
class _Context:
    index: int
    record: dict[str, Any]
    operation: str  # canonical spelling
    raw_operation: str  # as the record spells it, for Unmapped
    occurred_at: datetime
    endpoint: bool

    def unmapped(self) -> Unmapped:
        return Unmapped(self.index, self.raw_operation)

    def emit(self, type_: ActivityType, attributes: dict[str, Any]) -> Parsed | RecordError:
        """Validate through build_event, so a bad Id or UserId is refused, not repaired."""
        record = self.record
        merged = {**_common(record, self.operation), **attributes}
        kept = {k: v for k, v in merged.items() if v is not None and v not in ("", [])}
        data = {"id": f"m365:{record['Id']}", "type": type_.value,
                "occurred_at": self.occurred_at, "actor": record["UserId"], "source": SOURCE,
                "attributes": _fit(kept)}
        return build_event(self.index, data, original=record, field_names=FIELD_NAMES)


def _dispatch(ctx: _Context) -> Outcome:
    op = ctx.operation
    if op == _DLP:
        return _dlp(ctx)
    if op in _DEVICE and (ctx.endpoint or op not in _OFFICE_FILE):
        return ctx.emit(_DEVICE[op], _device_attributes(ctx.record))
    if ctx.endpoint:  # an Endpoint record is never SharePoint, mail or admin activity
        return ctx.unmapped()
    if op in _OFFICE_FILE:
        return ctx.emit(_OFFICE_FILE[op], _file_attributes(ctx.record, op))
    if op in _SHARING:
        return _sharing(ctx)
    if op == _ANONYMOUS_LINK:
        return ctx.emit(T.FILE_ANONYMOUS_LINK, _file_attributes(ctx.record, op))
    if op in _LABEL_REMOVED or op in _LABEL_CHANGED:
        return _label(ctx)
    if op == _SEND:
        return _send(ctx)
    if op in _INBOX_RULES:
        return _inbox_rule(ctx)
    return ctx.unmapped()  # unreachable while every mapped name is handled above


# --- Operation handlers ---------------------------------------------------------------------

def _sharing(ctx: _Context) -> Outcome:
    """Only sharing with someone outside the tenant is scored; the audit record cannot tell
    our domains, so 'outside' is what it says: a Guest/Partner target or a guest (#EXT#) UPN."""
    record = ctx.record
    target = _text(record.get("TargetUserOrGroupName"), 320)
    target_type = _text(record.get("TargetUserOrGroupType"), 64)
    if not _is_external(target, target_type):
        return ctx.unmapped()
    return ctx.emit(T.FILE_SHARED_EXTERNALLY, {
        **_file_attributes(record, ctx.operation),
        "target_type": target_type,
        "target_domain": _guest_domain(target),
        "recipients": [target] if target else None,
    })


def _label(ctx: _Context) -> Outcome:
    """Removal is always scored; a change only when the record says it lowered sensitivity."""
    record = ctx.record
    data = _dict(record.get("SensitivityLabelEventData"))
    old = (_text(data.get("OldSensitivityLabelId"), 200) or _text(record.get("SourceLabel"), 200)
           or _text(record.get("OldSensitivityLabelId"), 200))
    new = (_text(data.get("SensitivityLabelId"), 200)
           or _text(record.get("DestinationLabel"), 200)
           or _text(record.get("SensitivityLabelId"), 200))
    files = _file_attributes(record, ctx.operation)
    change = "removed" if ctx.operation in _LABEL_REMOVED else _label_change(record, data)
    if change == "removed":
        return ctx.emit(T.FILE_LABEL_REMOVED, {**files, "label_from": old})
    if change == "downgraded":
        return ctx.emit(T.FILE_LABEL_DOWNGRADED, {**files, "label_from": old, "label_to": new,
                                                  "sensitivity_label": new})
    return ctx.unmapped()


def _send(ctx: _Context) -> Outcome:
    """Exchange mailbox audit 'Send': only messages with attachments are scored."""
    item = _dict(ctx.record.get("Item"))
    count = _attachment_count(item.get("Attachments"))
    if not count:
        return ctx.unmapped()
    return ctx.emit(T.EMAIL_WITH_ATTACHMENT, {
        "attachment_count": count,
        "subject": _text(item.get("Subject")),
        "bytes": _count(item.get("SizeInBytes")),
    })


def _inbox_rule(ctx: _Context) -> Outcome:
    """New-InboxRule/Set-InboxRule (Exchange admin audit) that forwards or redirects mail."""
    recipients: list[str] = []
    for parameter in _dicts(ctx.record.get("Parameters")):
        name = parameter.get("Name")
        if isinstance(name, str) and name.strip().casefold() in _FORWARD_PARAMETERS:
            recipients.extend(_recipient_entries(parameter.get("Value")))
    if not recipients:
        return ctx.unmapped()
    domains = sorted({d for entry in recipients[:MAX_SCAN] for d in _email_domains(entry)})
    return ctx.emit(T.EMAIL_FORWARDING_RULE, {
        "forward_to": [entry[:320] for entry in recipients[:MAX_ITEMS]],
        "target_domain": ",".join(domains)[:MAX_TEXT] or None,
    })


def _dlp(ctx: _Context) -> Outcome:
    """A DLP rule match; severity is the highest of the matched rules (catalogue: low, medium
    or high, so 'Informational', 'None' or a missing severity count as low)."""
    record = ctx.record
    best: tuple[int, str | None, str | None] | None = None
    info_types: list[object] = []
    for policy in _dicts(record.get("PolicyDetails")):
        policy_name = _text(policy.get("PolicyName"), 256)
        rules = list(_dicts(policy.get("Rules")))
        if not rules and best is None:
            best = (0, policy_name, None)
        for rule in rules:
            rank = SEVERITIES.index(_severity(rule.get("Severity")))
            if best is None or rank > best[0]:
                best = (rank, policy_name, _text(rule.get("RuleName"), 256))
            conditions = _dict(rule.get("ConditionsMatched"))
            info_types.extend(info.get("SensitiveInformationTypeName")
                              for info in _dicts(conditions.get("SensitiveInformation")))
    rank, policy_name, rule_name = best or (0, None, None)
    attributes: dict[str, Any] = _device_attributes(record) if ctx.endpoint else {}
    attributes["severity"] = SEVERITIES[rank]
    attributes["policy_name"] = policy_name or attributes.get("policy_name")
    attributes["rule_name"] = rule_name or attributes.get("rule_name")
    sharepoint = _dict(record.get("SharePointMetaData"))
    if sharepoint:
        attributes.update({"file_name": _text(sharepoint.get("FileName")),
                           "path": _text(sharepoint.get("FilePathUrl")),
                           "site_url": _text(sharepoint.get("SiteCollectionUrl"))})
    exchange = _dict(record.get("ExchangeMetaData"))
    if exchange:
        recipients = [entry for key in ("To", "CC", "BCC")
                      for entry in _strings(exchange.get(key), 320)]
        attributes.update({"subject": _text(exchange.get("Subject")),
                           "recipients": recipients[:MAX_ITEMS],
                           "recipient_count": (_count(exchange.get("RecipientCount"))
                                               or len(recipients) or None)})
    info_types.extend(_info_type_names(record))
    attributes["sensitive_info_types"] = _unique_names(info_types)
    return ctx.emit(T.DLP_RULE_MATCH, attributes)


# --- Attribute builders ---------------------------------------------------------------------

def _common(record: dict[str, Any], operation: str) -> dict[str, Any]:
    return {
        "operation": operation,
        "record_type": _record_type(record.get("RecordType")),
        "workload": _text(record.get("Workload"), 64),
        "client_ip": (_text(record.get("ClientIP"), 100)
                      or _text(record.get("ClientIPAddress"), 100)),
    }


def _file_attributes(record: dict[str, Any], operation: str) -> dict[str, Any]:
    """SharePoint/OneDrive file fields; copies and renames also name where the file went."""
    path = _text(record.get("ObjectId"))
    attributes: dict[str, Any] = {
        "file_name": _text(record.get("SourceFileName")) or _basename(path),
        "path": path,
        "site_url": _text(record.get("SiteUrl")),
        "file_extension": _extension(record.get("SourceFileExtension")),
    }
    if operation in ("FileCopied", "FileRenamed"):
        attributes["target_path"] = _destination(record)
    return attributes


def _device_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """Endpoint DLP fields: ObjectId is the local path, TargetFilePath where it went."""
    path = _text(record.get("ObjectId"))
    label = _dict(record.get("SensitivityLabelEventData"))
    policy = _dict(record.get("PolicyMatchInfo"))
    return {
        "device_name": _text(record.get("DeviceName"), 256),
        "path": path,
        "file_name": _basename(path),
        "file_extension": _extension(record.get("FileExtension")),
        "file_type": _text(record.get("FileType"), 128),
        "bytes": _count(record.get("FileSize")),
        "target_domain": _domain(record.get("TargetDomain")),
        "target_path": _text(record.get("TargetFilePath")),
        "application": _text(record.get("Application"), 256),
        "platform": _scalar_text(record.get("Platform"), 64),
        "sha256": _text(record.get("Sha256"), 128),
        "sensitive_info_types": _unique_names(_info_type_names(record)),
        "sensitivity_label": _text(label.get("SensitivityLabelId"), 200),
        "policy_name": _text(policy.get("PolicyName"), 256),
        "rule_name": _text(policy.get("RuleName"), 256),
    }


def _destination(record: dict[str, Any]) -> str | None:
    name = _text(record.get("DestinationFileName"))
    if name is None:
        return None
    parts = [_text(record.get("SiteUrl")), _text(record.get("DestinationRelativeUrl")), name]
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))[:MAX_TEXT] or None


def _info_type_names(record: dict[str, Any]) -> list[object]:
    return [info.get("SensitiveInfoTypeName")
            for info in _dicts(record.get("SensitiveInfoTypeData"))]


def _label_change(record: dict[str, Any], data: dict[str, Any]) -> str | None:
    for source in (data, record):
        kind = _scalar_text(source.get("LabelEventType"), 64)
        if kind is not None:
            if kind.casefold() in _LABEL_DOWNGRADED:
                return "downgraded"
            if kind.casefold() in _LABEL_REMOVED_EVENT:
                return "removed"
    for source in (data, record):
        for old_key, new_key in _LABEL_ORDER_FIELDS:
            old, new = _number(source.get(old_key)), _number(source.get(new_key))
            if old is not None and new is not None and new < old:
                return "downgraded"
    return None


def _is_external(target: str | None, target_type: str | None) -> bool:
    if target_type is not None and target_type.casefold() in _EXTERNAL_TARGET_TYPES:
        return True
    folded = (target or "").casefold()
    return "#ext#" in folded or folded.startswith("urn:spo:guest")


def _guest_domain(target: str | None) -> str | None:
    """The guest's home domain: jo_gmail.com#EXT#@tenant → gmail.com; jo@gmail.com → gmail.com."""
    if not target:
        return None
    name = target.casefold().removeprefix("urn:spo:guest#")
    marker = name.find("#ext#")
    if marker >= 0:
        local = name[:marker]
        return _domain(local.rsplit("_", 1)[1]) if "_" in local else None
    return _domain(name.rsplit("@", 1)[1]) if "@" in name else None


def _attachment_count(value: object) -> int:
    """Item.Attachments is documented as one string ('a.pdf (2048b); b.png (15b)'); a list
    is accepted too."""
    if isinstance(value, str):
        sized = len(_ATTACHMENT_SIZE.findall(value))
        return sized or sum(1 for part in value.split(";") if part.strip())
    if isinstance(value, list):
        return sum(1 for entry in value if entry not in (None, "", {}, []))
    return 0


def _recipient_entries(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value]
    entries: list[str] = []
    for one in values[:MAX_SCAN]:
        if isinstance(one, str):
            entries.extend(part.strip() for part in one.split(";")
                           if part.strip() and part.strip().casefold() != "$null")
    return entries


def _email_domains(entry: str) -> list[str]:
    domains = (_domain(match) for match in _EMAIL_DOMAIN.findall(entry[:MAX_TEXT]))
    return [d for d in domains if d]


def _severity(value: object) -> str:
    text = value.strip().casefold() if isinstance(value, str) else ""
    return text if text in SEVERITIES else "low"


# --- Small, total readers of untrusted JSON -------------------------------------------------

def _is_endpoint(record: dict[str, Any]) -> bool:
    record_type = _record_type(record.get("RecordType"))
    workload = _text(record.get("Workload"), 64)
    return (record_type == ENDPOINT_RECORD_TYPE
            or (isinstance(record_type, str) and record_type.casefold() == "dlpendpoint")
            or (workload is not None and workload.casefold() == "endpoint"))


def _record_type(value: object) -> int | str | None:
    """RecordType is a number in the API's JSON and a name in some exports."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**31) <= value < 2**31 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 9:
            return int(text)
        return text[:64] or None
    return None


def _text(value: object, limit: int = MAX_TEXT) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip()[:limit] or None


def _scalar_text(value: object, limit: int) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)[:limit] if -(10**18) < value < 10**18 else None
    return _text(value, limit)


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**18 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.removeprefix("-").isdigit() and len(text) <= 18:
            return int(text)
    return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (entry for entry in value[:MAX_SCAN] if isinstance(entry, dict))


def _strings(value: object, limit: int) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [text for text in (_text(one, limit) for one in values[:MAX_SCAN]) if text]


def _unique_names(values: list[object]) -> list[str]:
    names: list[str] = []
    for value in values[:MAX_SCAN]:
        name = _text(value, 128)
        if name and name not in names:
            names.append(name)
    return names[:MAX_ITEMS]


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1].strip() or None


def _extension(value: object) -> str | None:
    text = _text(value, 32)
    return (text.lstrip(".").casefold() or None) if text else None


def _domain(value: object) -> str | None:
    """A bare, lower-case host name from a domain, address or URL; None if it is none."""
    text = _text(value, 300)
    if not text:
        return None
    host = text.casefold().split("://", 1)[-1].split("/", 1)[0].split("@")[-1]
    host = host.split(":", 1)[0].strip(".")
    return host if _DOMAIN.match(host) and len(host) <= 253 else None


def _size(value: object) -> int:
    return len(json.dumps(value, default=str))


def _fit(attributes: dict[str, Any]) -> dict[str, Any]:
    """Shrink the largest non-essential attribute until the whole fits the event's limit
    (non-ASCII text is escaped, so 1,000 characters can take 6 KB)."""
    budget = MAX_ATTRIBUTES_BYTES - 512
    for _ in range(64):
        if _size(attributes) <= budget:
            break
        candidates = [key for key in attributes if key not in _ESSENTIAL]
        if not candidates:
            break
        key = max(candidates, key=lambda k: _size(attributes[k]))
        value = attributes[key]
        if isinstance(value, str) and len(value) > 16:
            attributes[key] = value[: len(value) // 2]
        elif isinstance(value, list) and len(value) > 1:
            attributes[key] = value[: len(value) // 2]
        else:
            del attributes[key]
    return attributes
