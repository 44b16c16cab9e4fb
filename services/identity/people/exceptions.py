from services.kit.errors import Conflict, InvalidInput, NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"


class PersonErased(Conflict):
    code = "person_erased"


class ImportRejected(InvalidInput):
    """Some rows are invalid and the import was to be all or nothing: nothing was applied."""

    code = "import_rejected"


class InvalidHeader(InvalidInput):
    code = "invalid_header"
