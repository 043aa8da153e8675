"""The app's lifespan in tests, with deadlines a busy CI machine meets (asgi-lifespan's
default of 5 s for start-up is not: migrations check, broadcast, pools)."""

from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

LIFESPAN_TIMEOUT_S = 60


def lifespan(app: ASGIApp) -> LifespanManager:
    return LifespanManager(
        app, startup_timeout=LIFESPAN_TIMEOUT_S, shutdown_timeout=LIFESPAN_TIMEOUT_S
    )
