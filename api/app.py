"""The ASGI application: /graphql (HTTP and WebSocket) and /healthz."""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

from api import db
from api.core import auth, events
from api.core.auth import Viewer
from api.core.broadcast import create_broadcast
from api.core.context import Context
from api.schema import build_schema
from api.settings import Settings, load_settings

logger = logging.getLogger("parley")


class ParleyGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Parley's typed Context."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=_seconds(settings.ws_connection_init_timeout_s),
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token = auth.bearer_token(request.headers.get("authorization"))
        viewer: Viewer | None = await auth.authenticate(token)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if isinstance(response, Response):
            response.headers["x-request-id"] = request_id
        return Context(
            request=request, settings=self.settings, viewer=viewer, request_id=request_id
        )


def _seconds(value: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=value)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    auth.configure_secret(settings.secret_key.get_secret_value())
    graphql = ParleyGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=settings.tortoise_orm):
            await db.ensure_migrated()
            broadcast = create_broadcast(
                settings.broadcast_url, queue_size=settings.subscriber_queue_size
            )
            await broadcast.connect()
            app.state.broadcast = broadcast
            events.set_publisher(broadcast)
            try:
                yield
            finally:
                events.set_publisher(None)
                await broadcast.disconnect()

    middleware = []
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            )
        )
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )


def app_from_environment() -> Starlette:
    """The uvicorn factory: settings from the environment (`parley serve` validated them)."""
    return create_app(load_settings())
