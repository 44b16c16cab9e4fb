from services.kit.errors import NotFound


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
