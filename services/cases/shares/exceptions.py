from services.kit.errors import InvalidInput, NotFound


class ShareNotFound(NotFound):
    code = "share_not_found"


class NotACaseViewer(InvalidInput):
    """Only an account holding the CaseViewer role can be given a case to read."""

    code = "not_a_case_viewer"
