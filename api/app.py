"""The ASGI application: /graphql (HTTP and WebSocket), /healthz, /readyz, /metrics."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from tortoise.contrib.starlette import RegisterTortoise

from api import db
from api.core import auth, events, metrics
from api.core.access import AccessLog, request_of
from api.core.auth import Keyring, Viewer
from api.core.broadcast import create_broadcast
from api.core.context import Context
from api.core.health import MetricsEndpoint, healthz, readyz
from api.core.http_input import (
    BodySizeLimit,
    decode_json,
    decode_request_json,
    graphql_error_response,
)
from api.core.http_responses import CONTENT_TYPES, response_media_type, shape_for
from api.core.logs import install_log_truncation
from api.core.ratelimit import LoginThrottle
from api.core.shutdown import (
    LegacyWSHandler,
    LiveOperations,
    TransportWSHandler,
    complete_on_signals,
)
from api.core.sockets import LiveSockets
from api.schema import build_schema
from api.settings import Settings, load_settings
from api.web import static_routes
from api.web.graphiql import graphiql_page
from api.web.inbox import inbox_routes

logger = logging.getLogger("parley")
__all__ = ["ParleyGraphQL", "app_from_environment", "create_app", "serving"]


class ParleyGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Parley's typed Context and WebSocket authentication;
    its WebSocket handlers are known to `live_operations`, which completes them on shutdown."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

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
        self.live_operations = LiveOperations()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token = auth.bearer_token(request.headers.get("authorization"))
        viewer: Viewer | None = await auth.authenticate(token)
        request_id = request_of(request.scope).request_id  # decided (and echoed) by AccessLog
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

    async def render_graphql_ide(self, request: Request) -> Response:
        """The playground: GraphiQL from Parley's own files (strawberry's fetches a CDN)."""
        return graphiql_page(request)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """strawberry's sub-response (headers and status for the HTTP response), carrying
        the media type negotiated from the request's Accept as its Content-Type."""
        sub_response = await super().get_sub_response(request)
        media_type = response_media_type(request.headers.get("accept"))
        sub_response.headers["content-type"] = CONTENT_TYPES[media_type]
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """strawberry's JSON response in the negotiated media type: under
        application/graphql-response+json a request error is a 400 without `data`
        (api/core/http_responses.py)."""
        content_type = sub_response.headers["content-type"]
        if isinstance(response_data, dict):
            response_data, status = shape_for(content_type, response_data)
            if status is not None:
                sub_response.status_code = status
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = content_type  # strawberry's own said application/json
        return response

    def parse_json(self, data: str | bytes) -> object:
        """An HTTP request's JSON (body, or GET's variables)."""
        return decode_request_json(data)

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message's JSON."""
        return decode_json(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with serving(scope["app"].state):
            await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._serve_http(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            context = scope.get("parley.context")
            if isinstance(context, Context) and context.viewer is not None:
                self.sockets.discard(context.viewer, context.request)  # type: ignore[arg-type]

    async def _serve_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's HTTP handling, with its refusals (bad body, wrong method, …) as
        GraphQL error bodies instead of plain text."""
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as refusal:
            media_type = response_media_type(request.headers.get("accept"))
            response = graphql_error_response(refusal.status_code, refusal.reason, media_type)
        await response(scope, receive, send)


@contextmanager
def serving(state: State) -> Iterator[None]:
    """What runs inside (a request, the tasks it starts) hashes tokens with this app's
    keyring and wakes this app's subscribers (before the lifespan has a broadcast: nobody)."""
    sink = getattr(state, "broadcast", events.NO_EVENTS)
    with auth.hashing_with(state.keyring), events.publishing_to(sink):
        yield


def create_app(settings: Settings, *, complete_on_stop_signals: bool = False) -> Starlette:
    """The app; `complete_on_stop_signals` (for uvicorn) completes every live operation on
    SIGTERM/SIGINT before uvicorn closes the sockets (api/core/shutdown.py)."""
    install_log_truncation(settings.log_max_value_chars)
    sockets = LiveSockets()
    graphql = ParleyGraphQL(settings, sockets)
    metrics_endpoint = MetricsEndpoint(settings.metrics_token_value)

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
            metrics.worker_started()
            with serving(app.state):  # the chores' tasks keep the app's keyring and sink
                chores = [
                    asyncio.create_task(sockets.run_sweeps(settings.credential_check_interval_s)),
                    asyncio.create_task(prune_events_periodically(settings.event_retention_days)),
                ]
            restore_signals = (
                complete_on_signals(graphql.live_operations) if complete_on_stop_signals else None
            )
            try:
                yield
            finally:
                for chore in chores:
                    chore.cancel()
                await app.state.login_throttle.close()
                # ends every live subscription cleanly before the database closes
                await graphql.live_operations.complete_all()
                if restore_signals is not None:
                    restore_signals()
                await broadcast.disconnect()
                metrics.mark_worker_stopped()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint.respond, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *static_routes(),
            *inbox_routes(),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
    app.state.keyring = Keyring.from_settings(settings)
    return app


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
    # outermost: the request id and access line cover every refusal below too
    access_log = Middleware(AccessLog)
    body_limit = Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if not settings.allowed_origins:
        return [access_log, body_limit]
    return [
        access_log,
        Middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        ),
        body_limit,
    ]


def app_from_environment() -> Starlette:
    """The uvicorn factory: settings from the environment (`parley serve` validated them)."""
    return create_app(load_settings(), complete_on_stop_signals=True)
