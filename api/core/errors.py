"""Domain exceptions raised by services.

Services never import strawberry: they raise these, and `api.core.error_types`
maps them onto the GraphQL error union members (expected failures are data).
Authentication and authorisation failures are not here: they are top-level
GraphQL errors raised by permission classes (see `api.core.permissions`).
"""


class DomainError(Exception):
    """An expected failure of an operation, shown to the client as data."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(DomainError):
    """The caller sent something invalid; `field` names the input field (camelCase)."""

    code = "BAD_USER_INPUT"


class NotFound(DomainError):
    """No such object in the caller's workspace (another workspace's objects included)."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The operation clashes with existing state (a duplicate, a used-up resource)."""

    code = "CONFLICT"


class QuotaExceeded(DomainError):
    """A budget or quota would be exceeded by the operation."""

    code = "QUOTA_EXCEEDED"


class InvalidCredentials(DomainError):
    """A login with an unknown e-mail or a wrong password (never says which)."""

    code = "UNAUTHENTICATED"


class RateLimited(DomainError):
    """Too many attempts of something that is throttled (failed sign-ins): try again later."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_seconds: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_seconds = retry_after_seconds


class CursorExpired(DomainError):
    """A subscription's cursor points before the retained events: the client refetches."""

    code = "CURSOR_EXPIRED"


class Unexpected(DomainError):
    """An unexpected failure of one item of a batch, reported as that item's result (the
    others go on); the cause is logged, never shown."""

    code = "INTERNAL_ERROR"
