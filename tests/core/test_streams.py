"""The subscribe-replay-follow loop against the real database: a consumer that falls far
behind its bounded queue still gets every item once, in order, from the table."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from starlette.applications import Starlette

from api.core import events
from api.core.broadcast import ParleyBroadcast, create_broadcast
from api.core.streams import follow
from api.inbox.subscriptions import MessageStream
from models.enums import MessageRole
from tests.conftest import Tenant
from tests.inbox import seed


@dataclass
class FollowerContext:
    """The little of a subscription's Context that `follow` uses."""

    live_broadcast: ParleyBroadcast
    workspace_id: UUID

    def reset_loaders(self) -> None:
        pass


@pytest.fixture
async def small_broadcast(app: Starlette) -> AsyncIterator[ParleyBroadcast]:
    """A broadcast whose subscribers buffer at most 4 wake-ups, wired as the publisher."""
    broadcast = create_broadcast("memory://", queue_size=4)
    await broadcast.connect()
    with events.publishing_to(broadcast):
        yield broadcast
    await broadcast.disconnect()


async def test_a_consumer_far_behind_its_queue_still_gets_everything_once_in_order(
    tenant: Tenant, small_broadcast: ParleyBroadcast
) -> None:
    # given a follower of a conversation that reads one message and then stalls
    conversation = await seed.conversation(tenant)
    reads: list[int] = []
    stream = MessageStream(tenant.id, conversation.id)
    original_read = stream.read_after

    async def counting_read(position: int, limit: int) -> list[tuple[int, object]]:
        reads.append(position)
        return list(await original_read(position, limit))

    stream.read_after = counting_read  # type: ignore[method-assign]

    async def start() -> int:
        return 0

    items = follow(FollowerContext(small_broadcast, tenant.id), stream, start)
    first = asyncio.create_task(anext(items))
    async with asyncio.timeout(30):  # until it is subscribed
        while not small_broadcast.subscriber_count():
            await asyncio.sleep(0.01)
    await seed.message(tenant, conversation, "m1", role=MessageRole.USER)
    assert (await first).seq == 1
    # when 50 messages are committed while it does not read (12x its queue)
    for n in range(2, 52):
        await seed.message(tenant, conversation, f"m{n}", role=MessageRole.USER)
    # then it catches up from the table: all 50, in order, once each
    rest = [await asyncio.wait_for(anext(items), 30) for _ in range(50)]
    assert [m.seq for m in rest] == list(range(2, 52))
    assert len(reads) >= 2  # it went back to the table after overflowing
    await items.aclose()
    assert small_broadcast.subscriber_count() == 0
