"""The schema: Query/Mutation/Subscription inherit the domains' classes."""

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.core.error_policy import ErrorPolicy
from api.core.error_types import EXCEPTION_HANDLERS
from api.core.scalars import SCALAR_MAP, NumberLiteralLength
from api.core.validation import bound_inputs
from api.inbox.mutations import InboxMutations
from api.inbox.queries import InboxQueries
from api.inbox.subscriptions import InboxSubscriptions
from api.settings import Settings
from api.tenancy.mutations import TenancyMutations
from api.tenancy.queries import TenancyQueries
from api.usage.mutations import UsageMutations
from api.usage.queries import UsageQueries
from api.usage.subscriptions import UsageSubscriptions
from api.usage.types import USAGE_SCALARS


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
# resolver runs: see api.core.validation.
bound_inputs([Query, Mutation, Subscription])


class ParleySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Don't log every error: expected ones (UNAUTHENTICATED, bad input) are the
        client's business; ErrorPolicy logs the unexpected ones with the request id."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    limit_rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_query_depth, should_ignore=None),
        alias_rule(settings.max_aliases),
    ]
    return ParleySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(scalar_map={**SCALAR_MAP, **USAGE_SCALARS}),
        # factories: strawberry builds fresh extensions per operation. The limit rules are
        # built once, so that ValidationCache (keyed by the rule classes) hits; the parser
        # and validation caches live at module level, shared across requests.
        extensions=[
            ErrorPolicy,
            lambda: AddValidationRules(limit_rules),
            # number literals too long to convert, refused before graphql-core converts them
            lambda: AddValidationRules([NumberLiteralLength]),
            lambda: ParserCache(maxsize=1000),
            lambda: ValidationCache(maxsize=1000),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        ],
    )


schema = build_schema()
