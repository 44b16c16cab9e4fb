from services.kit.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OpenIRMError,
    TooManyRequests,
    Unauthenticated,
)


class ClientNotFound(NotFound):
    code = "client_not_found"


class ClientExists(Conflict):
    code = "client_exists"


class ClientRevoked(Conflict):
    code = "client_revoked"


class ReservedRole(InvalidInput):
    """`service` may reach every service's internal API: only OpenIRM's own clients, which
    the launcher provisions, hold it. Integrators get `Integrator`."""

    code = "reserved_role"


class InvalidClient(Unauthenticated):
    """RFC 6749 §5.2 calls this `invalid_client`: unknown client, wrong secret, revoked."""

    code = "invalid_client"


class UnsupportedGrantType(OpenIRMError):
    status, code = 400, "unsupported_grant_type"


class ClientTokenLocked(TooManyRequests):
    code = "client_token_locked"


class InvalidTokenRequest(OpenIRMError):
    """RFC 6749 §5.2 `invalid_request`: e.g. credentials sent two ways at once."""

    status, code = 400, "invalid_request"
