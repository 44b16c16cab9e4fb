from __future__ import annotations

from services.kit.errors import InvalidInput, InvalidParam


class InvalidAuditFilter(InvalidInput):
    """A filter or an anchor that cannot select anything meaningful (422, field named)."""

    code = "invalid_audit_filter"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", extra={"invalid_params": [
            InvalidParam(field=field, reason=reason)]})
