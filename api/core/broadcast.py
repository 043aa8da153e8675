"""Post-commit wake-ups between server instances: broadcaster's API, made production-safe.

Parley publishes small JSON wake-ups after a database commit; GraphQL subscriptions wake up
and read the database. The database is the truth, so a lost wake-up is acceptable as long as
the subscriber is *told* it may have missed something: that is the `Resync` item.

broadcaster 0.3.1 is kept for its API (`publish`, `async with subscribe(...)`, `async for`)
but not for its behaviour:

- its RedisBackend delivers nothing with redis-py 8 (its listener calls `listen()` before
  redis-py records the channel, `listen()` returns at once and the task waits forever);
- its listener task dies silently on any backend error, leaving subscribers hanging;
- every subscriber queue is unbounded, so one slow consumer grows memory without limit.

`ParleyBroadcast` here fixes the broadcast side (bounded queues, immortal listener, publish
that never raises); `ResilientRedisBackend` (api/core/redis_backend.py) the Redis side
(dead-connection detection, reconnection with backoff, re-subscription, and an in-band
reconnect signal).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, Self
from urllib.parse import urlparse

from broadcaster import Broadcast, BroadcastBackend, Event

# broadcaster's private modules, and `Broadcast`'s private `_backend`/`_create_backend`, which
# ParleyBroadcast relies on: pyproject pins broadcaster exactly, and
# tests/core/test_broadcaster_contract.py fails when an upgrade moves any of them.
from broadcaster._backends.memory import MemoryBackend
from broadcaster._base import Unsubscribed

from api.core import metrics
from api.core.redis_backend import (
    BackendReconnected,
    ReconnectBackoff,
    ResilientRedisBackend,
    describe,
)

__all__ = [
    "RESYNC",
    "RESYNC_OVERFLOW",
    "RESYNC_RECONNECTED",
    "MemoryBackend",
    "ParleyBroadcast",
    "ParleySubscriber",
    "Resync",
    "backend_for_url",
    "create_broadcast",
]

logger = logging.getLogger("parley.broadcast")

DEFAULT_QUEUE_SIZE: Final = 256
# A request publishes after its commit: it must never hang on a dead Redis.
DEFAULT_PUBLISH_TIMEOUT: Final = 2.0

ResyncReason = Literal["reconnected", "overflow"]


@dataclass(frozen=True, slots=True)
class Resync:
    """Delivered instead of an `Event`: "you may have missed wake-ups, catch up from the DB".

    `reason` is "reconnected" (the broker connection was lost and restored, or the listener
    recovered from an error) or "overflow" (this subscriber fell `queue_size` items behind and
    its pending events were dropped). Consumers test `isinstance(item, Resync)`.
    """

    reason: ResyncReason


RESYNC_RECONNECTED: Final = Resync("reconnected")
RESYNC_OVERFLOW: Final = Resync("overflow")
# The generic "catch up" item; the same object as RESYNC_RECONNECTED. Compare with
# isinstance(item, Resync), never with identity, since overflow uses another instance.
RESYNC: Final = RESYNC_RECONNECTED

# How long the listener waits after a backend error before it reads again.
LISTENER_BACKOFF: Final = ReconnectBackoff(cap=5.0, base=0.1)


# --------------------------------------------------------------------------------------
# Subscriber side: bounded queues that degrade to a Resync instead of growing.
# --------------------------------------------------------------------------------------

_Item = Event | Resync | None  # None marks the end of the stream.


class _SubscriberQueue:
    """A bounded queue that never blocks the producer.

    When full, the pending events are replaced by a single Resync("overflow"): the consumer
    will read the database anyway, so older wake-ups are worthless and memory stays bounded.
    """

    def __init__(self, maxsize: int) -> None:
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize)
        self._closed = False

    @property
    def maxsize(self) -> int:
        return self._queue.maxsize

    def qsize(self) -> int:
        return self._queue.qsize()

    def offer(self, event: Event) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._replace_with(RESYNC_OVERFLOW)
            if not self._queue.full():  # Only a queue of size 1 has no room left.
                self._queue.put_nowait(event)

    def resync(self, marker: Resync) -> None:
        """Pending events predate the resync point, so the marker replaces them."""
        if not self._closed:
            self._replace_with(marker)

    def close(self) -> None:
        """End the stream now; pending events are dropped (the subscription is over)."""
        if not self._closed:
            self._closed = True
            self._replace_with(None)

    async def get(self) -> _Item:
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)  # End of stream is sticky for later reads.
        return item

    def _replace_with(self, item: _Item) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(item)


class ParleySubscriber:
    """What `ParleyBroadcast.subscribe()` yields: an async iterator of `Event | Resync`.

    Iteration stops (without an exception) when the broadcast disconnects.
    """

    def __init__(self, queue: _SubscriberQueue) -> None:
        self._queue = queue

    @property
    def maxsize(self) -> int:
        """The queue bound (the broadcast's `queue_size`)."""
        return self._queue.maxsize

    def qsize(self) -> int:
        """Items waiting to be consumed; never above `maxsize`."""
        return self._queue.qsize()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event | Resync:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def get(self) -> Event | Resync:
        """The next item; raises broadcaster's `Unsubscribed` once the stream has ended."""
        item = await self._queue.get()
        if item is None:
            raise Unsubscribed()
        return item


# --------------------------------------------------------------------------------------
# The broadcast.
# --------------------------------------------------------------------------------------


class ParleyBroadcast(Broadcast):
    """broadcaster's `Broadcast` with bounded queues, an immortal listener and safe publish.

    - Each subscriber queue holds at most `queue_size` items (see `_SubscriberQueue`).
    - The listener logs backend errors and retries; after an error, or when the backend
      reports a reconnection, every subscriber gets `Resync("reconnected")`.
    - `publish()` is bounded by `publish_timeout` and never raises for a broker failure.
    - Backend (un)subscriptions are reconciled under a lock, so concurrent or cancelled
      subscribers cannot leave the backend subscribed to a dead channel (or the reverse).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        backend: BroadcastBackend | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        super().__init__(url, backend=backend)
        self._queue_size = queue_size
        self._publish_timeout = publish_timeout
        self._channels: dict[str, set[_SubscriberQueue]] = {}
        self._backend_channels: set[str] = set()
        self._backend_lock = asyncio.Lock()
        self._listen_task: asyncio.Task[None] | None = None
        self._cleanup_tasks: set[asyncio.Task[None]] = set()

    def _create_backend(self, url: str) -> BroadcastBackend:
        return backend_for_url(url)

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def connect(self) -> None:
        await self._backend.connect()
        self._listen_task = asyncio.create_task(self._listener(), name="parley-broadcast")

    async def disconnect(self) -> None:
        """Stop the listener, end every subscriber's iteration, then close the backend."""
        task, self._listen_task = self._listen_task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # Unlike `await task`, never swallows our own cancel.
        for queues in self._channels.values():
            for queue in queues:
                queue.close()
        await self._backend.disconnect()

    async def ping(self) -> None:
        """Raise unless the broker answers (readiness); memory:// always does."""
        ping = getattr(self._backend, "ping", None)
        if ping is not None:
            await ping()

    def subscriber_count(self) -> int:
        """Live subscriber queues across all channels (for tests and metrics)."""
        return sum(len(queues) for queues in self._channels.values())

    async def publish(self, channel: str, message: Any) -> None:
        """Publish a wake-up; on broker failure log a warning and return.

        The commit already happened and is the truth; subscribers that miss this wake-up
        get a Resync when the broker comes back, so failing the request would help nobody.
        """
        try:
            async with asyncio.timeout(self._publish_timeout):
                await self._backend.publish(channel, message)
        except Exception as exc:
            metrics.EVENTS_PUBLISHED.labels("failed").inc()
            logger.warning("publish to %r failed, wake-up dropped: %s", channel, describe(exc))
        else:
            metrics.EVENTS_PUBLISHED.labels("ok").inc()

    @asynccontextmanager
    async def subscribe(  # type: ignore[override]  # Yields Event | Resync, not Event.
        self, channel: str
    ) -> AsyncIterator[ParleySubscriber]:
        queue = _SubscriberQueue(self._queue_size)
        self._channels.setdefault(channel, set()).add(queue)
        try:
            # Also waits for a concurrent first subscriber's backend subscription.
            await self._sync_backend(channel)
            yield ParleySubscriber(queue)
        finally:
            self._discard_queue(channel, queue)
            queue.close()
            if (channel in self._channels) != (channel in self._backend_channels):
                await self._sync_backend_shielded(channel)

    def _discard_queue(self, channel: str, queue: _SubscriberQueue) -> None:
        queues = self._channels.get(channel)
        if queues is None:
            return
        queues.discard(queue)
        if not queues:
            del self._channels[channel]

    async def _sync_backend(self, channel: str) -> None:
        """Make the backend subscribed to `channel` iff it has local subscribers.

        Bookkeeping is updated before awaiting so a cancellation mid-call still leaves a
        state that the next reconciliation corrects.
        """
        async with self._backend_lock:
            wanted = channel in self._channels
            if wanted == (channel in self._backend_channels):
                return
            if wanted:
                self._backend_channels.add(channel)
                await self._backend.subscribe(channel)
            else:
                self._backend_channels.discard(channel)
                await self._backend.unsubscribe(channel)

    async def _sync_backend_shielded(self, channel: str) -> None:
        """Reconcile on subscriber exit even if the consumer task is cancelled again."""
        task = asyncio.create_task(self._sync_backend_quietly(channel))
        self._cleanup_tasks.add(task)  # Keep a strong reference until it finishes.
        task.add_done_callback(self._cleanup_tasks.discard)
        await asyncio.shield(task)

    async def _sync_backend_quietly(self, channel: str) -> None:
        try:
            await self._sync_backend(channel)
        except Exception:
            logger.exception("could not unsubscribe the backend from %r", channel)

    async def _listener(self) -> None:
        """Move events from the backend to subscriber queues; survive any backend error."""
        failures = 0
        while True:
            try:
                event = await self._backend.next_published()
            except Exception:
                logger.exception("broadcast backend failed; retrying")
                if not failures:
                    # Tell consumers now (so they catch up with what was committed so far)
                    # and again on recovery below (for what was lost while failing).
                    self._resync_all()
                await asyncio.sleep(LISTENER_BACKOFF.compute(failures))
                failures += 1
                continue
            if failures:
                failures = 0
                self._resync_all()  # Anything may have been lost while it was failing.
            self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, BackendReconnected):
            self._resync_all()
            return
        for queue in self._channels.get(event.channel, ()):
            queue.offer(event)

    def _resync_all(self) -> None:
        for queues in self._channels.values():
            for queue in queues:
                queue.resync(RESYNC_RECONNECTED)


# --------------------------------------------------------------------------------------
# Factory.
# --------------------------------------------------------------------------------------


def backend_for_url(url: str) -> BroadcastBackend:
    """memory:// (one process: tests, dev) or redis:// / rediss:// (several instances)."""
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return MemoryBackend(url)
    if scheme in ("redis", "rediss"):
        return ResilientRedisBackend(url)
    raise ValueError(
        f"unsupported broadcast URL scheme {scheme!r}: use memory://, redis:// or rediss://"
    )


def create_broadcast(url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> ParleyBroadcast:
    """The broadcast for `url`; call `connect()` (or `async with`) before use."""
    return ParleyBroadcast(backend=backend_for_url(url), queue_size=queue_size)
