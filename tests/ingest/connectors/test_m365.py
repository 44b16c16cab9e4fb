"""Mapping Microsoft 365 unified audit log records: one realistic record per mapped operation,
the records that are counted but not scored, the ones refused, and fuzzing for totality."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.connectors.m365 import MAPPED_OPERATIONS, map_record
from services.ingest.connectors.parsing import Parsed, RecordError, Unmapped
from services.ingest.events.schemas import MAX_ATTRIBUTES_BYTES

ORG = "4a1d6c2e-7b5f-4c0e-9d3a-2f8e6b1c0a97"
WHEN = "2026-11-20T10:15:00"
AT = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
USER = "megan.bowen@contoso.com"
SITE = "https://contoso.sharepoint.com/sites/Finance/"
LABEL_CONFIDENTIAL = "b5a4c0d3-2f1e-4d9c-8b7a-6e5f4d3c2b1a"
LABEL_GENERAL = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def envelope(id_: str, operation: str, record_type: int, workload: str,
             **fields: Any) -> dict[str, Any]:
    """The common schema, in the order and form the Management Activity API writes it."""
    return {"CreationTime": WHEN, "Id": id_, "Operation": operation, "OrganizationId": ORG,
            "RecordType": record_type, "UserKey": "i:0h.f|membership|10032001a2b3c4d5@live.com",
            "UserType": 0, "Version": 1, "Workload": workload, "ClientIP": "203.0.113.24",
            "UserId": USER, **fields}


def sharepoint(id_: str, operation: str, file_name: str = "Q4 Forecast.xlsx",
               record_type: int = 6, **fields: Any) -> dict[str, Any]:
    return envelope(id_, operation, record_type, "SharePoint", **{**dict(
        ObjectId=f"{SITE}Shared Documents/{file_name}",
        CorrelationId="1c9e4f0a-60a3-5000-a8b2-6e3f2d1c0b9a", EventSource="SharePoint",
        ItemType="File", ListId="f3b2a1c0-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
        ListItemUniqueId="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
        Site="d4c3b2a1-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
        UserAgent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0.0.0",
        WebId="e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9",
        SourceFileExtension=file_name.rsplit(".", 1)[-1], SiteUrl=SITE,
        SourceFileName=file_name, SourceRelativeUrl="Shared Documents"), **fields})


def endpoint(id_: str, operation: str, **fields: Any) -> dict[str, Any]:
    return envelope(id_, operation, 63, "Endpoint", **{**dict(
        DeviceName="LT-MBOWEN-01.contoso.com", Platform=1,
        Application="Microsoft Windows Explorer",
        ObjectId="C:\\Users\\mbowen\\Documents\\Customer List.xlsx", FileExtension="xlsx",
        FileType="Xlsx", FileSize=482113, SourceLocationType=1, Sha256=SHA256,
        Sha1="a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        MDATPDeviceId="0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", EnforcementMode=1,
        SensitiveInfoTypeData=[{"SensitiveInfoTypeId": "50842eb7-edc8-4019-85dd-5a5c1f2bb085",
                                "Count": 37, "Confidence": 85,
                                "SensitiveInfoTypeName": "Credit Card Number"}],
        SensitivityLabelEventData={"SensitivityLabelId": LABEL_CONFIDENTIAL},
        PolicyMatchInfo={"PolicyId": "6c5b4a39-2817-4f06-9e5d-4c3b2a190807",
                         "PolicyName": "Endpoint - PCI", "RuleId": "7d6c5b4a-3928-4170-8f6e-"
                         "5d4c3b2a1908", "RuleName": "Audit removable media"}),
        **fields})


def sharing(id_: str, operation: str, target: str | None, target_type: str | None,
            record_type: int = 14) -> dict[str, Any]:
    fields: dict[str, Any] = {"EventData": "<Type>View</Type><MembersCanShare>Yes"
                                           "</MembersCanShare>",
                              "UniqueSharingId": "26f0a7e4-7b4c-4b0c-9a1e-3f2d1c0b9a88"}
    if target is not None:
        fields["TargetUserOrGroupName"] = target
    if target_type is not None:
        fields["TargetUserOrGroupType"] = target_type
    return sharepoint(id_, operation, "Board Pack.pdf", record_type=record_type, **fields)


def mailbox(id_: str, item: dict[str, Any]) -> dict[str, Any]:
    return envelope(
        id_, "Send", 2, "Exchange", ResultStatus="Succeeded", AppId="00000002-0000-0ff1-"
        "ce00-000000000000", ClientIPAddress="203.0.113.24",
        ClientInfoString="Client=OWA;Action=ViaProxy", ExternalAccess=False,
        InternalLogonType=0, LogonType=0, LogonUserSid="S-1-5-21-1004336348-1177238915-"
        "682003330-512", MailboxGuid="a78873bc-8394-40d1-8e2f-a0b6c3334455",
        MailboxOwnerSid="S-1-5-21-1004336348-1177238915-682003330-512",
        MailboxOwnerUPN=USER, OrganizationName="contoso.onmicrosoft.com",
        OriginatingServer="DB7PR04MB4346 (15.20.8158.017)\r\n",
        SessionId="9a8cf76d-d754-3e2e-b10d-9bb87654f3b2",
        Item={"Id": "RgAAAAB+7ILpFNx8TrktaK8VYWerBwBe9CuwLc2fTK7W46L1SAp9AAAAAAEJAAA",
              "InternetMessageId": "<DB7PR04MB43461A2B3C@DB7PR04MB4346.eurprd04.prod.outlook"
                                   ".com>",
              "ParentFolder": {"Id": "LgAAAAB+7ILpFNx8TrktaK8VYWerAQBe9CuwLc2fTK7W46L1SAp9AA"
                                     "AAAAEJAAAB", "Path": "\\Sent Items"},
              "SizeInBytes": 1853420, **item})


def inbox_rule(id_: str, operation: str, parameters: list[dict[str, str]]) -> dict[str, Any]:
    return envelope(
        id_, operation, 1, "Exchange", ResultStatus="True",
        ObjectId=f"{USER}\\Sync", ExternalAccess=False,
        OriginatingServer="AM0PR04MB6513 (15.20.8158.017)",
        OrganizationName="contoso.onmicrosoft.com", AppId="", ClientAppId="",
        SessionId="64c1a0f1-2e3d-4c5b-8a79-0f1e2d3c4b5a",
        Parameters=[{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"},
                    {"Name": "Force", "Value": "False"},
                    {"Name": "Name", "Value": "Sync"}, *parameters])


def label(id_: str, operation: str, record_type: int = 6, **event_data: Any) -> dict[str, Any]:
    return sharepoint(id_, operation, "Acquisition Plan.docx", record_type=record_type,
                      SensitivityLabelEventData={"ActionSource": 3, "ActionSourceDetail": 0,
                                                 "JustificationText": "No longer relevant",
                                                 **event_data})


def dlp_sharepoint(id_: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return envelope(
        id_, "DLPRuleMatch", 11, "SharePoint", UserKey="DlpAgent", ObjectId=f"{SITE}Shared "
        "Documents/Payroll 2026.xlsx", IncidentId="b0a9f8e7-d6c5-4b4a-9392-8170e6d5c4b3",
        SensitiveInfoDetectionIsIncluded=False,
        SharePointMetaData={"From": USER, "itemCreationTime": "2026-11-19T08:00:00",
                            "SiteCollectionGuid": "d4c3b2a1-0f9e-4d8c-b7a6-5f4e3d2c1b0a",
                            "SiteCollectionUrl": SITE, "FileName": "Payroll 2026.xlsx",
                            "FileOwner": "Megan Bowen",
                            "FilePathUrl": f"{SITE}Shared Documents/Payroll 2026.xlsx",
                            "DocumentLastModifier": USER, "DocumentSharer": USER,
                            "UniqueId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                            "LastModifiedTime": "2026-11-20T10:14:31",
                            "IsViewableByExternalUsers": True},
        PolicyDetails=[{"PolicyId": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
                        "PolicyName": "U.S. Financial Data", "Rules": rules}])


def dlp_rule(name: str, severity: str | None, *types: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "RuleId": "2e3d4c5b-6a79-4887-96a5-b4c3d2e1f0a9", "RuleName": name,
        "Actions": ["NotifyUser", "BlockAccess"], "RuleMode": "Enforce",
        "ConditionsMatched": {"SensitiveInformation": [
            {"Confidence": 85, "Count": 12, "SensitiveType": "a44669fe-0d48-453d-a9b1-"
             "2cc83f2cba77", "SensitiveInformationTypeName": t, "UniqueCount": 12}
            for t in types]}}
    if severity is not None:
        rule["Severity"] = severity
    return rule


SAMPLES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("FileDownloaded", sharepoint("8a7c2f4e-1b3d-4e5f-9a8b-7c6d5e4f3a21", "FileDownloaded"),
     "file.downloaded", {"file_name": "Q4 Forecast.xlsx", "file_extension": "xlsx",
                         "path": f"{SITE}Shared Documents/Q4 Forecast.xlsx", "site_url": SITE,
                         "client_ip": "203.0.113.24"}),
    ("FileSyncDownloadedFull",
     sharepoint("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "FileSyncDownloadedFull",
                MachineDomainInfo="contoso.com", MachineId="7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"),
     "file.synced", {"file_name": "Q4 Forecast.xlsx"}),
    ("FileSyncDownloadedPartial",
     sharepoint("2e3d4c5b-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "FileSyncDownloadedPartial"),
     "file.synced", {"file_name": "Q4 Forecast.xlsx"}),
    ("FileCopied",
     sharepoint("3f4e5d6c-7a8b-4c9d-8e0f-2a3b4c5d6e7f", "FileCopied",
                DestinationFileExtension="xlsx", DestinationFileName="Q4 Forecast copy.xlsx",
                DestinationRelativeUrl="Shared Documents/Archive"),
     "file.copied", {"file_name": "Q4 Forecast.xlsx",
                     "target_path": "https://contoso.sharepoint.com/sites/Finance/Shared "
                                    "Documents/Archive/Q4 Forecast copy.xlsx"}),
    ("FileUploaded", sharepoint("4a5f6e7d-8b9c-4d0e-9f1a-3b4c5d6e7f8a", "FileUploaded",
                                "installer.zip"),
     "file.uploaded", {"file_name": "installer.zip", "file_extension": "zip"}),
    ("FileSyncUploadedFull",
     sharepoint("5b6a7f8e-9c0d-4e1f-8a2b-4c5d6e7f8a9b", "FileSyncUploadedFull", "notes.txt"),
     "file.uploaded", {"file_name": "notes.txt"}),
    ("FileDeleted", sharepoint("6c7b8a9f-0d1e-4f2a-9b3c-5d6e7f8a9b0c", "FileDeleted"),
     "file.deleted", {"file_name": "Q4 Forecast.xlsx", "workload": "SharePoint"}),
    ("FileRecycled", sharepoint("7d8c9b0a-1e2f-4a3b-8c4d-6e7f8a9b0c1d", "FileRecycled"),
     "file.deleted", {"file_name": "Q4 Forecast.xlsx"}),
    ("FileRenamed",
     sharepoint("8e9d0c1b-2f3a-4b4c-9d5e-7f8a9b0c1d2e", "FileRenamed",
                DestinationFileExtension="txt", DestinationFileName="holiday photos.txt",
                DestinationRelativeUrl="Shared Documents"),
     "file.renamed", {"file_name": "Q4 Forecast.xlsx",
                      "target_path": f"{SITE}Shared Documents/holiday photos.txt"}),
    ("SharingSet",
     sharing("9f0e1d2c-3a4b-4c5d-8e6f-8a9b0c1d2e3f", "SharingSet",
             "jo.external_gmail.com#EXT#@contoso.onmicrosoft.com", "Guest"),
     "file.shared_externally", {"target_type": "Guest", "target_domain": "gmail.com",
                                "file_name": "Board Pack.pdf", "record_type": 14}),
    ("SharingInvitationCreated",
     sharing("0a1f2e3d-4b5c-4d6e-9f7a-9b0c1d2e3f4a", "SharingInvitationCreated",
             "jo.external@fabrikam.com", "Guest"),
     "file.shared_externally", {"target_domain": "fabrikam.com",
                                "recipients": ["jo.external@fabrikam.com"]}),
    ("AddedToSecureLink",
     sharing("1b2a3f4e-5c6d-4e7f-8a8b-0c1d2e3f4a5b", "AddedToSecureLink",
             "buyer@partner.example", "Partner"),
     "file.shared_externally", {"target_type": "Partner", "target_domain": "partner.example"}),
    ("SecureLinkCreated",
     sharing("2c3b4a5f-6d7e-4f8a-9b9c-1d2e3f4a5b6c", "SecureLinkCreated",
             "sam_outlook.com#ext#@contoso.onmicrosoft.com", None),
     "file.shared_externally", {"target_domain": "outlook.com"}),
    ("AnonymousLinkCreated",
     sharing("3d4c5b6a-7e8f-4a9b-8c0d-2e3f4a5b6c7d", "AnonymousLinkCreated", None, None),
     "file.anonymous_link_created", {"file_name": "Board Pack.pdf",
                                     "path": f"{SITE}Shared Documents/Board Pack.pdf"}),
    ("FileSensitivityLabelRemoved",
     label("4e5d6c7b-8f9a-4b0c-9d1e-3f4a5b6c7d8e", "FileSensitivityLabelRemoved",
           OldSensitivityLabelId=LABEL_CONFIDENTIAL, LabelEventType=3),
     "file.label_removed", {"label_from": LABEL_CONFIDENTIAL,
                            "file_name": "Acquisition Plan.docx"}),
    ("SensitivityLabelRemoved",
     label("5f6e7d8c-9a0b-4c1d-8e2f-4a5b6c7d8e9f", "SensitivityLabelRemoved", record_type=83,
           OldSensitivityLabelId=LABEL_CONFIDENTIAL, LabelEventType=3),
     "file.label_removed", {"label_from": LABEL_CONFIDENTIAL, "record_type": 83}),
    ("FileSensitivityLabelChanged",
     label("6a7f8e9d-0b1c-4d2e-9f3a-5b6c7d8e9f0a", "FileSensitivityLabelChanged",
           OldSensitivityLabelId=LABEL_CONFIDENTIAL, SensitivityLabelId=LABEL_GENERAL,
           LabelEventType=2),
     "file.label_downgraded", {"label_from": LABEL_CONFIDENTIAL, "label_to": LABEL_GENERAL,
                               "sensitivity_label": LABEL_GENERAL}),
    ("SensitivityLabelUpdated",
     label("7b8a9f0e-1c2d-4e3f-8a4b-6c7d8e9f0a1b", "SensitivityLabelUpdated", record_type=83,
           OldSensitivityLabelId=LABEL_CONFIDENTIAL, SensitivityLabelId=LABEL_GENERAL,
           LabelEventType="LabelDowngraded"),
     "file.label_downgraded", {"label_from": LABEL_CONFIDENTIAL, "label_to": LABEL_GENERAL}),
    ("Send",
     mailbox("8c9b0a1f-2d3e-4f4a-9b5c-7d8e9f0a1b2c",
             {"Subject": "Customer pricing - final",
              "Attachments": "Pricing 2027.xlsx (1803354b); image001.png (4210b)"}),
     "email.sent_with_attachment", {"attachment_count": 2, "subject": "Customer pricing - final",
                                    "bytes": 1853420, "workload": "Exchange"}),
    ("New-InboxRule",
     inbox_rule("9d0c1b2a-3e4f-4a5b-8c6d-8e9f0a1b2c3d", "New-InboxRule",
                [{"Name": "ForwardTo", "Value": "megan.private@gmail.com"},
                 {"Name": "StopProcessingRules", "Value": "True"}]),
     "email.forwarding_rule_created", {"forward_to": ["megan.private@gmail.com"],
                                       "target_domain": "gmail.com", "record_type": 1}),
    ("Set-InboxRule",
     inbox_rule("0e1d2c3b-4f5a-4b6c-9d7e-9f0a1b2c3d4e", "Set-InboxRule",
                [{"Name": "Identity", "Value": "Sync"},
                 {"Name": "RedirectTo", "Value": "\"Megan\" [SMTP:mb@proton.me];"
                                                 "archive@fabrikam.com"}]),
     "email.forwarding_rule_created", {"target_domain": "fabrikam.com,proton.me",
                                       "forward_to": ["\"Megan\" [SMTP:mb@proton.me]",
                                                      "archive@fabrikam.com"]}),
    ("DLPRuleMatch",
     dlp_sharepoint("1f2e3d4c-5a6b-4c7d-8e8f-0a1b2c3d4e5f",
                    [dlp_rule("Low volume", "Medium", "U.S. Bank Account Number"),
                     dlp_rule("High volume", "High", "U.S. Bank Account Number",
                              "ABA Routing Number")]),
     "dlp.rule_match", {"severity": "high", "policy_name": "U.S. Financial Data",
                        "rule_name": "High volume",
                        "sensitive_info_types": ["U.S. Bank Account Number",
                                                 "ABA Routing Number"],
                        "file_name": "Payroll 2026.xlsx", "site_url": SITE,
                        "path": f"{SITE}Shared Documents/Payroll 2026.xlsx", "record_type": 11}),
    ("FileCopiedToRemovableMedia",
     endpoint("2a3f4e5d-6b7c-4d8e-9f9a-1b2c3d4e5f6a", "FileCopiedToRemovableMedia",
              DestinationLocationType=2, TargetFilePath="E:\\Customer List.xlsx",
              RemovableMediaDeviceAttributes={"Manufacturer": "SanDisk", "Model": "Cruzer Blade",
                                              "SerialNumber": "4C530001230101118352",
                                              "BusType": "USB"}),
     "device.file_copied_to_usb", {
         "device_name": "LT-MBOWEN-01.contoso.com", "file_name": "Customer List.xlsx",
         "path": "C:\\Users\\mbowen\\Documents\\Customer List.xlsx", "file_extension": "xlsx",
         "file_type": "Xlsx", "bytes": 482113, "target_path": "E:\\Customer List.xlsx",
         "application": "Microsoft Windows Explorer", "platform": "1", "sha256": SHA256,
         "sensitive_info_types": ["Credit Card Number"],
         "sensitivity_label": LABEL_CONFIDENTIAL, "policy_name": "Endpoint - PCI",
         "rule_name": "Audit removable media", "record_type": 63, "workload": "Endpoint"}),
    ("FileUploadedToCloud",
     endpoint("3b4a5f6e-7c8d-4e9f-8a0b-2c3d4e5f6a7b", "FileUploadedToCloud",
              Application="msedge.exe", TargetDomain="https://drive.google.com",
              DestinationLocationType=5),
     "device.file_uploaded_to_cloud", {"target_domain": "drive.google.com",
                                       "application": "msedge.exe"}),
    ("FilePrinted",
     endpoint("4c5b6a7f-8d9e-4f0a-9b1c-3d4e5f6a7b8c", "FilePrinted",
              TargetPrinterName="HP LaserJet 4th Floor"),
     "device.file_printed", {"file_name": "Customer List.xlsx"}),
    ("FileCopiedToNetworkShare",
     endpoint("5d6c7b8a-9e0f-4a1b-8c2d-4e5f6a7b8c9d", "FileCopiedToNetworkShare",
              TargetFilePath="\\\\nas01\\public\\Customer List.xlsx"),
     "device.file_copied_to_network_share",
     {"target_path": "\\\\nas01\\public\\Customer List.xlsx"}),
    ("FileArchived",
     endpoint("6e7d8c9b-0f1a-4b2c-9d3e-5f6a7b8c9d0e", "FileArchived",
              TargetFilePath="C:\\Users\\mbowen\\Desktop\\export.zip"),
     "device.file_archived", {"target_path": "C:\\Users\\mbowen\\Desktop\\export.zip"}),
    ("FileRenamed (Endpoint)",
     endpoint("7f8e9d0c-1a2b-4c3d-8e4f-6a7b8c9d0e1f", "FileRenamed",
              TargetFilePath="C:\\Users\\mbowen\\Documents\\recipes.txt"),
     "device.file_renamed", {"target_path": "C:\\Users\\mbowen\\Documents\\recipes.txt",
                             "device_name": "LT-MBOWEN-01.contoso.com"}),
    ("FileDeleted (Endpoint)",
     endpoint("8a9f0e1d-2b3c-4d4e-9f5a-7b8c9d0e1f2a", "FileDeleted"),
     "device.file_deleted", {"file_name": "Customer List.xlsx", "workload": "Endpoint"}),
    ("FileCopiedToRemoteDesktopSession",
     endpoint("9b0a1f2e-3c4d-4e5f-8a6b-8c9d0e1f2a3b", "FileCopiedToRemoteDesktopSession"),
     "device.remote_desktop_copy", {"file_name": "Customer List.xlsx"}),
]


@pytest.mark.parametrize(("record", "type_", "attributes"),
                         [pytest.param(r, t, a, id=name) for name, r, t, a in SAMPLES])
def test_each_mapped_operation(record: dict[str, Any], type_: str,
                               attributes: dict[str, Any]) -> None:
    outcome = map_record(7, record)
    assert isinstance(outcome, Parsed), outcome
    event = outcome.event
    assert outcome.index == 7 and outcome.original is record
    assert outcome.natural_key is None
    assert event.id == f"m365:{record['Id']}"
    assert event.type.value == type_
    assert event.actor == USER and event.source == "m365"
    assert event.occurred_at == AT and event.occurred_at.utcoffset().total_seconds() == 0
    assert event.attributes["operation"] == record["Operation"]
    assert {"record_type", "workload"} <= event.attributes.keys()
    assert {k: event.attributes.get(k) for k in attributes} == attributes


def test_every_mapped_operation_has_a_sample() -> None:
    assert {record["Operation"] for _, record, _, _ in SAMPLES} == MAPPED_OPERATIONS


def test_offset_times_are_kept_and_naive_times_are_utc() -> None:
    record = sharepoint("0c1b2a3f-4d5e-4f6a-9b7c-9d0e1f2a3b4c", "FileDownloaded",
                        CreationTime="2026-11-20T11:15:00+01:00")
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed) and outcome.event.occurred_at == AT
    zulu = map_record(0, {**record, "CreationTime": "2026-11-20T10:15:00Z"})
    assert isinstance(zulu, Parsed) and zulu.event.occurred_at == AT


def test_operation_names_match_case_insensitively() -> None:
    record = dlp_sharepoint("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5e",
                            [dlp_rule("Any", "Low", "U.S. Bank Account Number")])
    record["Operation"] = "DlpRuleMatch"  # as Microsoft's schema page spells it
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed) and outcome.event.attributes["operation"] == "DLPRuleMatch"


@pytest.mark.parametrize(("severity", "expected"), [
    ("High", "high"), ("MEDIUM", "medium"), (" low ", "low"), ("Informational", "low"),
    ("None", "low"), (None, "low"), (3, "low")])
def test_dlp_severity_is_normalised(severity: object, expected: str) -> None:
    rule = dlp_rule("Any", None)
    if severity is not None:
        rule["Severity"] = severity
    outcome = map_record(0, dlp_sharepoint("2e3d4c5b-6f7a-4b8c-9d0e-1f2a3b4c5d6f", [rule]))
    assert isinstance(outcome, Parsed)
    assert outcome.event.attributes["severity"] == expected


def test_exchange_dlp_match_names_subject_and_recipients() -> None:
    record = envelope(
        "3f4e5d6c-7a8b-4c9d-8e0f-2a3b4c5d6e80", "DLPRuleMatch", 13, "Exchange",
        UserKey="DlpAgent", ObjectId="<DB7PR04MB43461A2B3C@DB7PR04MB4346.outlook.com>",
        ExchangeMetaData={"BCC": [], "CC": ["finance@contoso.com"],
                          "From": USER, "MessageID": "<DB7PR04MB43461A2B3C@outlook.com>",
                          "RecipientCount": 2, "Sent": "2026-11-20T10:14:58",
                          "Subject": "Salaries", "To": ["jo@gmail.com"],
                          "UniqueID": "0b6b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"},
        PolicyDetails=[{"PolicyId": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
                        "PolicyName": "GDPR", "Rules": [dlp_rule("Outbound", "Low",
                                                                  "EU National ID")]}])
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed)
    attributes = outcome.event.attributes
    assert attributes["severity"] == "low" and attributes["policy_name"] == "GDPR"
    assert attributes["subject"] == "Salaries" and attributes["recipient_count"] == 2
    assert attributes["recipients"] == ["jo@gmail.com", "finance@contoso.com"]
    assert attributes["sensitive_info_types"] == ["EU National ID"]


def test_long_and_non_ascii_values_fit_the_attribute_limit() -> None:
    name = "報告書" * 600 + ".docx"
    record = sharepoint("4a5f6e7d-8b9c-4d0e-9f1a-3b4c5d6e7f80", "FileDownloaded", name,
                        SiteUrl="https://contoso.sharepoint.com/sites/" + "営業" * 900)
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed)
    attributes = outcome.event.attributes
    assert len(json.dumps(attributes)) <= MAX_ATTRIBUTES_BYTES
    assert attributes["operation"] == "FileDownloaded"
    assert all(len(v) <= 1000 for v in attributes.values() if isinstance(v, str))


# --- Counted, not scored --------------------------------------------------------------------

UNMAPPED: list[tuple[str, dict[str, Any]]] = [
    ("FileAccessed", sharepoint("5b6a7f8e-9c0d-4e1f-8a2b-4c5d6e7f8a90", "FileAccessed")),
    ("UserLoggedIn", envelope("6c7b8a9f-0d1e-4f2a-9b3c-5d6e7f8a9b01", "UserLoggedIn", 15,
                              "AzureActiveDirectory", UserId="7f1c0a4e-2b3d-4c5e-8f6a-"
                              "7b8c9d0e1f2a")),
    ("internal sharing", sharing("7d8c9b0a-1e2f-4a3b-8c4d-6e7f8a9b0c12", "SharingSet",
                                 "alex.wilber@contoso.com", "Member")),
    ("link without target", sharing("8e9d0c1b-2f3a-4b4c-9d5e-7f8a9b0c1d23",
                                    "SecureLinkCreated", None, None)),
    ("Send without attachments", mailbox("9f0e1d2c-3a4b-4c5d-8e6f-8a9b0c1d2e34",
                                         {"Subject": "Lunch?"})),
    ("Send with empty attachments", mailbox("0a1f2e3d-4b5c-4d6e-9f7a-9b0c1d2e3f45",
                                            {"Subject": "Lunch?", "Attachments": ""})),
    ("inbox rule without forwarding",
     inbox_rule("1b2a3f4e-5c6d-4e7f-8a8b-0c1d2e3f4a56", "New-InboxRule",
                [{"Name": "From", "Value": "newsletter@contoso.com"},
                 {"Name": "MoveToFolder", "Value": "Newsletters"}])),
    ("inbox rule clearing forwarding",
     inbox_rule("2c3b4a5f-6d7e-4f8a-9b9c-1d2e3f4a5b67", "Set-InboxRule",
                [{"Name": "ForwardTo", "Value": "$null"}])),
    ("label upgrade", label("3d4c5b6a-7e8f-4a9b-8c0d-2e3f4a5b6c78",
                            "FileSensitivityLabelChanged", OldSensitivityLabelId=LABEL_GENERAL,
                            SensitivityLabelId=LABEL_CONFIDENTIAL, LabelEventType=1)),
    ("label change of unknown direction",
     label("4e5d6c7b-8f9a-4b0c-9d1e-3f4a5b6c7d89", "SensitivityLabelUpdated", record_type=83,
           SensitivityLabelId=LABEL_CONFIDENTIAL)),
    ("endpoint FileRead", endpoint("5f6e7d8c-9a0b-4c1d-8e2f-4a5b6c7d8e90", "FileRead")),
    ("system account on an unmapped operation",
     sharepoint("6a7f8e9d-0b1c-4d2e-9f3a-5b6c7d8e9f01", "FileModified",
                UserId="SHAREPOINT\\system")),
]


@pytest.mark.parametrize("record", [pytest.param(r, id=n) for n, r in UNMAPPED])
def test_unmapped_records_are_counted(record: dict[str, Any]) -> None:
    assert map_record(3, record) == Unmapped(3, record["Operation"])


def test_label_order_fields_show_a_downgrade() -> None:
    record = label("7b8a9f0e-1c2d-4e3f-8a4b-6c7d8e9f0a12", "FileSensitivityLabelChanged",
                   OldSensitivityLabelId=LABEL_CONFIDENTIAL, SensitivityLabelId=LABEL_GENERAL,
                   OldSensitivityLabelOrder=3, SensitivityLabelOrder=1)
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed)
    assert outcome.event.type.value == "file.label_downgraded"


# --- Refused --------------------------------------------------------------------------------

def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


BASE = sharepoint("8c9b0a1f-2d3e-4f4a-9b5c-7d8e9f0a1b23", "FileDownloaded")
ERRORS: list[tuple[str, object, str]] = [
    ("no Id", _without(BASE, "Id"), "Id"),
    ("blank Id", {**BASE, "Id": "  "}, "Id"),
    ("Id with spaces", {**BASE, "Id": "8c9b0a1f 2d3e"}, "Id"),
    ("numeric Id", {**BASE, "Id": 42}, "Id"),
    ("no Operation", _without(BASE, "Operation"), "Operation"),
    ("blank Operation", {**BASE, "Operation": ""}, "Operation"),
    ("no UserId", _without(BASE, "UserId"), "UserId"),
    ("UserId not an email", {**BASE, "UserId": "SHAREPOINT\\system"}, "UserId"),
    ("UserId a number", {**BASE, "UserId": 12}, "UserId"),
    ("no CreationTime", _without(BASE, "CreationTime"), "CreationTime"),
    ("bad CreationTime", {**BASE, "CreationTime": "20/11/2026 10:15"}, "CreationTime"),
    ("CreationTime out of range", {**BASE, "CreationTime": "1960-01-01T00:00:00"},
     "CreationTime"),
    ("list record", [BASE], "(record)"),
    ("string record", "FileDownloaded", "(record)"),
    ("null record", None, "(record)"),
]


@pytest.mark.parametrize(("record", "field"), [pytest.param(r, f, id=n) for n, r, f in ERRORS])
def test_bad_records_are_refused_naming_the_field(record: object, field: str) -> None:
    outcome = map_record(5, record)
    assert isinstance(outcome, RecordError), outcome
    assert outcome.index == 5 and outcome.field == field and outcome.reason


def test_bad_time_on_unmapped_operation_is_still_an_error() -> None:
    record = {**sharepoint("9d0c1b2a-3e4f-4a5b-8c6d-8e9f0a1b2c34", "FileAccessed"),
              "CreationTime": "yesterday"}
    outcome = map_record(0, record)
    assert isinstance(outcome, RecordError) and outcome.field == "CreationTime"


# --- Never raises ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
TIMES = st.sampled_from([WHEN, "2026-11-20T10:15:00Z", "2026-11-20T10:15:00.123+05:30",
                         "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-02-30",
                         "", " ", "\x00", "2026-11-20T25:00:00"])
OPERATIONS = st.sampled_from([*sorted(MAPPED_OPERATIONS), "FileAccessed", "dlpRULEmatch"])
KEYS = ["Id", "RecordType", "CreationTime", "Operation", "OrganizationId", "UserType",
        "UserKey", "Workload", "UserId", "ClientIP", "ObjectId", "SiteUrl", "SourceRelativeUrl",
        "SourceFileName", "SourceFileExtension", "TargetUserOrGroupName",
        "TargetUserOrGroupType", "EventData", "Parameters", "Item", "PolicyDetails",
        "SharePointMetaData", "ExchangeMetaData", "DeviceName", "FileExtension", "FileType",
        "TargetDomain", "TargetFilePath", "Application", "Platform", "Sha256",
        "SensitiveInfoTypeData", "SensitivityLabelEventData", "DestinationFileName",
        "DestinationRelativeUrl", "FileSize", "PolicyMatchInfo", "ClientIPAddress",
        "SourceLabel", "DestinationLabel", "LabelEventType"]
SERVICE_FIELDS = {
    "RecordType": st.sampled_from([1, 2, 6, 11, 13, 14, 63, 83, "63", "DLPEndpoint"]) | JSON,
    "Workload": st.sampled_from(["SharePoint", "OneDrive", "Exchange", "Endpoint"]) | JSON,
    "Item": st.fixed_dictionaries({}, optional={
        "Subject": JSON, "SizeInBytes": JSON,
        "Attachments": st.sampled_from(["a.pdf (12b); b.png (3b)", "x; y", ";"]) | JSON}) | JSON,
    "Parameters": st.lists(st.fixed_dictionaries({
        "Name": st.sampled_from(["ForwardTo", "ForwardAsAttachmentTo", "RedirectTo"]) | JSON,
        "Value": st.text(max_size=60) | JSON})) | JSON,
    "PolicyDetails": st.lists(st.fixed_dictionaries({}, optional={
        "PolicyName": JSON, "Rules": st.lists(st.fixed_dictionaries({}, optional={
            "RuleName": JSON, "Severity": st.sampled_from(["High", "Low", "None"]) | JSON,
            "ConditionsMatched": st.fixed_dictionaries({}, optional={
                "SensitiveInformation": st.lists(st.fixed_dictionaries({}, optional={
                    "SensitiveInformationTypeName": JSON}) | JSON)}) | JSON}) | JSON)}),
        max_size=3) | JSON,
    "TargetUserOrGroupType": st.sampled_from(["Guest", "Partner", "Member"]) | JSON,
    "TargetUserOrGroupName": st.sampled_from(["a_b.com#EXT#@t.onmicrosoft.com",
                                              "urn:spo:guest#x@y.z", "#ext#"]) | JSON,
    "SensitivityLabelEventData": st.fixed_dictionaries({}, optional={
        "LabelEventType": st.sampled_from([2, 3, "2", "LabelDowngraded"]) | JSON,
        "OldSensitivityLabelOrder": JSON, "SensitivityLabelOrder": JSON}) | JSON,
    "TargetDomain": st.sampled_from(["https://drive.google.com:443/x", "a..b", "@"]) | JSON,
}


def _check(record: object) -> None:
    outcome = map_record(0, record)
    assert isinstance(outcome, Parsed | RecordError | Unmapped)
    if isinstance(outcome, Parsed):
        assert outcome.original is record
        assert len(json.dumps(outcome.event.attributes, default=str)) <= MAX_ATTRIBUTES_BYTES


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_value_is_an_outcome(record: object) -> None:
    _check(record)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={key: JSON for key in KEYS}))
def test_common_schema_keys_with_any_values_are_an_outcome(record: dict[str, Any]) -> None:
    _check(record)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(
    {"Id": st.sampled_from(["8a7c2f4e-1b3d-4e5f-9a8b-7c6d5e4f3a21", "bad id", "x" * 200]),
     "CreationTime": TIMES, "Operation": OPERATIONS,
     "UserId": st.sampled_from([USER, "SHAREPOINT\\system", " "])},
    optional={key: SERVICE_FIELDS.get(key, JSON) for key in KEYS
              if key not in ("Id", "CreationTime", "Operation", "UserId")}))
def test_mapped_operations_with_any_service_fields_are_an_outcome(
        record: dict[str, Any]) -> None:
    _check(record)
