from services.kit.errors import Conflict, NotFound


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertNotOpen(Conflict):
    code = "alert_not_open"
