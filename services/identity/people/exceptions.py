from services.kit.errors import Conflict, NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"


class CaseMismatch(Conflict):
    code = "case_subject_mismatch"


class CaseNotActive(Conflict):
    code = "case_not_active"
