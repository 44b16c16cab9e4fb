from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EvidenceRead(BaseModel):
    """An attachment's metadata (its content is downloaded separately)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    filename: str
    content_type: str = Field(description="Checked against the content's own signature.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="Hex SHA-256 of the content, also its download's ETag.")
    description: str
    added_by: str
    created_at: datetime


# The request body of POST /cases/{case_id}/evidence, for the OpenAPI document (the body is
# read as it streams in, not by FastAPI's form parsing).
UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "description"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": (
                "PDF, PNG, JPEG, GIF, plain text, CSV, e-mail (.eml), ZIP, DOCX or XLSX; its "
                "part's Content-Type and file name must agree with its content.")},
            "description": {"type": "string", "minLength": 1, "maxLength": 2000},
        }}}},
}
