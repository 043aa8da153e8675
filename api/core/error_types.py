"""The GraphQL side of expected failures: the `Error` interface, its members, and ONE table
from domain exception (api.core.errors) to error type. The schema's ExceptionHandlers are
built from the table, and results inside lists (a batch's per-item results, which no
ExceptionHandler reaches) use the same table through `error_of`."""

from collections.abc import Mapping
from enum import Enum
from typing import Any, Generic, Self, TypeVar

import strawberry

from api.core import errors


@strawberry.enum(description="What kind of expected failure an `Error` is.")
class ErrorCode(Enum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


@strawberry.interface(description="An expected failure of a mutation, returned as data.")
class Error:
    message: str = strawberry.field(description="What went wrong, for a person to read.")
    code: ErrorCode = strawberry.field(description="Machine-readable kind of failure.")
    field: str | None = strawberry.field(
        default=None, description="The input field at fault (camelCase), if one is."
    )

    @classmethod
    def from_exception(cls, exception: errors.DomainError) -> Self:
        return cls(message=exception.message, code=ErrorCode(exception.code), field=exception.field)

    def http_headers(self) -> dict[str, str]:
        """Headers this failure sets on an HTTP response (for clients that know no GraphQL)."""
        return {}


@strawberry.type(description="The input was invalid; `field` names the culprit.")
class ValidationError(Error):
    pass


@strawberry.type(description="No such object in your workspace.")
class NotFoundError(Error):
    pass


@strawberry.type(description="The change clashes with existing data (e.g. a duplicate).")
class ConflictError(Error):
    pass


@strawberry.type(description="A budget or quota would be exceeded.")
class QuotaExceededError(Error):
    pass


@strawberry.type(description="The credentials were not accepted.")
class InvalidCredentialsError(Error):
    pass


@strawberry.type(description="Too many attempts: wait `retryAfterSeconds`, then try again.")
class RateLimitedError(Error):
    retry_after_seconds: int = strawberry.field(
        default=0, description="Seconds until an attempt can be accepted again."
    )

    @classmethod
    def from_exception(cls, exception: errors.DomainError) -> Self:
        assert isinstance(exception, errors.RateLimited)
        return cls(
            message=exception.message,
            code=ErrorCode(exception.code),
            field=exception.field,
            retry_after_seconds=exception.retry_after_seconds,
        )

    def http_headers(self) -> dict[str, str]:
        # proxies and HTTP clients still see when to come back
        return {"retry-after": str(self.retry_after_seconds)}


@strawberry.type(
    description="An unexpected failure of this call of a batch; nothing of it was written "
    "(retry it with the same requestId)."
)
class UsageNotRecordedError(Error):
    """A batch item's `Unexpected` failure (usage batches are the batches there are; the
    schema keeps the name)."""


ERROR_TYPES: Mapping[type[errors.DomainError], type[Error]] = {
    errors.BadInput: ValidationError,
    errors.NotFound: NotFoundError,
    errors.Conflict: ConflictError,
    errors.QuotaExceeded: QuotaExceededError,
    errors.InvalidCredentials: InvalidCredentialsError,
    errors.RateLimited: RateLimitedError,
    errors.Unexpected: UsageNotRecordedError,
}
"""The one table from domain exception to the union member a client gets. A new domain
exception gets its row here; nothing else maps exceptions."""


def error_type_of(exception: errors.DomainError) -> type[Error] | None:
    """The table's error type for the exception's class or its nearest mapped base."""
    for klass in type(exception).__mro__:
        error_type = ERROR_TYPES.get(klass)
        if error_type is not None:
            return error_type
    return None


def error_of(exception: errors.DomainError) -> Any:
    """The union member for a domain error inside a list (a batch item's result). An
    exception the table does not know is the caller's bad input. (Any: it is a member of
    the caller's result union, which only the caller names.)"""
    return (error_type_of(exception) or ValidationError).from_exception(exception)


DomainErrorT = TypeVar("DomainErrorT", bound=errors.DomainError)
ErrorT = TypeVar("ErrorT", bound=Error)


class TableHandler(
    strawberry.ExceptionHandler[DomainErrorT, ErrorT], Generic[DomainErrorT, ErrorT]
):
    """The ExceptionHandler of one row of the table. Strawberry offers it on every field
    whose result union has `error_type`, and reads the row from these attributes."""

    def __init__(self, exception_type: type[DomainErrorT], error_type: type[ErrorT]) -> None:
        self.exception_type = exception_type
        self.error_type = error_type

    def handle(self, exception: DomainErrorT, *, field: Any, info: Any) -> ErrorT:
        error = self.error_type.from_exception(exception)
        response = getattr(info.context, "response", None)
        if response is not None:
            response.headers.update(error.http_headers())
        return error


EXCEPTION_HANDLERS = tuple(
    TableHandler(exception_type, error_type) for exception_type, error_type in ERROR_TYPES.items()
)
