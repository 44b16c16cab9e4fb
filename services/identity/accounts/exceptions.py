from services.kit.errors import Conflict, NotFound, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class AccountExists(Conflict):
    code = "account_exists"


class AccountNotFound(NotFound):
    code = "account_not_found"
