"""Domain errors raised by services; views turn them into flashes and status codes."""


class DomainError(Exception):
    """A rule a user broke; ``str(error)`` is a message they can act on."""

    status_code = 400


class NotAllowed(DomainError):
    """The actor may not do this (views answer 403)."""

    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The thing changed under us or is already done (views answer 409)."""

    status_code = 409


class ValidationFailed(DomainError):
    """Input that cannot be used; ``problems`` lists every one, each saying what and where."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []
