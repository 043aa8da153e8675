"""The GraphQL side of expected failures: the `Error` interface, its members, and the
ExceptionHandlers that turn domain exceptions (api.core.errors) into union results."""

from enum import Enum
from typing import Any, TypeVar

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


E = TypeVar("E", bound=Error)


def _error_of(error_type: type[E], exception: errors.DomainError) -> E:
    return error_type(
        message=exception.message, code=ErrorCode(exception.code), field=exception.field
    )


class BadInputHandler(strawberry.ExceptionHandler[errors.BadInput, ValidationError]):
    def handle(self, exception: errors.BadInput, *, field: Any, info: Any) -> ValidationError:
        return _error_of(ValidationError, exception)


class NotFoundHandler(strawberry.ExceptionHandler[errors.NotFound, NotFoundError]):
    def handle(self, exception: errors.NotFound, *, field: Any, info: Any) -> NotFoundError:
        return _error_of(NotFoundError, exception)


class ConflictHandler(strawberry.ExceptionHandler[errors.Conflict, ConflictError]):
    def handle(self, exception: errors.Conflict, *, field: Any, info: Any) -> ConflictError:
        return _error_of(ConflictError, exception)


class QuotaExceededHandler(strawberry.ExceptionHandler[errors.QuotaExceeded, QuotaExceededError]):
    def handle(
        self, exception: errors.QuotaExceeded, *, field: Any, info: Any
    ) -> QuotaExceededError:
        return _error_of(QuotaExceededError, exception)


class InvalidCredentialsHandler(
    strawberry.ExceptionHandler[errors.InvalidCredentials, InvalidCredentialsError]
):
    def handle(
        self, exception: errors.InvalidCredentials, *, field: Any, info: Any
    ) -> InvalidCredentialsError:
        return _error_of(InvalidCredentialsError, exception)


class RateLimitedHandler(strawberry.ExceptionHandler[errors.RateLimited, RateLimitedError]):
    def handle(self, exception: errors.RateLimited, *, field: Any, info: Any) -> RateLimitedError:
        # HTTP clients and proxies that know nothing of GraphQL still see when to come back
        response = getattr(info.context, "response", None)
        if response is not None:
            response.headers["retry-after"] = str(exception.retry_after_seconds)
        return RateLimitedError(
            message=exception.message,
            code=ErrorCode.RATE_LIMITED,
            field=exception.field,
            retry_after_seconds=exception.retry_after_seconds,
        )


EXCEPTION_HANDLERS = (
    BadInputHandler(),
    NotFoundHandler(),
    ConflictHandler(),
    QuotaExceededHandler(),
    InvalidCredentialsHandler(),
    RateLimitedHandler(),
)
