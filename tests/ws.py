"""GraphQL over WebSocket for tests: the graphql-transport-ws and legacy graphql-ws
protocols, spoken over the ASGI app in-process (httpx-ws) or a real server (websockets)."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from uuid import UUID

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette

import models
from api.core import events

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
WAIT = 30.0  # generous: only a failing test waits this long


class Socket(Protocol):
    async def send_text(self, text: str) -> None: ...
    async def receive_text(self) -> str: ...


class GraphQLSocket:
    """One WebSocket speaking graphql-transport-ws (or the legacy graphql-ws)."""

    def __init__(self, socket: Any, protocol: str = TRANSPORT_WS) -> None:
        self.socket = socket
        self.protocol = protocol
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_text(json.dumps(message))

    async def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message: dict[str, Any] = json.loads(await self.socket.receive_text())
                if message.get("type") not in ("ping", "pong", "ka"):
                    return message

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {
                "id": operation_id,
                "type": kind,
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def next_data(self, timeout: float = WAIT) -> dict[str, Any]:
        """The data of the next result; fails on anything else."""
        message = await self.receive(timeout)
        expected = "next" if self.protocol == TRANSPORT_WS else "data"
        assert message["type"] == expected, message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def take(self, count: int, field: str, timeout: float = WAIT) -> list[dict[str, Any]]:
        return [(await self.next_data(timeout))[field] for _ in range(count)]

    async def stop(self, operation_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.send({"id": operation_id, "type": kind})

    async def expect_silence(self, seconds: float = 0.3) -> None:
        """Nothing (but pings) arrives for a while."""
        try:
            message = await self.receive(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")


@asynccontextmanager
async def asgi_socket(
    app: Starlette, protocol: str = TRANSPORT_WS, headers: dict[str, str] | None = None
) -> AsyncIterator[GraphQLSocket]:
    """A WebSocket to the in-process app (its lifespan already running)."""
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client,
        aconnect_ws(
            "http://parley.test/graphql", client, subprotocols=[protocol], headers=headers or {}
        ) as ws,
    ):
        yield GraphQLSocket(ws, protocol)


class _WebsocketsAdapter:
    """`websockets`' client connection with httpx-ws' method names."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def send_text(self, text: str) -> None:
        await self.connection.send(text)

    async def receive_text(self) -> str:
        message = await self.connection.recv()
        return message if isinstance(message, str) else message.decode()


@asynccontextmanager
async def server_socket(
    base_url: str, protocol: str = TRANSPORT_WS
) -> AsyncIterator[GraphQLSocket]:
    """A WebSocket to a real server process (`http://host:port`)."""
    from websockets.asyncio.client import connect

    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[protocol]) as connection:  # type: ignore[list-item]
        yield GraphQLSocket(_WebsocketsAdapter(connection), protocol)


async def event_cursor(workspace_id: UUID) -> str:
    """The cursor of the workspace's newest event: subscribing `after` it receives
    everything committed from now on, however long the subscription takes to start."""
    workspace = await models.Workspace.get(id=workspace_id)
    return events.EVENT_CURSORS.encode([workspace.last_event_seq])


def message_cursor(seq: int = 0) -> str:
    """The cursor of message `seq` of a conversation (0: before the first)."""
    from api.inbox.service import MESSAGE_CURSORS

    return MESSAGE_CURSORS.encode([seq])
