"""The generated Python client (clients/python/parley_client, from clients/operations by
ariadne-codegen) against a real `parley serve`: typed results, custom scalars parsed into
Python types, error members of result unions, and a subscription over WebSocket."""

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from parley_client import ParleyClient
from parley_client.enums import ErrorCode, MessageRole, UsageDimension
from parley_client.input_types import (
    DateRangeInput,
    LoginInput,
    MessageUsageInput,
    SendMessageInput,
)
from parley_client.login import LoginLoginLoginPayload
from parley_client.send_message import (
    SendMessageSendMessageNotFoundError,
    SendMessageSendMessageSendMessagePayload,
)

from models.enums import Role
from tests.conftest import PASSWORD, LiveServer, sqlite_only
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3

DEADLINE = 30.0
"""Seconds a test waits for the server (CI's machine is busy; nothing here measures speed)."""


@asynccontextmanager
async def parley_client(server: LiveServer, token: str) -> AsyncIterator[ParleyClient]:
    """The generated client, signed in over HTTP and over WebSocket (connection_init)."""
    bearer = f"Bearer {token}"
    async with ParleyClient(
        url=server.graphql_url,
        headers={"Authorization": bearer},
        ws_url=server.ws_url,
        ws_connection_init_payload={"authorization": bearer},
    ) as client:
        yield client


def a_reply_with_usage(conversation_id: str, content: str) -> SendMessageInput:
    """An AI (ASSISTANT) reply of 1000 input and 1000 output tokens of Claude 3 Haiku: $0.0015."""
    return SendMessageInput(
        conversation_id=conversation_id,
        role=MessageRole.ASSISTANT,
        content=content,
        metadata={"draft": False, "scores": [0.5, 1], "source": None},
        usage=MessageUsageInput(
            model=HAIKU_3,
            input_tokens=1000,
            output_tokens=1000,
            input_tokens_include_cache=False,
        ),
    )


@sqlite_only
async def test_login_gives_a_typed_session_that_queries_the_viewer(live_server: LiveServer) -> None:
    # given a member's e-mail and password
    email = live_server.tenant.users[Role.AGENT].email
    async with ParleyClient(url=live_server.graphql_url) as anonymous:
        # when they sign in through the generated client
        result = await anonymous.login(LoginInput(email=email, password=PASSWORD))
    # then the result is the payload member, its expiry an aware datetime
    session = result.login
    assert isinstance(session, LoginLoginLoginPayload)
    assert session.user.email == email
    assert isinstance(session.expires_at, dt.datetime)
    assert session.expires_at.utcoffset() == dt.timedelta(0)
    assert session.expires_at > dt.datetime.now(dt.UTC)
    # and the token works for the next request
    async with parley_client(live_server, session.token) as client:
        viewer = (await client.viewer()).viewer
    assert viewer.role.value == "AGENT"
    assert viewer.workspace.name == "Acme"


@sqlite_only
async def test_send_message_returns_typed_money_times_and_json(live_server: LiveServer) -> None:
    # given a conversation
    tenant = live_server.tenant
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    async with parley_client(live_server, tenant.keys[Role.AGENT]) as client:
        # when an AI reply with its token usage is sent
        result = await client.send_message(a_reply_with_usage(conversation_id, "Yes, it is free."))
    # then Decimal, DateTime, Long and JSON arrive as Python values of those types
    payload = result.send_message
    assert isinstance(payload, SendMessageSendMessageSendMessagePayload)
    message = payload.chat_message
    assert message.cost == Decimal("0.0015")
    assert isinstance(message.cost, Decimal)
    assert isinstance(message.created_at, dt.datetime) and message.created_at.tzinfo is not None
    assert message.metadata == {"draft": False, "scores": [0.5, 1], "source": None}
    assert payload.conversation.total_tokens == 2000
    assert payload.conversation.total_cost == Decimal("0.0015")
    assert payload.conversation.last_message is not None
    assert payload.conversation.last_message.id == message.id


@sqlite_only
async def test_an_expected_failure_is_the_typed_error_member_of_the_union(
    live_server: LiveServer,
) -> None:
    # given the id of a conversation that does not exist
    missing = seed.gid("Conversation", uuid.uuid4())
    async with parley_client(live_server, live_server.tenant.keys[Role.AGENT]) as client:
        # when a message is sent to it
        result = await client.send_message(
            SendMessageInput(conversation_id=missing, role=MessageRole.AGENT, content="Hello")
        )
    # then the result is the NotFoundError member, with its code and field
    error = result.send_message
    assert isinstance(error, SendMessageSendMessageNotFoundError)
    assert error.code is ErrorCode.NOT_FOUND
    assert error.field == "conversationId"


@sqlite_only
async def test_usage_summary_over_a_period_sums_into_decimals_and_ints(
    live_server: LiveServer,
) -> None:
    # given two AI replies with usage
    tenant = live_server.tenant
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)
    async with parley_client(live_server, tenant.keys[Role.AGENT]) as client:
        for text in ("First answer.", "Second answer."):
            await client.send_message(a_reply_with_usage(conversation_id, text))
        # when today's usage is summarised per model, the period given as aware datetimes
        now = dt.datetime.now(dt.UTC)
        summary = (
            await client.usage_summary(
                period=DateRangeInput(
                    start=now - dt.timedelta(days=1), end=now + dt.timedelta(hours=1)
                ),
                group_by=[UsageDimension.MODEL],
            )
        ).usage_summary
    # then the sums are exact: Long as int, Decimal as Decimal
    assert summary.total.requests == 2
    assert summary.total.total_tokens == 4000
    assert summary.total.cost_usd == Decimal("0.003")
    assert [(row.model, row.totals.cost_usd) for row in summary.rows] == [
        (HAIKU_3, Decimal("0.003"))
    ]


@sqlite_only
async def test_message_added_subscription_receives_a_live_message(live_server: LiveServer) -> None:
    # given a conversation with a first message, whose cursor the client has
    tenant = live_server.tenant
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    async with parley_client(live_server, tenant.keys[Role.AGENT]) as client:
        first = await client.send_message(
            SendMessageInput(conversation_id=conversation_id, role=MessageRole.USER, content="Hi")
        )
        assert isinstance(first.send_message, SendMessageSendMessageSendMessagePayload)
        # when the client subscribes after that cursor over WebSocket, and a reply is sent
        # (the subscription replays from the cursor, so it does not matter which comes first)
        messages = client.message_added(
            conversation_id, after=first.send_message.chat_message.cursor
        )
        sending = asyncio.create_task(
            client.send_message(a_reply_with_usage(conversation_id, "Welcome!"))
        )
        async with asyncio.timeout(DEADLINE):
            received = (await anext(messages)).message_added
            await sending
        await messages.aclose()
    # then the reply arrives, typed like a query's result
    assert received.content == "Welcome!"
    assert received.role is MessageRole.ASSISTANT
    assert received.cost == Decimal("0.0015")
    assert isinstance(received.created_at, dt.datetime)
