"""The ASGI application: /graphql (HTTP and WebSocket) and /healthz."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from tortoise.contrib.starlette import RegisterTortoise

from api import db
from api.core import auth, events
from api.core.auth import Viewer
from api.core.broadcast import create_broadcast
from api.core.context import Context
from api.core.ratelimit import LoginThrottle
from api.core.sockets import LiveSockets
from api.schema import build_schema
from api.settings import Settings, load_settings

logger = logging.getLogger("parley")


class ParleyGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Parley's typed Context and WebSocket authentication."""

    def __init__(self, settings: Settings, sockets: LiveSockets) -> None:
        super().__init__(
            build_schema(settings),
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout_s),
            keep_alive=True,
            keep_alive_interval=settings.ws_keep_alive_s,
            # browsers' WebSockets from other origins are refused at the handshake (no
            # cross-site WebSocket hijacking); same-origin pages and non-browser clients pass
            allowed_origins=settings.allowed_origins,
        )
        self.settings = settings
        self.sockets = sockets

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token = auth.bearer_token(request.headers.get("authorization"))
        viewer: Viewer | None = await auth.authenticate(token)
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        if isinstance(response, Response):
            response.headers["x-request-id"] = request_id
        context = Context(
            request=request,
            settings=self.settings,
            viewer=viewer,
            request_id=request_id,
            broadcast=getattr(request.app.state, "broadcast", None),
            response=response if isinstance(response, Response) else None,
        )
        if isinstance(request, WebSocket):
            request.scope["parley.context"] = context  # for clean-up when the socket ends
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """`connection_init`: credentials from its payload (`{"authorization": "Bearer …"}`)
        or the handshake's Authorization header."""
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        if isinstance(header, str):
            context.viewer = await auth.authenticate(auth.bearer_token(header))
        if context.viewer is None:
            raise ConnectionRejectionError(
                {
                    "message": 'Authentication required: send {"authorization": "Bearer …"} '
                    "in connection_init."
                }
            )
        self.sockets.add(context.viewer, websocket)
        return UNSET

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            context = scope.get("parley.context")
            if isinstance(context, Context) and context.viewer is not None:
                self.sockets.discard(context.viewer, context.request)  # type: ignore[arg-type]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    auth.configure_secret(settings.secret_key.get_secret_value())
    sockets = LiveSockets()
    graphql = ParleyGraphQL(settings, sockets)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=settings.tortoise_orm):
            await db.ensure_migrated()
            broadcast = create_broadcast(
                settings.broadcast_url, queue_size=settings.subscriber_queue_size
            )
            await broadcast.connect()
            app.state.broadcast = broadcast
            app.state.sockets = sockets
            app.state.login_throttle = LoginThrottle.from_settings(settings)
            events.set_publisher(broadcast)
            chores = [
                asyncio.create_task(sockets.run_sweeps(settings.credential_check_interval_s)),
                asyncio.create_task(prune_events_periodically(settings.event_retention_days)),
            ]
            try:
                yield
            finally:
                for chore in chores:
                    chore.cancel()
                events.set_publisher(None)
                await app.state.login_throttle.close()
                # ends every live subscription cleanly before the database closes
                await broadcast.disconnect()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )


async def prune_events_periodically(retention_days: int) -> None:
    """Drop events past retention once an hour (resuming from older cursors is refused)."""
    while True:
        try:
            cutoff = datetime.now(UTC) - timedelta(days=retention_days)
            pruned = await events.prune_events(older_than=cutoff)
            if pruned:
                logger.info("pruned %d events older than %s", pruned, cutoff.isoformat())
        except Exception:
            logger.warning("event pruning failed", exc_info=True)
        await asyncio.sleep(3600)


def _middleware(settings: Settings) -> list[Middleware]:
    if not settings.allowed_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    ]


def app_from_environment() -> Starlette:
    """The uvicorn factory: settings from the environment (`parley serve` validated them)."""
    return create_app(load_settings())
