from services.kit.errors import Conflict, InvalidInput, NotFound


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class WebhookUrlRefused(InvalidInput):
    """Not http(s), or (unless private networks are allowed) a non-public address."""

    code = "webhook_url_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, extra={"invalid_params": [
            {"field": "url", "index": None, "reason": message}]})


class WebhookAlreadyEnabled(Conflict):
    code = "webhook_enabled"
