"""Throttling password guesses: failed sign-ins per account and per client address.

Counted with the `limits` library's moving window, in Redis when the broadcast runs on
Redis (so every instance shares the counts) and in this process's memory otherwise.

An attempt takes its place in both windows BEFORE the password is checked, atomically:
forty parallel guesses cannot all pass a check that none of them has counted in yet, and
a refused attempt costs no argon2 hash. A correct password clears its account's window (a
user who signs in is not punished for earlier typos); the address window keeps counting
every attempt, so that one client cannot guess across many accounts by signing in to its
own one in between. The address is the TCP peer: behind a reverse proxy that is the
proxy, and `X-Forwarded-For` is not trusted.

While Redis does not answer, this instance counts in its own memory (and logs it): sign-in
keeps working and guessing stays throttled, per instance, until Redis is back.
"""

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from api.core.errors import RateLimited
from api.settings import Settings

KEY_PREFIX = "parley-ratelimit"
REDIS_TIMEOUT_S = 2.0

logger = logging.getLogger("parley.ratelimit")


def redis_limiter(redis_url: str) -> tuple[MovingWindowRateLimiter, ConnectionPool]:
    """A limiter on Redis (shared by all instances), and its connection pool, ours to close."""
    pool = ConnectionPool.from_url(
        redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    storage = RedisStorage(
        f"async+{redis_url}",
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        wrap_exceptions=True,  # any Redis failure is a StorageError: see _on_storage
        connection_pool=pool,  # type: ignore[arg-type]  # documented; typed too narrowly
    )
    return MovingWindowRateLimiter(storage), pool


def limit_key(value: str) -> str:
    """A fixed-length key: no e-mail in Redis, and no unbounded input as a key."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    """Failed sign-ins allowed per account and per client address in a moving window."""

    def __init__(
        self, broadcast_url: str, *, per_account: int, per_address: int, window_minutes: int
    ) -> None:
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        self.redis_pool: ConnectionPool | None = None
        if urlparse(broadcast_url).scheme in ("redis", "rediss"):
            self.shared, self.redis_pool = redis_limiter(broadcast_url)
        self.per_account = RateLimitItemPerMinute(per_account, window_minutes, "login-account")
        self.per_address = RateLimitItemPerMinute(per_address, window_minutes, "login-address")

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginThrottle":
        return cls(
            settings.broadcast_url,
            per_account=settings.login_failures_per_account,
            per_address=settings.login_attempts_per_address,
            window_minutes=settings.login_limit_window_minutes,
        )

    async def attempt(self, *, account: str, address: str) -> None:
        """Count one attempt in both windows, or raise RateLimited (counting nothing more)
        when either is full."""
        windows = [
            (self.per_account, limit_key(account)),
            (self.per_address, limit_key(address)),
        ]

        async def take_places(limiter: MovingWindowRateLimiter) -> None:
            for item, key in windows:
                if not await limiter.test(item, key):
                    raise await self._limited(limiter, item, key)
            for item, key in windows:
                if not await limiter.hit(item, key):  # a parallel attempt took the last place
                    raise await self._limited(limiter, item, key)

        await self._on_storage(take_places)

    async def succeeded(self, *, account: str) -> None:
        """The password was right: that account's failures are forgiven."""

        async def forgive(limiter: MovingWindowRateLimiter) -> None:
            await limiter.clear(self.per_account, limit_key(account))

        await self._on_storage(forgive)

    async def _on_storage(self, work: Callable[[MovingWindowRateLimiter], Awaitable[None]]) -> None:
        """`work` on Redis when there is one and it answers, else on this process's memory."""
        if self.shared is not None:
            try:
                return await work(self.shared)
            except StorageError:
                logger.warning(
                    "login throttle: Redis does not answer; counting in this instance's memory",
                    exc_info=True,
                )
        await work(self.local)

    @staticmethod
    async def _limited(
        limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str
    ) -> RateLimited:
        stats = await limiter.get_window_stats(item, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimited(
            f"Too many failed sign-ins: try again in {retry_after} seconds.",
            retry_after_seconds=retry_after,
        )

    async def close(self) -> None:
        """Let go of the Redis connections (memory storage holds none)."""
        if self.redis_pool is not None:
            await self.redis_pool.aclose()
