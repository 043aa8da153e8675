"""Live updates across server instances and through a Redis outage."""

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise
from websockets.exceptions import ConnectionClosed

import models
from api.app import create_app, serving
from api.core import auth
from api.core.ids import encode_id
from api.settings import load_settings, tortoise_config
from models.enums import Channel, MessageRole, Role
from tests.conftest import Tenant, make_tenant
from tests.core.redis_server import RedisServer, free_port, require_redis_server
from tests.inbox import seed
from tests.lifespan import lifespan
from tests.servers import parley_process, parley_server
from tests.services import require_redis
from tests.ws import (
    LEGACY_WS,
    TRANSPORT_WS,
    GraphQLSocket,
    asgi_socket,
    event_cursor,
    message_cursor,
    server_socket,
)

MESSAGE_ADDED = """subscription($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { seq content } }"""
TEST_SECRET = "test-secret-key-0123456789"
SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename } }"""


@asynccontextmanager
async def seeded(database_url: str) -> AsyncIterator[tuple[Tenant, models.Conversation]]:
    """A tenant with one conversation, written straight to the database."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        # keys are hashed with the servers' secret, so they work there
        with auth.hashing_with(auth.Keyring(TEST_SECRET.encode())):
            tenant = await make_tenant("Acme")
        yield tenant, await seed.conversation(tenant)
    finally:
        await Tortoise.close_connections()


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_message_sent_through_one_instance_reaches_a_subscriber_on_another(
    postgres_url: str,
) -> None:
    # given two server processes sharing PostgreSQL and Redis
    redis_url = require_redis()
    async with seeded(postgres_url) as (tenant, conversation):
        conversation_id = encode_id("Conversation", conversation.id)
        key = tenant.keys[Role.AGENT]
    async with (
        parley_server(postgres_url, redis_url) as a,
        parley_server(postgres_url, redis_url) as b,
        server_socket(b) as ws,  # and a subscriber on instance B
    ):
        assert (await ws.init(key))["type"] == "connection_ack"
        await ws.subscribe(
            MESSAGE_ADDED, {"conversationId": conversation_id, "after": message_cursor()}
        )
        # when messages are sent through instance A
        async with httpx.AsyncClient(base_url=a) as http:
            for n in range(3):
                response = await http.post(
                    "/graphql",
                    headers={"authorization": f"Bearer {key}"},
                    json={
                        "query": SEND,
                        "variables": {
                            "input": {
                                "conversationId": conversation_id,
                                "role": "USER",
                                "content": f"via A {n}",
                            }
                        },
                    },
                )
                assert response.json()["data"]["sendMessage"]["__typename"] == "SendMessagePayload"
        # then B's subscriber receives them, in order
        received = await ws.take(3, "messageAdded")
    assert received == [{"seq": n + 1, "content": f"via A {n}"} for n in range(3)]


async def test_every_message_survives_a_redis_restart_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    # given the app on its own redis-server, and a live subscriber
    redis = RedisServer(require_redis_server(), free_port())
    await redis.start()
    settings = load_settings(
        database_url=database_url, broadcast_url=redis.url, secret_key="test-secret-key-0123456789"
    )
    app = create_app(settings)
    try:
        async with lifespan(app):
            with serving(app.state):
                tenant = await make_tenant("Acme")
                conversation = await seed.conversation(tenant)
                async with asgi_socket(app) as ws:
                    await ws.init(tenant.keys[Role.VIEWER])
                    await ws.subscribe(
                        MESSAGE_ADDED,
                        {
                            "conversationId": encode_id("Conversation", conversation.id),
                            "after": message_cursor(),
                        },
                    )

                    async def send(label: str) -> None:
                        for n in range(5):
                            await seed.message(
                                tenant, conversation, f"{label} {n}", role=MessageRole.USER
                            )

                    # when messages are sent before, during and after an outage
                    await send("before")
                    await redis.stop()
                    await send("during")  # the commit is the truth: sending keeps working
                    await redis.start()
                    # (whether or not it has reconnected yet: a reconnection resyncs from the DB)
                    await send("after")
                    received = await ws.take(15, "messageAdded")
                    await ws.expect_silence(0.5)
    finally:
        await redis.stop()
    # then the subscriber got every one, in order, exactly once
    assert [m["seq"] for m in received] == list(range(1, 16))
    assert [m["content"] for m in received] == [
        f"{label} {n}" for label in ("before", "during", "after") for n in range(5)
    ]


async def test_shutting_down_completes_open_subscriptions(database_url: str) -> None:
    # given a live subscription
    settings = load_settings(database_url=database_url, secret_key="test-secret-key-0123456789")
    app = create_app(settings)
    manager = lifespan(app)
    await manager.__aenter__()
    with serving(app.state):
        tenant = await make_tenant("Acme")
        conversation = await seed.conversation(tenant, channel=Channel.WEB)
    async with asgi_socket(app) as ws:
        await ws.init(tenant.keys[Role.VIEWER])
        operation = await ws.subscribe(
            MESSAGE_ADDED, {"conversationId": encode_id("Conversation", conversation.id)}
        )
        async with asyncio.timeout(30):  # until the subscription is listening
            while not app.state.broadcast.subscriber_count():
                await asyncio.sleep(0.01)
        # when the server shuts down
        await manager.__aexit__(None, None, None)
        # then the client is told the subscription is complete
        message = await ws.receive()
    assert message == {"id": operation, "type": "complete"}


INBOX_EVENTS = """subscription($after: String) { inboxEvents(after: $after) { type } }"""


async def send_over_http(base_url: str, key: str, conversation_id: str, content: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/graphql",
            headers={"authorization": f"Bearer {key}"},
            json={
                "query": SEND,
                "variables": {
                    "input": {"conversationId": conversation_id, "role": "USER", "content": content}
                },
            },
        )
    assert response.json()["data"]["sendMessage"]["__typename"] == "SendMessagePayload"


async def messages_until_closed(ws: GraphQLSocket) -> tuple[list[dict[str, object]], int]:
    """Everything the client receives until the server closes the socket, and the code."""
    received: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(30):
            while True:
                received.append(await ws.receive(timeout=30))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the connection dropped without a close frame"
        return received, closed.rcvd.code


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
async def test_a_server_stopped_by_a_signal_completes_every_subscription_before_closing(
    sqlite_template: Path, tmp_path: Path, protocol: str, stop_signal: signal.Signals
) -> None:
    # given a real server with a client following two subscriptions
    database = tmp_path / "parley.sqlite3"
    shutil.copy(sqlite_template, database)
    database_url = f"sqlite://{database}"
    async with seeded(database_url) as (tenant, conversation):
        conversation_id = encode_id("Conversation", conversation.id)
        key = tenant.keys[Role.AGENT]
        inbox_cursor = await event_cursor(tenant.id)
    async with (
        parley_process(database_url, "memory://") as server,
        server_socket(server.base_url, protocol) as ws,
    ):
        assert (await ws.init(key))["type"] == "connection_ack"
        messages = await ws.subscribe(
            MESSAGE_ADDED, {"conversationId": conversation_id, "after": message_cursor()}
        )
        inbox = await ws.subscribe(INBOX_EVENTS, {"after": inbox_cursor})
        await send_over_http(server.base_url, key, conversation_id, "hello")
        live = [await ws.receive() for _ in range(2)]  # both are following
        assert {m["id"] for m in live} == {messages, inbox}
        # when the server is told to stop
        server.process.send_signal(stop_signal)
        received, close_code = await messages_until_closed(ws)
        # then each subscription is completed, then the socket is closed (going away)
        assert sorted(received, key=lambda m: str(m["id"])) == [
            {"id": messages, "type": "complete"},
            {"id": inbox, "type": "complete"},
        ]
        assert close_code == 1001
        # and the server goes on to exit
        async with asyncio.timeout(30):
            while server.process.poll() is None:
                await asyncio.sleep(0.1)
