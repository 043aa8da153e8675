"""Counting and timing GraphQL operations: a schema extension (api/schema.py registers it
first, so its end runs last, after ErrorPolicy has given every error its code)."""

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from api.core.logs import current_request
from api.core.metrics import (
    ANONYMOUS,
    GRAPHQL_REQUEST_DURATION,
    GRAPHQL_REQUESTS,
    UNKNOWN,
    operation_name_label,
    outcome_label,
)


class RequestMetrics(SchemaExtension):
    """Counts every operation (by name, type, outcome), times queries and mutations, and
    gives the access log line its operation name."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # also when it is cancelled: a subscription ends so when its client leaves
            self._count(time.perf_counter() - started)

    def _count(self, duration_s: float) -> None:
        context = self.execution_context
        operation_type = _operation_type(context)
        name = context.operation_name
        request = current_request()
        if request is not None and name:
            request.operation_name = operation_name_label(name)  # bounded there too
        GRAPHQL_REQUESTS.labels(
            operation_name_label(name) if name else ANONYMOUS,
            operation_type,
            _outcome(context.result.errors if context.result else context.pre_execution_errors),
        ).inc()
        if operation_type != OperationType.SUBSCRIPTION.value:
            GRAPHQL_REQUEST_DURATION.labels(operation_type).observe(duration_s)


def _operation_type(context: ExecutionContext) -> str:
    try:
        return str(context.operation_type.value)
    except Exception:  # no document, or no operation of that name in it
        return UNKNOWN


def _outcome(errors: list[GraphQLError] | None) -> str:
    if not errors:
        return "ok"
    code = (errors[0].extensions or {}).get("code")
    return outcome_label(code) if isinstance(code, str) else "ERROR"
