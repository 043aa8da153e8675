"""The schema: Query/Mutation/Subscription inherit the domains' classes."""

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from api.core.error_policy import ErrorPolicy
from api.core.error_types import EXCEPTION_HANDLERS
from api.core.input_bounds import bound_inputs
from api.core.limits import DocumentCache, QueryLimits
from api.core.operation_metrics import RequestMetrics
from api.core.scalars import SCALAR_MAP
from api.inbox.mutations import InboxMutations
from api.inbox.queries import InboxQueries
from api.inbox.subscriptions import InboxSubscriptions
from api.settings import Settings
from api.tenancy.mutations import TenancyMutations
from api.tenancy.queries import TenancyQueries
from api.usage.mutations import UsageMutations
from api.usage.queries import UsageQueries
from api.usage.subscriptions import UsageSubscriptions


@strawberry.type(description="Everything a client can read.")
class Query(TenancyQueries, InboxQueries, UsageQueries):
    pass


@strawberry.type(description="Everything a client can change.")
class Mutation(TenancyMutations, InboxMutations, UsageMutations):
    pass


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws or graphql-ws).")
class Subscription(InboxSubscriptions, UsageSubscriptions):
    pass


# Every argument of every field is checked (text bounds, NUL, lone surrogates) before its
# resolver runs: see api.core.input_bounds.
bound_inputs([Query, Mutation, Subscription])


class SubscriptionOverHTTP(InvalidOperationTypeError):
    """A subscription sent where only one result can be answered (HTTP)."""

    def __init__(self) -> None:
        super().__init__(OperationType.SUBSCRIPTION)

    def as_http_error_reason(self, method: str) -> str:
        return (
            f"Subscriptions are not served over HTTP {method}: open a WebSocket to /graphql "
            "(graphql-transport-ws or graphql-ws) and subscribe there."
        )


class ParleySchema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One result, as over HTTP: a subscription is refused (pointing at the WebSocket)
        instead of being executed as if it were a query. WebSockets use `stream`."""
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        try:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed - {OperationType.SUBSCRIPTION},
                operation_extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise SubscriptionOverHTTP from None
            raise

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Don't log every error: expected ones (UNAUTHENTICATED, bad input) are the
        client's business; ErrorPolicy logs the unexpected ones with the request id."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return ParleySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        # factories: strawberry builds fresh extensions per operation; the parser and
        # validation caches live at module level, shared across requests. QueryLimits:
        # depth, aliases, fragment spreads, expanded size (linear in the document: strawberry's
        # depth and alias limiters re-walk a fragment at each spread), then the standard
        # rules, then the cost. RequestMetrics counts operations (api/core/metrics.py).
        extensions=[
            RequestMetrics,  # first: it ends last, when every error has its code
            ErrorPolicy,
            lambda: DocumentCache(maxsize=1000),
            lambda: QueryLimits(settings),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        ],
    )


schema = build_schema()
