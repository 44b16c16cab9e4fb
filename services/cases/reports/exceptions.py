from services.kit.errors import Conflict, Forbidden, NotFound


class ReportNotFound(NotFound):
    code = "activity_report_not_found"


class NotReportOwner(Forbidden):
    code = "not_report_owner"


class ShareNotFound(NotFound):
    code = "activity_report_share_not_found"


class ReportNotReady(Conflict):
    code = "activity_report_not_ready"
