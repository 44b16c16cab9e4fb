from services.kit.errors import Conflict, NotFound, TooManyRequests, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class AccountExists(Conflict):
    code = "account_exists"


class AccountNotFound(NotFound):
    code = "account_not_found"


class SignInLocked(TooManyRequests):
    code = "sign_in_locked"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"
