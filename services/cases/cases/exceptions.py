from services.kit.errors import Conflict, NotFound


class CaseNotFound(NotFound):
    code = "case_not_found"


class CaseClosed(Conflict):
    code = "case_closed"


class CaseSubjectMismatch(Conflict):
    code = "case_subject_mismatch"
