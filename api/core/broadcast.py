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

`ParleyBroadcast` fixes the broadcast side (bounded queues, immortal listener, publish that
never raises) and `ResilientRedisBackend` the Redis side (dead-connection detection,
reconnection with backoff, re-subscription, and an in-band reconnect signal).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Mapping
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
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, ExponentialBackoff, NoBackoff

__all__ = [
    "RECONNECTED",
    "RESYNC",
    "RESYNC_OVERFLOW",
    "RESYNC_RECONNECTED",
    "BackendReconnected",
    "MemoryBackend",
    "ParleyBroadcast",
    "ParleySubscriber",
    "ReconnectBackoff",
    "ResilientRedisBackend",
    "Resync",
    "backend_for_url",
    "create_broadcast",
    "describe",
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


class BackendReconnected(Event):
    """In-band marker a backend returns from `next_published()` after a reconnection.

    It subclasses `Event` so backends keep broadcaster's `next_published() -> Event` contract
    and the marker stays ordered with real events (it follows everything read before the
    outage). `ParleyBroadcast` turns it into `Resync("reconnected")` for every subscriber.
    """

    def __init__(self) -> None:
        super().__init__(channel="", message="")

    def __repr__(self) -> str:
        return "BackendReconnected()"


RECONNECTED: Final = BackendReconnected()


def describe(exc: BaseException) -> str:
    """`Type: message` for logs (redis-py 8's repr() of its errors drops the message)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ReconnectBackoff(EqualJitterBackoff):
    """redis-py's "equal jitter" backoff (base doubling up to cap, half of it random, so a
    fleet of instances does not hammer a restarted Redis in lockstep), with the failure
    count clamped: past 2**1023 the doubling would overflow a float after a long outage."""

    def compute(self, failures: int) -> float:
        return super().compute(min(failures, 30))


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
            logger.warning("publish to %r failed, wake-up dropped: %s", channel, describe(exc))

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
# Redis backend.
# --------------------------------------------------------------------------------------


class _SessionBroken(Exception):
    """The current Pub/Sub connection must be replaced (dead, or a command failed on it)."""


def _keepalive_options() -> Mapping[int, int | bytes]:
    """TCP keepalive tuned to notice a dead peer in seconds, where the platform allows."""
    wanted = {"TCP_KEEPIDLE": 5, "TCP_KEEPINTVL": 2, "TCP_KEEPCNT": 3}
    return {getattr(socket, name): value for name, value in wanted.items() if hasattr(socket, name)}


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


class ResilientRedisBackend(BroadcastBackend):
    """Redis Pub/Sub backend (redis-py 8 `redis.asyncio`) that survives Redis restarts.

    Design:

    - `next_published()` owns the Pub/Sub connection: it is the only reader, and it must be
      driven by a single task (`ParleyBroadcast`'s listener). It also reads the SUBSCRIBE
      confirmations that `subscribe()` waits for, so that once `subscribe()` returns, a
      publish from any instance is delivered.
    - Liveness: when the connection is quiet for `ping_interval` it sends a PING; if nothing
      (not even the PONG) arrives for `dead_after` seconds the connection is declared dead.
      TCP keepalive is on as well. A killed server is noticed at once (EOF).
    - On loss it drops the connection, reconnects with `ReconnectBackoff` (0.1 s doubling to
      5 s, jittered), re-subscribes every channel, waits for their confirmations, and then
      returns `RECONNECTED` (a `BackendReconnected` event) from `next_published()`.
      Redis-py's own retries are off on the Pub/Sub connection: its silent reconnect would
      hide the outage from us.
    - `subscribe()`/`unsubscribe()` never raise for broker failures: the channel set is the
      truth and is replayed on reconnection. `publish()` does raise (one quick retry first);
      `ParleyBroadcast.publish()` turns that into a warning.
    - With no channel subscribed it still reads (with a timeout) and pings, so it never
      busy-loops and still notices a dead connection.
    """

    def __init__(
        self,
        url: str,
        *,
        op_timeout: float = 2.0,
        ping_interval: float = 1.0,
        dead_after: float = 3.0,
        backoff_base: float = 0.1,
        backoff_cap: float = 5.0,
    ) -> None:
        scheme = urlparse(url).scheme
        if scheme not in ("redis", "rediss"):
            raise ValueError(
                f"ResilientRedisBackend needs a redis:// or rediss:// URL, not {scheme!r}"
            )
        self._url = url
        self._op_timeout = op_timeout
        self._ping_interval = ping_interval
        self._dead_after = dead_after
        self._backoff = ReconnectBackoff(cap=backoff_cap, base=backoff_base)
        self._publisher: aioredis.Redis | None = None
        self._listen_client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._channels: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._unconfirmed: set[str] = set()  # Re-subscriptions not yet confirmed by Redis.
        self._signal_reconnect = False
        self._needs_reconnect = False
        self._failures = 0
        self._last_seen = 0.0
        self._ping_outstanding = False

    # -- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Create the clients and try one connection; a Redis that is down is not fatal."""
        self._publisher = self._make_client(retries=1)
        self._listen_client = self._make_client(retries=0)
        try:
            await self._open_session()
        except Exception as exc:
            logger.warning(
                "redis unavailable at startup (%s); retrying in background", describe(exc)
            )
            self._signal_reconnect = True

    async def disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await self._close_quietly(pubsub)
        for client in (self._publisher, self._listen_client):
            if client is not None:
                await client.aclose()
        self._publisher = self._listen_client = None
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)  # Release subscribe() calls still waiting.
        self._waiters.clear()

    def _make_client(self, *, retries: int) -> aioredis.Redis:
        backoff = ExponentialBackoff(cap=0.2, base=0.05) if retries else NoBackoff()
        return aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=self._op_timeout,
            socket_timeout=self._op_timeout,
            socket_keepalive=True,
            socket_keepalive_options=_keepalive_options(),
            health_check_interval=0,  # Our own PING deadline replaces it (see class doc).
            retry=Retry(backoff, retries),
        )

    # -- BroadcastBackend API -----------------------------------------------------------

    async def subscribe(self, channel: str) -> None:
        """Subscribe and wait for Redis to confirm; if Redis is down, defer to reconnection."""
        self._channels.add(channel)
        pubsub = self._pubsub
        if pubsub is None:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        try:
            async with asyncio.timeout(self._op_timeout):
                await pubsub.subscribe(channel)
                await waiter
        except Exception as exc:
            logger.warning("redis SUBSCRIBE %r failed (%s); reconnecting", channel, describe(exc))
            self._request_reconnect(pubsub)
        finally:
            self._forget_waiter(channel, waiter)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            async with asyncio.timeout(self._op_timeout):
                await pubsub.unsubscribe(channel)
        except Exception as exc:
            logger.warning("redis UNSUBSCRIBE %r failed (%s); reconnecting", channel, describe(exc))
            self._request_reconnect(pubsub)

    async def publish(self, channel: str, message: Any) -> None:
        if self._publisher is None:
            raise RuntimeError("ResilientRedisBackend.publish() called before connect()")
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        """The next message, or `RECONNECTED` once a lost connection is fully restored."""
        while True:
            pubsub = self._pubsub
            if pubsub is None:
                await self._reconnect_with_backoff()
                continue
            if self._signal_reconnect and not self._unconfirmed:
                # Every channel is confirmed again: a consumer that now reads the database
                # cannot miss a later wake-up.
                self._signal_reconnect = False
                self._failures = 0  # Only a fully re-established session resets backoff.
                logger.info("redis pub/sub connection restored")
                return RECONNECTED
            try:
                event = await self._read_once(pubsub)
            except Exception as exc:
                await self._drop_session(exc)
                continue
            if event is not None:
                return event

    # -- session management ---------------------------------------------------------------

    async def _open_session(self) -> None:
        if self._listen_client is None:
            raise RuntimeError("ResilientRedisBackend used before connect()")
        pubsub = self._listen_client.pubsub()
        try:
            async with asyncio.timeout(self._op_timeout):
                await pubsub.connect()
                # Published before re-subscribing: a concurrent subscribe() now sends its
                # own SUBSCRIBE, and anything added earlier is in the snapshot below.
                self._start_session(pubsub)
                if self._unconfirmed:
                    await pubsub.subscribe(*self._unconfirmed)
        except BaseException:
            self._pubsub = None
            await self._close_quietly(pubsub)
            raise

    def _start_session(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self._unconfirmed = set(self._channels)
        self._needs_reconnect = False
        self._ping_outstanding = False
        self._last_seen = asyncio.get_running_loop().time()

    async def _reconnect_with_backoff(self) -> None:
        await asyncio.sleep(self._backoff.compute(self._failures))
        self._failures += 1
        try:
            await self._open_session()
        except Exception as exc:
            logger.warning("redis reconnect attempt %d failed: %s", self._failures, describe(exc))

    async def _drop_session(self, reason: BaseException) -> None:
        logger.warning("redis pub/sub connection lost (%s); reconnecting", describe(reason))
        pubsub, self._pubsub = self._pubsub, None
        self._signal_reconnect = True
        if pubsub is not None:
            await self._close_quietly(pubsub)

    def _request_reconnect(self, pubsub: PubSub) -> None:
        """A command failed on `pubsub`: let the reader replace it (it owns the connection)."""
        if pubsub is self._pubsub:
            self._needs_reconnect = True

    @staticmethod
    async def _close_quietly(pubsub: PubSub) -> None:
        try:
            await pubsub.aclose()
        except Exception as exc:
            logger.debug("closing a broken redis pub/sub connection failed: %s", describe(exc))

    # -- reading --------------------------------------------------------------------------

    async def _read_once(self, pubsub: PubSub) -> Event | None:
        """Read for at most `ping_interval`; returns a message event or None."""
        await self._check_liveness(pubsub)
        message = await pubsub.get_message(timeout=self._ping_interval)
        if message is None:
            return None
        self._last_seen = asyncio.get_running_loop().time()
        self._ping_outstanding = False
        return self._handle(message)

    async def _check_liveness(self, pubsub: PubSub) -> None:
        if self._needs_reconnect:
            raise _SessionBroken("a command on the connection failed")
        idle = asyncio.get_running_loop().time() - self._last_seen
        if idle > self._dead_after:
            raise _SessionBroken(f"no reply from redis for {idle:.1f}s")
        if idle >= self._ping_interval and not self._ping_outstanding:
            self._ping_outstanding = True
            await pubsub.ping()

    def _handle(self, message: dict[str, Any]) -> Event | None:
        kind = message["type"]
        if kind == "message":
            return Event(channel=_text(message["channel"]), message=_text(message["data"]))
        if kind == "subscribe":
            self._confirm(_text(message["channel"]))
        return None

    def _confirm(self, channel: str) -> None:
        self._unconfirmed.discard(channel)
        for waiter in self._waiters.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)

    def _forget_waiter(self, channel: str, waiter: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(channel)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._waiters[channel]


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
