"""The reference clients, end to end against a real `parley serve`: the graphql-ws npm
client and Apollo Client 4 (clients/reference/*.mjs), and Python's gql over HTTP and over
both WebSocket protocols. Data is seeded through the services; live messages are sent by a
mutation over HTTP, so that the server publishes them.

A subscriber passes `after:` (the cursor of the last message it has): the server then sends
every later message, even one committed before the subscribe message reached it, so the
tests wait for "subscribed", send, and receive, without sleeping or racing."""

import asyncio
import json

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from models.enums import Role
from tests.clients.conftest import (
    DEADLINE_S,
    REFERENCE,
    SEND_MESSAGE,
    Inbox,
    node_script,
    send_message,
)
from tests.conftest import LiveServer, sqlite_only
from tests.inbox import seed

INBOX = """
query Inbox {
  conversations(first: 20) {
    edges { node { id title contact { name } assignee { name } lastMessage { content } } }
  }
}
"""
MESSAGE_ADDED = """
subscription MessageAdded($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { seq role content }
}
"""


def api_key(server: LiveServer) -> str:
    return server.tenant.keys[Role.AGENT]


@sqlite_only
async def test_the_graphql_ws_client_receives_a_message_sent_by_a_mutation(
    live_server: LiveServer, inbox: Inbox
) -> None:
    # given the graphql-ws client subscribed to Dewi's conversation after its last message
    conversation_id = seed.gid("Conversation", inbox.dewis.id)
    async with node_script(
        REFERENCE / "graphql_ws_subscribe.mjs",
        live_server.ws_url,
        conversation_id,
        inbox.last_cursor,
        env={"PARLEY_API_KEY": api_key(live_server)},
    ) as subscriber:
        await subscriber.line_starting("subscribed")
        # when an agent replies through the sendMessage mutation
        await send_message(live_server, inbox.dewis, "Yes, June is free.")
        # then the subscriber receives exactly that message, and ends its subscription
        message = json.loads(await subscriber.line_starting("message "))
        assert (message["seq"], message["role"], message["content"]) == (
            2,
            "AGENT",
            "Yes, June is free.",
        )
        await subscriber.exits_cleanly()


@sqlite_only
async def test_apollo_client_runs_the_inbox_query_and_send_message(
    live_server: LiveServer, inbox: Inbox
) -> None:
    # when Apollo Client loads the inbox, replies in the most recent conversation, and
    # sends an invalid query
    async with node_script(
        REFERENCE / "apollo_inbox.mjs",
        live_server.graphql_url,
        "Hello Budi, how can we help?",
        env={"PARLEY_API_KEY": api_key(live_server)},
    ) as apollo:
        page = json.loads(await apollo.line_starting("inbox "))
        sent = json.loads(await apollo.line_starting("sent "))
        invalid = json.loads(await apollo.line_starting("invalid "))
        await apollo.exits_cleanly()
    # then it saw both seeded conversations, newest first, with contact, assignee and
    # last message
    conversations = page["conversations"]
    assert [c["id"] for c in conversations] == [
        seed.gid("Conversation", inbox.budis.id),
        seed.gid("Conversation", inbox.dewis.id),
    ]
    budis, dewis = conversations
    assert (budis["contact"]["name"], budis["assignee"], budis["lastMessage"]) == (
        "Budi Santoso",
        None,
        None,
    )
    assert dewis["contact"]["name"] == "Dewi Lestari"
    assert dewis["assignee"]["name"] == live_server.tenant.users[Role.AGENT].name
    assert dewis["lastMessage"]["content"] == "Hello, is the villa free in June?"
    # and sendMessage answered the payload, which Apollo's cache applied to the inbox
    assert sent["result"]["__typename"] == "SendMessagePayload"
    assert sent["result"]["chatMessage"]["content"] == "Hello Budi, how can we help?"
    assert sent["cached"]["messageCount"] == 1
    assert sent["cached"]["lastMessage"]["content"] == "Hello Budi, how can we help?"
    # and the invalid query (a 400 in application/graphql-response+json) reached Apollo as
    # GraphQL errors
    assert invalid["messages"] == ["Cannot query field 'noSuchField' on type 'Query'."]


def http_client(server: LiveServer) -> Client:
    transport = HTTPXAsyncTransport(
        url=server.graphql_url,
        headers={"authorization": f"Bearer {api_key(server)}"},
        timeout=DEADLINE_S,
    )
    return Client(transport=transport)


@sqlite_only
async def test_python_gql_over_http_runs_the_inbox_query_and_send_message(
    live_server: LiveServer, inbox: Inbox
) -> None:
    async with http_client(live_server) as session:
        # when gql runs the inbox query
        page = await session.execute(GraphQLRequest(INBOX))
        # then it sees both conversations
        titles = [edge["node"]["title"] for edge in page["conversations"]["edges"]]
        assert titles == [inbox.budis.title, "Villa in June"]
        # and when it sends a message, the payload carries it
        variables = {
            "input": {
                "conversationId": seed.gid("Conversation", inbox.dewis.id),
                "role": "AGENT",
                "content": "Sent from gql",
            }
        }
        sent = await session.execute(GraphQLRequest(SEND_MESSAGE, variable_values=variables))
        assert sent["sendMessage"]["chatMessage"]["content"] == "Sent from gql"
        assert sent["sendMessage"]["chatMessage"]["seq"] == 2
        # and a query of a field that does not exist is reported as a query error
        with pytest.raises(TransportQueryError, match="noSuchField"):
            await session.execute(GraphQLRequest("{ noSuchField }"))


@sqlite_only
@pytest.mark.parametrize(
    "subprotocol",
    [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL],
    ids=["graphql-transport-ws", "legacy-graphql-ws"],
)
async def test_python_gql_over_websocket_receives_a_live_message(
    live_server: LiveServer, inbox: Inbox, subprotocol: str
) -> None:
    # given gql connected over a WebSocket (the key in connection_init's payload)
    transport = WebsocketsTransport(
        url=live_server.ws_url,
        init_payload={"authorization": f"Bearer {api_key(live_server)}"},
        subprotocols=[subprotocol],
        connect_timeout=DEADLINE_S,
        ack_timeout=DEADLINE_S,
    )
    async with Client(transport=transport) as session:
        request = GraphQLRequest(
            MESSAGE_ADDED,
            variable_values={
                "conversationId": seed.gid("Conversation", inbox.dewis.id),
                "after": inbox.last_cursor,
            },
        )
        # and subscribed to Dewi's conversation after its last message
        messages = session.subscribe(request)
        first = asyncio.ensure_future(anext(messages))
        try:
            # when an agent replies through the mutation
            await send_message(live_server, inbox.dewis, f"Live over {subprotocol}")
            # then gql receives it
            async with asyncio.timeout(DEADLINE_S):
                received = await first
        finally:
            first.cancel()
            await messages.aclose()
    assert transport.subprotocol == subprotocol
    assert received["messageAdded"] == {
        "seq": 2,
        "role": "AGENT",
        "content": f"Live over {subprotocol}",
    }
