"""Live updates over WebSocket: messageAdded and inboxEvents deliver every committed change
once, in order, resume from a cursor without loss, and only to the right workspace."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from httpx_ws import WebSocketDisconnect
from starlette.applications import Starlette

import models
from api.core import events
from api.core.broadcast import ParleyBroadcast
from models.enums import ConversationStatus, MessageRole, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.ws import LEGACY_WS, asgi_socket, event_cursor, message_cursor

MESSAGE_ADDED = """subscription($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { seq content role cursor }
}"""
INBOX_EVENTS = """subscription($after: String, $filter: InboxEventFilter) {
  inboxEvents(after: $after, filter: $filter) {
    cursor type conversation { id status } contact { name } message { seq content }
  }
}"""
SEND = """mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { __typename ... on SendMessagePayload { chatMessage { seq } } }
}"""
HISTORY = """query($id: ID!) { conversation(id: $id) {
  messages(last: 100) { edges { cursor node { seq } } } } }"""


async def send(client: GraphQLClient, conversation: models.Conversation, content: str) -> int:
    data = await client.data(
        SEND,
        {
            "input": {
                "conversationId": seed.gid("Conversation", conversation.id),
                "role": "USER",
                "content": content,
            }
        },
    )
    seq: int = data["sendMessage"]["chatMessage"]["seq"]
    return seq


async def test_a_new_message_reaches_the_subscriber(
    app: Starlette, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a subscriber to a conversation
    conversation = await seed.conversation(tenant)
    async with asgi_socket(app) as ws:
        assert (await ws.init(tenant.keys[Role.VIEWER]))["type"] == "connection_ack"
        await ws.subscribe(
            MESSAGE_ADDED,
            {
                "conversationId": seed.gid("Conversation", conversation.id),
                "after": message_cursor(),
            },
        )
        # when a message is sent over HTTP
        await send(agent, conversation, "Is the villa free in June?")
        # then the subscriber receives it
        received = (await ws.next_data())["messageAdded"]
        assert received["seq"] == 1 and received["content"] == "Is the villa free in June?"
        assert received["role"] == "USER"


async def test_resuming_from_the_last_cursor_delivers_exactly_the_missed_messages(
    app: Starlette, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a client that loaded the history (3 messages) and remembers its last cursor
    conversation = await seed.conversation(tenant)
    for n in range(3):
        await seed.message(tenant, conversation, f"early {n}")
    history = await agent.data(HISTORY, {"id": seed.gid("Conversation", conversation.id)})
    last_cursor = history["conversation"]["messages"]["edges"][-1]["cursor"]
    # when it is offline while 50 messages are sent, then resubscribes with that cursor
    for n in range(50):
        await seed.message(tenant, conversation, f"missed {n}")
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.AGENT])
        await ws.subscribe(
            MESSAGE_ADDED,
            {"conversationId": seed.gid("Conversation", conversation.id), "after": last_cursor},
        )
        received = await ws.take(50, "messageAdded")
        # then it gets exactly those 50, in order, once each, and nothing more
        assert [m["seq"] for m in received] == list(range(4, 54))
        assert [m["content"] for m in received] == [f"missed {n}" for n in range(50)]
        await ws.expect_silence()
        # and live messages follow on
        await seed.message(tenant, conversation, "live")
        assert (await ws.next_data())["messageAdded"]["seq"] == 54


async def test_messages_sent_while_subscribing_arrive_once_in_order(
    app: Starlette, tenant: Tenant
) -> None:
    # given messages being sent concurrently with the subscription's replay
    conversation = await seed.conversation(tenant)
    await seed.message(tenant, conversation, "first")
    history_cursor = await first_cursor(conversation)

    async def sender() -> None:
        for n in range(30):
            await seed.message(tenant, conversation, f"burst {n}")

    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.AGENT])
        sending = asyncio.create_task(sender())
        await ws.subscribe(
            MESSAGE_ADDED,
            {"conversationId": seed.gid("Conversation", conversation.id), "after": history_cursor},
        )
        received = await ws.take(30, "messageAdded")
        await sending
        # then replay and live stitch together without a gap or a duplicate
        assert [m["seq"] for m in received] == list(range(2, 32))
        await ws.expect_silence()


async def first_cursor(conversation: models.Conversation) -> str:
    from api.inbox.service import MESSAGE_CURSORS

    message = await models.Message.get(conversation_id=conversation.id, seq=1)
    return MESSAGE_CURSORS.encode([message.seq])


async def test_inbox_events_follow_every_change_in_commit_order(
    app: Starlette, agent: GraphQLClient, tenant: Tenant
) -> None:
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        await ws.subscribe(INBOX_EVENTS, {"after": await event_cursor(tenant.id)})
        # when a contact is created, a conversation started, a message sent, status changed
        contact = await seed.contact(tenant, "Rina")
        conversation = await seed.conversation(tenant, contact)
        await seed.message(tenant, conversation, "hi")
        await seed_status(tenant, conversation, ConversationStatus.RESOLVED)
        received = await ws.take(4, "inboxEvents")
    # then the subscriber sees each, in order, with the objects as they are now
    assert [e["type"] for e in received] == [
        "CONTACT_CREATED",
        "CONVERSATION_CREATED",
        "MESSAGE_CREATED",
        "CONVERSATION_UPDATED",
    ]
    assert received[0]["contact"] == {"name": "Rina"}
    assert received[2]["message"] == {"seq": 1, "content": "hi"}
    assert received[3]["conversation"]["status"] == "RESOLVED"
    assert len({e["cursor"] for e in received}) == 4


async def seed_status(
    tenant: Tenant, conversation: models.Conversation, status: ConversationStatus
) -> None:
    from api.inbox import service

    await service.set_conversation_status(
        workspace_id=tenant.id, conversation_id=conversation.id, status=status
    )


async def test_inbox_events_resume_after_a_cursor_and_honour_the_filter(
    app: Starlette, tenant: Tenant
) -> None:
    # given some history, and a cursor in the middle of it
    first = await seed.conversation(tenant)
    second = await seed.conversation(tenant)
    middle = await models.Workspace.get(id=tenant.id)
    cursor = encode_event_cursor(middle.last_event_seq)
    for n in range(5):
        await seed.message(tenant, first if n % 2 else second, f"m{n}")
    # when resubscribing after that cursor, only messages of `first`
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        await ws.subscribe(
            INBOX_EVENTS,
            {
                "after": cursor,
                "filter": {
                    "types": ["MESSAGE_CREATED"],
                    "conversationId": seed.gid("Conversation", first.id),
                },
            },
        )
        received = await ws.take(2, "inboxEvents")
        # then exactly the matching events after the cursor arrive
        assert [e["message"]["content"] for e in received] == ["m1", "m3"]
        await ws.expect_silence()


def encode_event_cursor(seq: int) -> str:
    return events.EVENT_CURSORS.encode([seq])


async def test_a_subscriber_never_sees_another_workspaces_events(
    app: Starlette, tenant: Tenant, other_tenant: Tenant
) -> None:
    async with asgi_socket(app) as ws:
        await ws.init(other_tenant.keys[Role.VIEWER])
        await ws.subscribe(INBOX_EVENTS, {"after": await event_cursor(other_tenant.id)})
        # when Acme works its inbox, then Globex hears nothing; its own change does arrive
        await seed.message(tenant, await seed.conversation(tenant), "acme secret")
        await seed.contact(other_tenant, "Globex lead")
        only = (await ws.next_data())["inboxEvents"]
        assert only["type"] == "CONTACT_CREATED" and only["contact"] == {"name": "Globex lead"}
        await ws.expect_silence()


async def test_a_foreign_conversation_cannot_be_subscribed(
    app: Starlette, tenant: Tenant, other_tenant: Tenant
) -> None:
    conversation = await seed.conversation(tenant)
    async with asgi_socket(app) as ws:
        await ws.init(other_tenant.keys[Role.OWNER])
        await ws.subscribe(
            MESSAGE_ADDED, {"conversationId": seed.gid("Conversation", conversation.id)}
        )
        message = await ws.receive()
        # an execution error: a result with errors, then the operation completes
        assert message["type"] == "next" and message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await ws.receive())["type"] == "complete"


@pytest.mark.parametrize("token", [None, "prly_00000000_not-a-real-key"])
async def test_a_socket_without_valid_credentials_is_closed_4403(
    app: Starlette, token: str | None
) -> None:
    async with asgi_socket(app) as ws:
        await ws.send(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {token}"} if token else {},
            }
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
        assert closed.value.code == 4403


async def test_the_handshake_authorization_header_is_accepted(
    app: Starlette, tenant: Tenant
) -> None:
    headers = {"authorization": f"Bearer {tenant.keys[Role.VIEWER]}"}
    async with asgi_socket(app, headers=headers) as ws:
        assert (await ws.init(None))["type"] == "connection_ack"


async def test_the_legacy_protocol_works_and_refuses_without_credentials(
    app: Starlette, tenant: Tenant
) -> None:
    conversation = await seed.conversation(tenant)
    async with asgi_socket(app, LEGACY_WS) as ws:
        assert (await ws.init(None))["type"] == "connection_error"
    async with asgi_socket(app, LEGACY_WS) as ws:
        assert (await ws.init(tenant.keys[Role.VIEWER]))["type"] == "connection_ack"
        await ws.subscribe(
            MESSAGE_ADDED,
            {
                "conversationId": seed.gid("Conversation", conversation.id),
                "after": message_cursor(),
            },
        )
        await seed.message(tenant, conversation, "legacy hello")
        assert (await ws.next_data())["messageAdded"]["content"] == "legacy hello"


async def test_revoking_the_api_key_closes_its_open_sockets(
    app: Starlette, client: GraphQLClient, tenant: Tenant
) -> None:
    # given a live subscription authenticated by an AGENT key
    key = await models.ApiKey.get(workspace_id=tenant.id, role=Role.AGENT)
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.AGENT])
        await ws.subscribe(INBOX_EVENTS)
        # when an admin revokes the key
        await client.as_(tenant.keys[Role.ADMIN]).data(
            "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }",
            {"input": {"apiKeyId": seed.gid("ApiKey", key.id)}},
        )
        # then the socket is closed with 4403 (at the next credential sweep)
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
        assert closed.value.code == 4403


async def test_an_expired_cursor_is_refused_with_a_clear_error(
    app: Starlette, tenant: Tenant
) -> None:
    # given events that were pruned by retention
    for n in range(3):
        await seed.contact(tenant, f"Lead {n}", phone=f"+62811000{n:04d}")
    await events.prune_events(older_than=datetime.now(UTC) + timedelta(seconds=1))
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        # when a client resumes from before the pruned events
        await ws.subscribe(INBOX_EVENTS, {"after": encode_event_cursor(1)})
        message = await ws.receive()
    # then it is told to refetch
    assert message["type"] == "next" and message["payload"]["data"] is None
    error = message["payload"]["errors"][0]
    assert error["extensions"]["code"] == "CURSOR_EXPIRED" and "reload" in error["message"]


async def test_a_cursor_of_another_stream_is_refused(app: Starlette, tenant: Tenant) -> None:
    # given a conversation, and an event-stream cursor and a message cursor (both numbers)
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    cases = [
        (MESSAGE_ADDED, {"conversationId": conversation_id, "after": encode_event_cursor(0)}),
        (INBOX_EVENTS, {"after": message_cursor(0)}),
    ]
    for document, variables in cases:
        async with asgi_socket(app) as ws:
            await ws.init(tenant.keys[Role.VIEWER])
            # when a subscription is given the other stream's cursor
            await ws.subscribe(document, variables)
            message = await ws.receive()
        # then it is refused as bad input on `after`
        assert message["type"] == "next" and message["payload"]["data"] is None
        error = message["payload"]["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, document


async def test_connect_disconnect_cycles_leave_no_live_subscription(
    app: Starlette, tenant: Tenant
) -> None:
    conversation = await seed.conversation(tenant)
    broadcast: ParleyBroadcast = app.state.broadcast
    for _ in range(200):
        async with asgi_socket(app) as ws:
            await ws.init(tenant.keys[Role.VIEWER])
            await ws.subscribe(
                MESSAGE_ADDED, {"conversationId": seed.gid("Conversation", conversation.id)}
            )
    async with asyncio.timeout(30):
        while broadcast.subscriber_count() or len(app.state.sockets):
            await asyncio.sleep(0.05)
    assert broadcast.subscriber_count() == 0 and len(app.state.sockets) == 0


async def test_a_concurrent_burst_across_conversations_arrives_gap_free(
    app: Starlette, tenant: Tenant
) -> None:
    conversations = [await seed.conversation(tenant) for _ in range(4)]
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        await ws.subscribe(
            INBOX_EVENTS,
            {"after": await event_cursor(tenant.id), "filter": {"types": ["MESSAGE_CREATED"]}},
        )
        await asyncio.gather(
            *(
                seed.message(tenant, c, f"{i}-{n}", role=MessageRole.USER)
                for i, c in enumerate(conversations)
                for n in range(5)
            )
        )
        received = await ws.take(20, "inboxEvents")
    assert len({e["cursor"] for e in received}) == 20
    per_conversation: dict[str, list[int]] = {}
    for event in received:
        per_conversation.setdefault(event["conversation"]["id"], []).append(event["message"]["seq"])
    assert all(seqs == [1, 2, 3, 4, 5] for seqs in per_conversation.values())


MESSAGE_ADDED_WITH_COUNT = """subscription($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) {
    seq conversation { messageCount }
  }
}"""
INBOX_EVENTS_WITH_COUNT = """subscription($after: String, $filter: InboxEventFilter) {
  inboxEvents(after: $after, filter: $filter) { conversation { messageCount } }
}"""


async def test_message_added_shows_the_conversation_as_it_is_at_each_message(
    app: Starlette, tenant: Tenant
) -> None:
    # given a subscriber to a conversation that selects its message count
    conversation = await seed.conversation(tenant)
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        await ws.subscribe(
            MESSAGE_ADDED_WITH_COUNT,
            {
                "conversationId": seed.gid("Conversation", conversation.id),
                "after": message_cursor(),
            },
        )
        # when three messages are sent, each received before the next is sent
        counts = []
        for n in range(3):
            await seed.message(tenant, conversation, f"m{n}")
            counts.append((await ws.next_data())["messageAdded"]["conversation"]["messageCount"])
    # then each shows the count at that message, not the first one it loaded
    assert counts == [1, 2, 3]


async def test_inbox_events_show_the_conversation_as_it_is_at_each_event(
    app: Starlette, tenant: Tenant
) -> None:
    # given an inbox subscriber that selects the conversation's message count
    conversation = await seed.conversation(tenant)
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        await ws.subscribe(
            INBOX_EVENTS_WITH_COUNT,
            {"after": await event_cursor(tenant.id), "filter": {"types": ["MESSAGE_CREATED"]}},
        )
        # when three messages are sent, each received before the next is sent
        counts = []
        for n in range(3):
            await seed.message(tenant, conversation, f"m{n}")
            counts.append((await ws.next_data())["inboxEvents"]["conversation"]["messageCount"])
    # then each shows the count at that event
    assert counts == [1, 2, 3]
