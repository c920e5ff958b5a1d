"""Domain errors raised by services; views turn them into flashes and status codes.

An error carries a message id and its parameters, not finished text:
``raise Conflict(N_("代码 %(code)s 已被使用。"), code=code)``. ``str(error)`` is the Chinese
text (logs, the command line); ``error.translated()`` is what a page shows, in the reader's
language (``core.web.flash_error`` does it for views).
"""
from lms.core.i18n import Message


class DomainError(Exception):
    """A rule a user broke, said so that they can act on it."""

    status_code = 400

    def __init__(self, message: str, **params):
        self.message = message if isinstance(message, Message) and not params \
            else Message(message, **params)
        super().__init__(self.message)

    def translated(self) -> str:
        return self.message.translated()


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

    def __init__(self, message: str, problems: list | None = None, **params):
        super().__init__(message, **params)
        self.problems = problems or []
