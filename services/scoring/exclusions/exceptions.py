from services.kit.errors import Conflict, NotFound


class SuppressionNotFound(NotFound):
    code = "suppression_not_found"


class SuppressionStateConflict(Conflict):
    code = "suppression_state_conflict"


class BenignMarkNotFound(NotFound):
    code = "benign_mark_not_found"
