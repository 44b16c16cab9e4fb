from services.kit.errors import NotFound


class RiskLevelNotFound(NotFound):
    code = "risk_level_not_found"
