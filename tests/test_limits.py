"""Every request has a bounded cost before it runs: validation linear in the document
(fragments measured once), a cap on fragment spreads and on the expanded size, and a query
cost computed from page sizes, for queries and subscriptions alike."""

from typing import Any

from graphql import parse
from starlette.applications import Starlette

from api.core.limits import operation_cost
from api.schema import schema
from api.settings import Settings
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed
from tests.ws import asgi_socket


def fan_out(fragments: int) -> str:
    """Each fragment spreads the next one twice: 2^fragments fields once expanded, in a
    document of a few hundred bytes."""
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{fragments} on Query {{ __typename }}"


def chain(fragments: int) -> str:
    """Each fragment spreads the next one once."""
    spreads = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(fragments))
    return f"query {{ ...F0 }} {spreads} fragment F{fragments} on Query {{ __typename }}"


FAN_OUT = fan_out(30)
MANY_SPREADS = "query { " + "...W " * 201 + "} fragment W on Query { __typename }"

# the inbox page of bench/run_inbox.py
INBOX_PAGE = """query($after: String) { conversations(first: 20, after: $after) {
  edges { cursor node { id title status messageCount lastMessageAt contact { name phone }
    lastMessage { content role seq } assignee { name } } }
  pageInfo { hasNextPage endCursor } } }"""

WITH_FRAGMENTS = """query {
  viewer { ...Who } conversations(first: 5) { ...Page } again: viewer { ...Who } }
fragment Who on Viewer { role workspace { ...Named } }
fragment Named on Workspace { name }
fragment Page on ConversationConnection { edges { node { ...Row } } pageInfo { hasNextPage } }
fragment Row on Conversation { id title contact { name } lastMessage { content } }"""
WITHOUT_FRAGMENTS = """query { viewer { role workspace { name } }
  conversations(first: 5) { edges { node { id title contact { name } lastMessage { content } } }
    pageInfo { hasNextPage } }
  again: viewer { role workspace { name } } }"""

DEEP_VIA_FRAGMENTS = """query { conversations { edges { node { ...Hop } } } }
fragment Hop on Conversation { lastMessage { conversation { lastMessage { conversation {
  lastMessage { conversation { lastMessage { conversation { id } } } } } } } } }"""
ALIASES_VIA_FRAGMENTS = "query { ...Eight ...Again } " + " ".join(
    f"fragment {name} on Query {{ {' '.join(f'{name}{i}: __typename' for i in range(8))} }}"
    for name in ("Eight", "Again")
)

GREEDY = (
    "query { "
    + " ".join(
        f"c{i}: conversations(first: 100) {{ edges {{ node {{ "
        "messages(first: 100) { edges { node { content } } } } } }"
        for i in range(15)
    )
    + " }"
)
PAGED_BY_VARIABLE = """query($n: Int) { conversations(first: $n) { edges { node {
  messages(first: $n) { edges { node { content } } } } } } }"""
GREEDY_SUBSCRIPTION = """subscription { inboxEvents { conversation {
  messages(first: 100) { edges { node { conversation {
    messages(first: 100) { edges { node { content } } } } } } } } } }"""


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(schema._schema, parse(document), None, variables, max_page_size=100)


async def test_the_fan_out_document_is_refused_for_its_expanded_size(
    client: GraphQLClient,
) -> None:
    # given an anonymous client and a 30-fragment fan-out document (2^30 fields expanded)
    assert len(FAN_OUT) < 2000
    # when it is sent
    body = await client.execute(FAN_OUT)
    # then it is refused before anything runs, saying why
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "fragments are expanded" in body["errors"][0]["message"]


async def test_a_document_with_too_many_fragment_spreads_is_refused(
    client: GraphQLClient,
) -> None:
    # when a document spreads a fragment 201 times (each a single __typename)
    body = await client.execute(MANY_SPREADS)
    # then it is refused for its spreads
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"] == (
        "The document has 201 fragment spreads; at most 200 are allowed."
    )


async def test_a_chain_of_fragments_nested_over_200_levels_is_refused(
    client: GraphQLClient,
) -> None:
    # when a chain of 150 fragments is sent, and one of 199 (201 levels of selections)
    served = await client.execute(chain(150))
    refused = await client.execute(chain(199))
    # then the first is served and the second refused, saying why
    assert served == {"data": {"__typename": "Query"}}
    assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["message"] == (
        "The document nests selections more than 200 levels deep through its fragments."
    )


async def test_a_document_with_fragments_reads_what_the_same_document_without_them_reads(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation with a message
    await seed.message(tenant, await seed.conversation(tenant), "Is the villa free?")
    # when the same selection is asked with nested, repeated fragments and without
    with_fragments = await agent.data(WITH_FRAGMENTS)
    without_fragments = await agent.data(WITHOUT_FRAGMENTS)
    # then both answer, alike
    assert with_fragments == without_fragments
    assert with_fragments["viewer"] == {"role": "AGENT", "workspace": {"name": "Acme"}}
    [row] = with_fragments["conversations"]["edges"]
    assert row["node"]["lastMessage"] == {"content": "Is the villa free?"}


async def test_depth_and_aliases_count_through_fragments(client: GraphQLClient) -> None:
    # when the depth or the aliases are over the limit only once fragments are expanded
    deep = await client.execute(DEEP_VIA_FRAGMENTS)
    aliased = await client.execute(ALIASES_VIA_FRAGMENTS)
    # then they are refused as before (same messages, same code)
    assert deep["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 10"
    assert aliased["errors"][0]["message"] == "16 aliases found. Allowed: 15"
    assert error_codes(deep) == error_codes(aliased) == ["GRAPHQL_VALIDATION_FAILED"]


def test_cost_measures_each_fragment_once() -> None:
    # the fan-out document costs its 2^30 expanded fields, computed without expanding them
    assert cost(fan_out(30)) == 2**30


def test_the_inbox_page_costs_a_thirtieth_of_the_limit() -> None:
    assert cost(INBOX_PAGE) == 325
    assert cost(INBOX_PAGE) * 30 < Settings().max_query_cost


async def test_a_viewer_asking_for_15_times_100_conversations_of_100_messages_is_refused(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # when a VIEWER asks for 15 aliases of 100 conversations with 100 messages each
    body = await client.as_(tenant.keys[Role.VIEWER]).execute(GREEDY)
    # then nothing runs and the error gives the computed cost
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["message"].startswith(
        "The query's cost is 304530, above the limit of 10000"
    )


async def test_page_sizes_given_as_variables_count(agent: GraphQLClient) -> None:
    # when the page sizes come from variables
    refused = await agent.execute(PAGED_BY_VARIABLE, {"n": 100})
    served = await agent.execute(PAGED_BY_VARIABLE, {"n": 20})
    # then their values are what the cost is computed with
    assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert "cost is 20302," in refused["errors"][0]["message"]
    assert served == {"data": {"conversations": {"edges": []}}}


async def test_a_subscription_over_the_cost_limit_gets_an_error_not_a_stream(
    app: Starlette, tenant: Tenant
) -> None:
    # given a signed-in WebSocket
    async with asgi_socket(app) as socket:
        assert (await socket.init(tenant.keys[Role.AGENT]))["type"] == "connection_ack"
        # when it subscribes to events with 100 x 100 messages each
        operation_id = await socket.subscribe(GREEDY_SUBSCRIPTION)
        # then the subscription is refused with the cost, and nothing streams
        message = await socket.receive()
        assert message["type"] == "error" and message["id"] == operation_id
        [error] = message["payload"]
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
        assert error["message"].startswith("The query's cost is 20404,")
