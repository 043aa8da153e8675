"""The Redis side of the broadcast: a Pub/Sub backend that survives Redis restarts.

broadcaster 0.3.1's own RedisBackend delivers nothing with redis-py 8 (its listener calls
`listen()` before redis-py records the channel, so `listen()` returns at once and the task
waits forever). `ResilientRedisBackend` replaces it: dead-connection detection, reconnection
with backoff, re-subscription, and an in-band reconnect signal (`RECONNECTED`) that
`ParleyBroadcast` (api/core/broadcast.py) turns into a `Resync` for every subscriber.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlparse

from broadcaster import BroadcastBackend, Event
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, ExponentialBackoff, NoBackoff

# The broadcast's logger: its operators read one stream for both sides.
logger = logging.getLogger("parley.broadcast")


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

    async def ping(self) -> None:
        """PING through the publishing connection (readiness); raises if Redis is away."""
        if self._publisher is None:
            raise RuntimeError("ResilientRedisBackend.ping() called before connect()")
        await self._publisher.ping()

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
