from services.kit.errors import Conflict, InvalidInput, NotFound


class NoticeTemplateNotFound(NotFound):
    code = "notice_template_not_found"


class NoticeTemplateNameTaken(Conflict):
    code = "notice_template_name_taken"


class InvalidNoticeTemplate(InvalidInput):
    """A template that does not parse or names an unknown placeholder: 422 with the field."""

    code = "invalid_notice_template"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}",
                         extra={"invalid_params": [{"field": field, "reason": reason}]})


class CaseNotActive(Conflict):
    code = "case_closed"
