from services.kit.errors import InvalidInput, NotFound


class ActivityNotFound(NotFound):
    code = "activity_not_found"


class InvalidWindow(InvalidInput):
    code = "invalid_window"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}",
                         extra={"invalid_params": [{"field": field, "reason": reason}]})
