from services.kit.errors import Conflict, Forbidden, NotFound


class RevealNotFound(NotFound):
    code = "reveal_not_found"


class RevealNotPending(Conflict):
    code = "reveal_not_pending"


class SelfApproval(Forbidden):
    code = "reveal_self_approval"


class CaseMismatch(Conflict):
    code = "case_subject_mismatch"


class CaseNotActive(Conflict):
    code = "case_not_active"


class NotAStaffAccount(Forbidden):
    code = "not_a_staff_account"
