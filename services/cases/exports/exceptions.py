from services.kit.errors import Conflict, NotFound, OpenIRMError


class ExportNotFound(NotFound):
    code = "export_not_found"


class ExportNotReady(Conflict):
    code = "export_not_ready"


class SigningKeyMissing(OpenIRMError):
    status, code = 503, "export_signing_key_missing"
