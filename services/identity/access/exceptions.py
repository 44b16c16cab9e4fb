from services.kit.errors import InvalidInput


class InvalidSubject(InvalidInput):
    code = "invalid_subject"
