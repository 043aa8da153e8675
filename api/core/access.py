"""The request id and the access log: an ASGI middleware around everything the app serves.

It decides the request id once (the client's `X-Request-Id` if well formed, else a new
one; every HTTP response echoes it) and keeps it current for the whole request or
WebSocket, so every log line written while serving it carries it (api/core/logs.py), then
writes the access line: for HTTP, one line when the response is done (method, path,
status, duration, GraphQL operation name); for a WebSocket, one when it opens and one when
it closes (with the close code). It also counts every HTTP response by route and status
(`parley_http_responses_total`).
"""

import logging
import re
import time
import uuid
from typing import Any, Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import metrics
from api.core.logs import RequestInfo, serving_request

access_logger = logging.getLogger("parley.access")

# a client's X-Request-Id is kept only if it is this (it is echoed and logged)
WELL_FORMED_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
SCOPE_KEY: Final = "parley.request"
ROUTES: Final = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


def route_of(path: str) -> str:
    """The route label of a path: Parley's routes are few; anything else is one value."""
    if path in ROUTES:
        return path
    return "/static" if path.startswith("/static/") else "other"


def request_id_from(header: str | None) -> str:
    """The client's request id if well formed, otherwise a new one."""
    if header is not None and WELL_FORMED_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def request_of(scope: Scope) -> RequestInfo:
    """The request AccessLog decided for this scope (a new id if it did not run)."""
    info = scope.get(SCOPE_KEY)
    if isinstance(info, RequestInfo):
        return info
    return _new_request(scope)


def _new_request(scope: Scope) -> RequestInfo:
    return RequestInfo(request_id_from(_header(scope, b"x-request-id")))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        info = _new_request(scope)
        scope[SCOPE_KEY] = info
        with serving_request(info):
            if scope["type"] == "http":
                await self._http(scope, receive, send, info)
            else:
                await self._websocket(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send, info: RequestInfo) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:  # every response names its log lines
                    headers.append("x-request-id", info.request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            metrics.HTTP_RESPONSES.labels(route_of(scope["path"]), str(status)).inc()
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "operation_name": info.operation_name,
            }
            access_logger.info(
                "%s %s %s %.1f ms%s",
                fields["method"],
                fields["path"],
                status,
                fields["duration_ms"],
                f" ({info.operation_name})" if info.operation_name else "",
                extra=fields,
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        closed: dict[str, Any] = {"code": None, "by": None}

        async def send_noting_close(message: Message) -> None:
            if message["type"] == "websocket.accept":
                _log_socket("opened", scope)
            elif message["type"] == "websocket.close" and closed["code"] is None:
                closed.update(code=message.get("code", 1000), by="server")
            await send(message)

        async def receive_noting_close() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect" and closed["code"] is None:
                closed.update(code=message.get("code", 1005), by="client")
            return message

        try:
            await self.app(scope, receive_noting_close, send_noting_close)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            _log_socket(
                "closed",
                scope,
                close_code=closed["code"],
                closed_by=closed["by"],
                duration_ms=duration_ms,
            )


def _log_socket(event: str, scope: Scope, **fields: Any) -> None:
    code = fields.get("close_code")
    access_logger.info(
        "WebSocket %s %s%s",
        scope["path"],
        event,
        f" {code} by {fields.get('closed_by')}" if code is not None else "",
        extra={"method": "WEBSOCKET", "path": scope["path"], "websocket": event, **fields},
    )
