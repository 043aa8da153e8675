"""What an operator polls: `/healthz` (the process is alive), `/readyz` (it can serve:
database and broadcast answer) and `/metrics` (Prometheus). A load balancer sends traffic
on /readyz; an orchestrator restarts on /healthz."""

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from api.core.metrics import exposition
from api.core.redis_backend import describe

logger = logging.getLogger("parley.health")

# each check gets this long: a load balancer's probe must not hang on a dead dependency
CHECK_TIMEOUT_S: Final = 2.0


async def healthz(request: Request) -> Response:
    """Alive: answers as long as the process serves requests; checks nothing else."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 `{"status": "ready", "checks": {...}}` when every dependency answers, else 503
    naming the ones that did not."""
    # both at once: a probe waits at most CHECK_TIMEOUT_S, however many dependencies are down
    database, broadcast = await asyncio.gather(
        _check("database", _database_round_trip),
        _check("broadcast", request.app.state.broadcast.ping),
    )
    checks = {"database": database, "broadcast": broadcast}
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _database_round_trip() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _check(name: str, probe: Callable[[], Awaitable[None]]) -> str:
    """ "ok", or what went wrong (the exception's type only: the probe is public; the
    log has the message)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await probe()
    except TimeoutError:
        logger.warning("readiness: %s did not answer within %ss", name, CHECK_TIMEOUT_S)
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:
        logger.warning("readiness: %s failed: %s", name, describe(exc))
        return f"failed ({type(exc).__name__})"
    return "ok"


class MetricsEndpoint:
    """`GET /metrics`; with a token, only for `Authorization: Bearer <token>`."""

    def __init__(self, token: str | None) -> None:
        self._expected = f"Bearer {token}".encode() if token else None

    async def respond(self, request: Request) -> Response:
        if self._expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, self._expected):
                return JSONResponse(
                    {"error": "metrics need Authorization: Bearer <PARLEY_METRICS_TOKEN>"},
                    status_code=401,
                    headers={"www-authenticate": "Bearer"},
                )
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
