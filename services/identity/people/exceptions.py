from services.kit.errors import NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"
