"""What the reference-client tests share: an inbox seeded through the services, a node
script running beside the test (read line by line), and a mutation sent over HTTP."""

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import models
from api.inbox.types import ChatMessage
from models.enums import Role
from tests.conftest import LiveServer, Tenant
from tests.inbox import seed
from tests.tools import CLIENTS, require_node

REFERENCE = CLIENTS / "reference"
DEADLINE_S = 30  # generous: CI is a busy 2-core machine

SEND_MESSAGE = """
mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload { chatMessage { id seq content } }
  }
}
"""


@dataclass(frozen=True)
class Inbox:
    """Two conversations: Dewi's (assigned, with a message) and Budi's (newer, unassigned)."""

    dewis: models.Conversation
    budis: models.Conversation
    last_message: models.Message

    @property
    def last_cursor(self) -> str:
        """The cursor of Dewi's last message: a subscriber from here misses nothing."""
        return ChatMessage.from_model(self.last_message).cursor


async def seed_inbox(tenant: Tenant) -> Inbox:
    dewi = await seed.contact(tenant, "Dewi Lestari")
    dewis = await seed.conversation(
        tenant, dewi, title="Villa in June", assignee_id=tenant.users[Role.AGENT].id
    )
    last_message = await seed.message(tenant, dewis, "Hello, is the villa free in June?")
    budis = await seed.conversation(tenant, await seed.contact(tenant, "Budi Santoso"))
    return Inbox(dewis, budis, last_message)


@pytest.fixture
async def inbox(live_server: LiveServer) -> Inbox:
    return await seed_inbox(live_server.tenant)


async def send_message(server: LiveServer, conversation: models.Conversation, text: str) -> Any:
    """sendMessage through the live server (so that it publishes the live event)."""
    async with httpx.AsyncClient(timeout=DEADLINE_S) as http:
        response = await http.post(
            server.graphql_url,
            json={
                "query": SEND_MESSAGE,
                "variables": {
                    "input": {
                        "conversationId": seed.gid("Conversation", conversation.id),
                        "role": "AGENT",
                        "content": text,
                    }
                },
            },
            headers={"authorization": f"Bearer {server.tenant.keys[Role.AGENT]}"},
        )
    assert response.status_code == 200, response.text
    result = response.json()["data"]["sendMessage"]
    assert result["__typename"] == "SendMessagePayload", result
    return result["chatMessage"]


@dataclass
class NodeScript:
    """A node script running beside the test; its stdout read a line at a time."""

    name: str
    process: asyncio.subprocess.Process

    async def line_starting(self, prefix: str) -> str:
        """The next stdout line starting with `prefix` (without it); fails on exit or after
        the deadline, with what the script wrote to stderr."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(DEADLINE_S):
                while line := (await self.process.stdout.readline()).decode():
                    if line.startswith(prefix):
                        return line[len(prefix) :].strip()
        except TimeoutError:
            pytest.fail(f"{self.name} printed no {prefix!r} line within {DEADLINE_S} s")
        await self.process.wait()
        pytest.fail(f"{self.name} exited ({self.process.returncode}): {await self._stderr()}")

    async def exits_cleanly(self) -> None:
        async with asyncio.timeout(DEADLINE_S):
            returncode = await self.process.wait()
        assert returncode == 0, await self._stderr()

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode()


@asynccontextmanager
async def node_script(
    script: Path, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[NodeScript]:
    """Start `node script args…` in clients/ (where its packages are); stop it at the end."""
    process = await asyncio.create_subprocess_exec(
        require_node(),
        str(script),
        *args,
        cwd=CLIENTS,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield NodeScript(script.name, process)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
