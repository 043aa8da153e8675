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
"""

import hashlib
import math
import time
from urllib.parse import urlparse

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from api.core.errors import RateLimited
from api.settings import Settings

KEY_PREFIX = "parley-ratelimit"


def limiter_storage(broadcast_url: str) -> tuple[Storage, ConnectionPool | None]:
    """Redis (shared by all instances) when the broadcast uses it, else process memory;
    and the Redis connection pool, ours to close."""
    if urlparse(broadcast_url).scheme in ("redis", "rediss"):
        pool = ConnectionPool.from_url(broadcast_url)
        storage = RedisStorage(
            f"async+{broadcast_url}",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            connection_pool=pool,  # type: ignore[arg-type]  # documented; typed too narrowly
        )
        return storage, pool
    return MemoryStorage(), None


def limit_key(value: str) -> str:
    """A fixed-length key: no e-mail in Redis, and no unbounded input as a key."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    """Failed sign-ins allowed per account and per client address in a moving window."""

    def __init__(
        self, broadcast_url: str, *, per_account: int, per_address: int, window_minutes: int
    ) -> None:
        storage, self.redis_pool = limiter_storage(broadcast_url)
        self.limiter = MovingWindowRateLimiter(storage)
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

    def _windows(self, account: str, address: str) -> list[tuple[RateLimitItem, str]]:
        return [(self.per_account, limit_key(account)), (self.per_address, limit_key(address))]

    async def attempt(self, *, account: str, address: str) -> None:
        """Count one attempt in both windows, or raise RateLimited (counting nothing more)
        when either is full."""
        windows = self._windows(account, address)
        for item, key in windows:
            if not await self.limiter.test(item, key):
                raise await self._limited(item, key)
        for item, key in windows:
            if not await self.limiter.hit(item, key):  # a parallel attempt took the last place
                raise await self._limited(item, key)

    async def succeeded(self, *, account: str) -> None:
        """The password was right: that account's failures are forgiven."""
        await self.limiter.clear(self.per_account, limit_key(account))

    async def _limited(self, item: RateLimitItem, key: str) -> RateLimited:
        stats = await self.limiter.get_window_stats(item, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimited(
            f"Too many failed sign-ins: try again in {retry_after} seconds.",
            retry_after_seconds=retry_after,
        )

    async def close(self) -> None:
        """Let go of the Redis connections (memory storage holds none)."""
        if self.redis_pool is not None:
            await self.redis_pool.aclose()
