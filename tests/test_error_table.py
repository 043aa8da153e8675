"""One table maps domain exceptions to the GraphQL error types: every error type clients can
get has exactly one row, and a failure reads the same whether a mutation returns it or a
batch reports it for one of its items."""

from graphql import GraphQLInterfaceType, GraphQLObjectType

from api.core import errors
from api.core.error_types import ERROR_TYPES, EXCEPTION_HANDLERS
from api.schema import schema
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.usage.helpers import RECORD, RECORD_BATCH, haiku_call

# failures that are never a mutation's data: a subscription's expired cursor is a
# top-level error of the stream (api/core/streams.py)
NOT_DATA = {errors.CursorExpired}


def schema_error_types() -> set[str]:
    """Names of the object types implementing the `Error` interface."""
    interface = schema._schema.type_map["Error"]
    assert isinstance(interface, GraphQLInterfaceType)
    return {
        name
        for name, graphql_type in schema._schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and interface in graphql_type.interfaces
    }


def domain_exceptions(base: type[errors.DomainError]) -> set[type[errors.DomainError]]:
    found: set[type[errors.DomainError]] = set()
    for subclass in base.__subclasses__():
        found |= {subclass, *domain_exceptions(subclass)}
    return found


def test_every_error_type_of_the_schema_has_exactly_one_row_in_the_table() -> None:
    # when the schema's Error members are compared with the table's
    rows = [error_type.__name__ for error_type in ERROR_TYPES.values()]
    # then each member is the error of one exception, and no row names a type not served
    assert sorted(rows) == sorted(schema_error_types())


def test_every_domain_exception_a_mutation_can_raise_has_a_row_and_a_handler() -> None:
    # when the domain's exceptions are listed
    exceptions = domain_exceptions(errors.DomainError) - NOT_DATA
    # then each has its row, and the schema has one handler per row
    assert exceptions == set(ERROR_TYPES)
    assert [(h.exception_type, h.error_type) for h in EXCEPTION_HANDLERS] == list(
        ERROR_TYPES.items()
    )


async def test_a_failure_reads_the_same_from_a_mutation_and_from_a_batch_item(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a call that names another workspace's conversation, and one with bad numbers
    theirs = seed.gid("Conversation", (await seed.conversation(other_tenant)).id)
    not_found = haiku_call(requestId="t-1", conversationId=theirs)
    bad_input = haiku_call(requestId="t-2", inputTokens=10, cacheReadTokens=8000)

    # when each is recorded alone and both in one batch
    alone = [
        (await agent.data(RECORD, {"input": call}))["recordAiUsage"]
        for call in (not_found, bad_input)
    ]
    batch = await agent.data(RECORD_BATCH, {"input": {"events": [not_found, bad_input]}})

    # then the batch reports each item as the mutation returns it
    assert [result["__typename"] for result in alone] == ["NotFoundError", "ValidationError"]
    assert batch["recordAiUsageBatch"]["results"] == [
        {key: result[key] for key in ("__typename", "code", "field")} for result in alone
    ]
