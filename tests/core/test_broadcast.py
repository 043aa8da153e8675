"""The post-commit wake-up broadcast: delivery, bounded queues, resync, Redis outages.

Redis tests start their own redis-server on a free port (see `redis_server.py`); they never
use the machine's Redis. Every wait is bounded so a bug fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from broadcaster import Event
from redis import asyncio as aioredis

from api.core.broadcast import (
    DEFAULT_PUBLISH_TIMEOUT,
    RESYNC_OVERFLOW,
    RESYNC_RECONNECTED,
    MemoryBackend,
    ParleyBroadcast,
    ParleySubscriber,
    Resync,
    create_broadcast,
)
from api.core.redis_backend import ReconnectBackoff, ResilientRedisBackend
from tests.core.redis_server import RedisServer, free_port, require_redis_server

WAIT = 10.0  # Generous bound for things that should take milliseconds (on a busy machine).
RECOVERY_WAIT = 30.0  # Bound for a reconnection (backoff included).


# -- helpers --------------------------------------------------------------------------------


def test_reconnect_backoff_doubles_with_jitter_and_stays_bounded_through_a_long_outage() -> None:
    # given the backoff a backend reconnects with: 0.1 s doubling up to 5 s
    backoff = ReconnectBackoff(cap=5.0, base=0.1)

    # when Redis has been down for the first few attempts, and then for days
    first, third = backoff.compute(0), backoff.compute(2)
    much_later = [backoff.compute(failures) for failures in (31, 1100, 10**6)]

    # then each wait is half fixed, half random, and never more than the cap
    assert 0.05 <= first <= 0.1
    assert 0.2 <= third <= 0.4
    assert all(2.5 <= delay <= 5.0 for delay in much_later)


async def next_item(subscriber: ParleySubscriber, timeout: float = WAIT) -> Event | Resync:
    async with asyncio.timeout(timeout):
        return await anext(subscriber)


async def next_message(subscriber: ParleySubscriber) -> str:
    item = await next_item(subscriber)
    assert isinstance(item, Event), f"expected an Event, got {item!r}"
    return str(item.message)


async def consume_until_stop(
    broadcast: ParleyBroadcast, channel: str, entered: asyncio.Event
) -> list[str]:
    """A GraphQL-subscription-like consumer: iterate until a "stop" message arrives."""
    received: list[str] = []
    async with broadcast.subscribe(channel) as subscriber:
        entered.set()
        async for item in subscriber:
            assert isinstance(item, Event)
            if item.message == "stop":
                break
            received.append(item.message)
    return received


async def run_cycles(broadcast: ParleyBroadcast, rounds: int, per_round: int = 10) -> None:
    """Overlapping consumers on 3 shared channels; every other one is cancelled mid-iteration."""
    for _ in range(rounds):
        entered = [asyncio.Event() for _ in range(per_round)]
        tasks = [
            asyncio.create_task(consume_until_stop(broadcast, f"chan-{i % 3}", entered[i]))
            for i in range(per_round)
        ]
        async with asyncio.timeout(WAIT):
            await asyncio.gather(*(event.wait() for event in entered))
        for task in tasks[1::2]:
            task.cancel()
        for channel in ("chan-0", "chan-1", "chan-2"):
            await broadcast.publish(channel, "stop")
        async with asyncio.timeout(WAIT):
            await asyncio.wait(tasks)
        assert all(task.cancelled() for task in tasks[1::2])
        assert all(task.result() == [] for task in tasks[0::2])


class FlakyBackend(MemoryBackend):
    """A memory backend whose listener side or publish side can be made to fail."""

    def __init__(self) -> None:
        super().__init__("memory://")
        self.listen_failures = 0
        self.publish_error: BaseException | None = None
        self.publish_hangs = False

    async def next_published(self) -> Event:
        event = await super().next_published()
        if self.listen_failures:
            self.listen_failures -= 1
            raise RuntimeError("backend exploded")
        return event

    async def publish(self, channel: str, message: Any) -> None:
        if self.publish_hangs:
            await asyncio.Event().wait()
        if self.publish_error is not None:
            raise self.publish_error
        await super().publish(channel, message)


@pytest.fixture
def redis_binary() -> str:
    return require_redis_server()


@pytest.fixture
async def redis_server(redis_binary: str) -> AsyncIterator[RedisServer]:
    server = await RedisServer(redis_binary, free_port()).start()
    try:
        yield server
    finally:
        await server.stop()


# -- memory backend ---------------------------------------------------------------------------


async def test_memory_backend_delivers_messages_in_publish_order() -> None:
    # given a subscriber on a connected in-memory broadcast
    async with (
        create_broadcast("memory://") as broadcast,
        broadcast.subscribe("conversation:1") as subscriber,
    ):
        # when several wake-ups are published
        for n in range(5):
            await broadcast.publish("conversation:1", f"m{n}")

        # then they arrive in publish order
        assert [await next_message(subscriber) for _ in range(5)] == [f"m{n}" for n in range(5)]


async def test_channels_are_isolated() -> None:
    # given one subscriber per channel
    async with (
        create_broadcast("memory://") as broadcast,
        broadcast.subscribe("a") as on_a,
        broadcast.subscribe("b") as on_b,
    ):
        # when each channel gets its own message, then an end marker
        await broadcast.publish("a", "for-a")
        await broadcast.publish("b", "for-b")
        await broadcast.publish("a", "end")
        await broadcast.publish("b", "end")

        # then each subscriber sees only its channel's messages
        assert [await next_message(on_a) for _ in range(2)] == ["for-a", "end"]
        assert [await next_message(on_b) for _ in range(2)] == ["for-b", "end"]


async def test_subscriber_count_returns_to_zero_after_200_cycles_with_cancellations() -> None:
    # given a connected broadcast
    async with create_broadcast("memory://") as broadcast:
        # when 200 consumers subscribe and leave, half of them by being cancelled
        await run_cycles(broadcast, rounds=20)

        # then no queue, channel or backend subscription is left behind
        assert broadcast.subscriber_count() == 0
        assert broadcast._channels == {}
        assert broadcast._backend_channels == set()
        backend = broadcast._backend
        assert isinstance(backend, MemoryBackend)
        assert backend._subscribed == set()


async def test_slow_consumer_queue_stays_bounded_and_gets_an_overflow_resync() -> None:
    # given a subscriber that never consumes, with queues bounded to 10 items
    async with (
        create_broadcast("memory://", queue_size=10) as broadcast,
        broadcast.subscribe("busy") as slow,
        broadcast.subscribe("probe") as probe,
    ):
        # when 10,000 wake-ups are published (the listener dispatches each one)
        high_water = 0
        for n in range(10_000):
            await broadcast.publish("busy", str(n))
            await asyncio.sleep(0)
            high_water = max(high_water, slow.qsize())
        await broadcast.publish("probe", "flushed")
        assert await next_message(probe) == "flushed"  # So every "busy" event was dispatched.

        # then the queue never held more than its bound
        assert slow.maxsize == 10
        assert high_water <= 10
        # and the consumer gets one overflow resync followed by the latest messages only
        items = [await next_item(slow) for _ in range(slow.qsize())]
        assert items[0] == RESYNC_OVERFLOW
        assert all(isinstance(item, Event) for item in items[1:])
        numbers = [int(item.message) for item in items[1:] if isinstance(item, Event)]
        assert numbers == list(range(10_000 - len(numbers), 10_000))
        assert 0 < len(numbers) < 10


async def test_disconnect_ends_subscriber_iteration_cleanly() -> None:
    # given a consumer iterating over a subscription
    broadcast = create_broadcast("memory://")
    await broadcast.connect()
    entered = asyncio.Event()
    consumer = asyncio.create_task(consume_until_stop(broadcast, "conversation:9", entered))
    async with asyncio.timeout(WAIT):
        await entered.wait()

    # when the broadcast disconnects
    await broadcast.disconnect()

    # then the consumer stops iterating without an exception and nothing is left subscribed
    async with asyncio.timeout(WAIT):
        assert await consumer == []
    assert broadcast.subscriber_count() == 0


async def test_listener_survives_backend_errors_and_resyncs_subscribers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a subscriber on a backend whose listener side is about to fail twice
    backend = FlakyBackend()
    async with (
        ParleyBroadcast(backend=backend) as broadcast,
        broadcast.subscribe("conversation:3") as subscriber,
    ):
        await broadcast.publish("conversation:3", "before")
        assert await next_message(subscriber) == "before"
        backend.listen_failures = 2

        # when the backend raises (losing the two wake-ups it was handling), then recovers
        with caplog.at_level(logging.ERROR, logger="parley.broadcast"):
            await broadcast.publish("conversation:3", "lost-1")
            await broadcast.publish("conversation:3", "lost-2")
            await broadcast.publish("conversation:3", "after")
            items = [await next_item(subscriber)]
            while items[-1] != Event("conversation:3", "after"):
                items.append(await next_item(subscriber))

        # then the subscriber was told to resync before the next wake-up, and it was logged
        assert items[0] == RESYNC_RECONNECTED
        assert all(item == RESYNC_RECONNECTED for item in items[:-1])
        assert any("backend failed" in record.message for record in caplog.records)


async def test_publish_swallows_broker_errors_and_timeouts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a broadcast whose broker fails, then hangs
    backend = FlakyBackend()
    async with ParleyBroadcast(backend=backend, publish_timeout=0.2) as broadcast:
        with caplog.at_level(logging.WARNING, logger="parley.broadcast"):
            # when publishing to a failing broker, then to a hanging one
            backend.publish_error = ConnectionError("broker down")
            await broadcast.publish("conversation:4", "a")
            backend.publish_error = None
            backend.publish_hangs = True
            async with asyncio.timeout(WAIT):  # the broker hangs forever: it was cut
                await broadcast.publish("conversation:4", "b")

        # then neither raised, the hang was cut at the timeout, and both were logged
        warnings = [r for r in caplog.records if r.name == "parley.broadcast"]
        assert len(warnings) == 2
        assert all(record.levelno == logging.WARNING for record in warnings)


async def test_create_broadcast_rejects_unsupported_schemes() -> None:
    # given / when / then: an unknown scheme is named in the error
    with pytest.raises(ValueError, match="'kafka'"):
        create_broadcast("kafka://localhost:9092")


async def test_create_broadcast_picks_the_backend_from_the_scheme() -> None:
    # given / when
    memory = create_broadcast("memory://")
    redis = create_broadcast("redis://127.0.0.1:1/0", queue_size=5)
    secure = create_broadcast("rediss://127.0.0.1:1/0")

    # then
    assert isinstance(memory._backend, MemoryBackend)
    assert isinstance(redis._backend, ResilientRedisBackend)
    assert isinstance(secure._backend, ResilientRedisBackend)
    assert redis._queue_size == 5


# -- real Redis ---------------------------------------------------------------------------------


async def test_redis_publish_on_one_instance_reaches_a_subscriber_on_another(
    redis_server: RedisServer,
) -> None:
    # given two server instances sharing one Redis, with a subscriber on B
    async with (
        create_broadcast(redis_server.url) as instance_a,
        create_broadcast(redis_server.url) as instance_b,
        instance_b.subscribe("conversation:1") as subscriber,
    ):
        # when A publishes
        await instance_a.publish("conversation:1", '{"id": 1}')
        await instance_a.publish("conversation:1", '{"id": 2}')

        # then B's subscriber receives both, in order
        assert await next_message(subscriber) == '{"id": 1}'
        assert await next_message(subscriber) == '{"id": 2}'


async def test_redis_restart_resyncs_subscribers_and_resumes_delivery(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # given two instances and a live subscriber on B that has received wake-ups
    loop = asyncio.get_running_loop()
    async with (
        create_broadcast(redis_server.url) as instance_a,
        create_broadcast(redis_server.url) as instance_b,
        instance_b.subscribe("conversation:7") as subscriber,
    ):
        for n in range(3):
            await instance_a.publish("conversation:7", f"before-{n}")
        assert [await next_message(subscriber) for _ in range(3)] == [
            "before-0",
            "before-1",
            "before-2",
        ]

        # when Redis is killed, a publish during the outage neither raises nor hangs
        await redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="parley.broadcast"):
            started = loop.time()
            await instance_a.publish("conversation:7", "during-outage")
            assert loop.time() - started < DEFAULT_PUBLISH_TIMEOUT + 0.5
        assert any(r.levelno == logging.WARNING and "publish" in r.message for r in caplog.records)
        # and Redis comes back on the same port
        await redis_server.start()

        # then B's subscriber is told to resync within a few seconds
        assert await next_item(subscriber, timeout=RECOVERY_WAIT) == RESYNC_RECONNECTED
        # and wake-ups published after the restart are delivered
        await instance_a.publish("conversation:7", "after-restart")
        assert await next_message(subscriber) == "after-restart"


async def test_redis_down_at_startup_recovers_when_it_comes_up(redis_binary: str) -> None:
    # given a broadcast started while its Redis is down, with a subscriber
    server = RedisServer(redis_binary, free_port())
    loop = asyncio.get_running_loop()
    async with (
        create_broadcast(server.url) as broadcast,
        broadcast.subscribe("conversation:2") as subscriber,
    ):
        started = loop.time()
        await broadcast.publish("conversation:2", "lost")
        assert loop.time() - started < DEFAULT_PUBLISH_TIMEOUT + 0.5

        # when Redis starts
        await server.start()
        try:
            # then the subscriber is told to resync, and delivery works from then on
            assert await next_item(subscriber, timeout=RECOVERY_WAIT) == RESYNC_RECONNECTED
            await broadcast.publish("conversation:2", "hello")
            assert await next_message(subscriber) == "hello"
        finally:
            await server.stop()


async def test_redis_frozen_server_is_detected_and_subscribers_resync(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # given a subscriber on a backend with a short liveness deadline
    backend = ResilientRedisBackend(
        redis_server.url, ping_interval=0.2, dead_after=0.8, op_timeout=0.5
    )
    async with (
        ParleyBroadcast(backend=backend) as broadcast,
        broadcast.subscribe("conversation:5") as subscriber,
    ):
        # when Redis stops answering without closing the connection, then wakes up
        redis_server.pause()
        try:
            with caplog.at_level(logging.WARNING, logger="parley.broadcast"):
                async with asyncio.timeout(RECOVERY_WAIT):  # until it gives the connection up
                    while not any("connection lost" in r.message for r in caplog.records):
                        await asyncio.sleep(0.05)
        finally:
            redis_server.resume()

        # then the silent connection was replaced and the subscriber told to resync
        assert await next_item(subscriber, timeout=RECOVERY_WAIT) == RESYNC_RECONNECTED
        await broadcast.publish("conversation:5", "alive")
        assert await next_message(subscriber) == "alive"


async def test_redis_subscriptions_are_released_after_cancelled_consumers(
    redis_server: RedisServer,
) -> None:
    # given a broadcast on Redis
    async with create_broadcast(redis_server.url) as broadcast:
        # when 50 consumers subscribe and leave, half of them by being cancelled
        await run_cycles(broadcast, rounds=5)

        # then nothing is left locally nor subscribed on the Redis server
        assert broadcast.subscriber_count() == 0
        client = aioredis.Redis.from_url(redis_server.url)
        try:
            async with asyncio.timeout(WAIT):
                while channels := await client.pubsub_channels():
                    await asyncio.sleep(0.02)
        finally:
            await client.aclose()
        assert channels == []
