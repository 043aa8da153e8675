"""The HTTP layer's own refusals, before any GraphQL runs.

- `BodySizeLimit`: an ASGI middleware capping request bodies. A Content-Length above the
  cap is refused from the header; otherwise the body is read chunk by chunk and refused as
  soon as it passes the cap, so nothing past the cap is ever held in memory.
- `decode_request_json`: a GraphQL request body is one JSON object (or a batch list) in
  UTF-8; anything else, or JSON nested past what the decoder can walk, is a 400
  (`decode_json`, also used for WebSocket messages, turns that nesting into invalid JSON).
- `graphql_error_response`: every such refusal, and strawberry's own HTTP refusals, answer
  with a GraphQL error body (`{"errors": [{"message", "extensions": {"code"}}]}`), as the
  GraphQL over HTTP spec expects, in the media type the client accepts
  (`api.core.http_responses`).
"""

import json
from http import HTTPStatus

from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.http_responses import CONTENT_TYPES, JSON, response_media_type

# error codes by status; others use the status' name (e.g. NOT_FOUND)
_CODES = {413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}


def graphql_error_response(status: int, message: str, media_type: str = JSON) -> JSONResponse:
    """A refusal before execution, as a GraphQL error body with `extensions.code`, in the
    media type negotiated for the request (api/core/http_responses.py)."""
    code = _CODES.get(status) or HTTPStatus(status).name
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        media_type=CONTENT_TYPES[media_type],
    )


class PayloadTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse HTTP request bodies over `max_bytes` with 413 (WebSockets are capped by the
    server's `ws_max_size`, see `parley serve`)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if self._announced_size(scope) > self.max_bytes:
                raise PayloadTooLarge
            body = await self._read_capped(receive)
        except PayloadTooLarge:
            message = f"The request body is larger than {self.max_bytes} bytes."
            media_type = response_media_type(Headers(scope=scope).get("accept"))
            await graphql_error_response(413, message, media_type)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _announced_size(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    async def _read_capped(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then the real channel (so
    the app still learns of a disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def decode_json(text: str | bytes) -> object:
    """`json.loads`, with JSON nested deeper than the decoder can walk reported as invalid
    JSON (strawberry answers that on a WebSocket by closing it with 4400)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", str(text[:20]), 0) from None


def decode_request_json(data: str | bytes) -> object:
    """A GraphQL request body: JSON in UTF-8, an object (or a list, which strawberry
    refuses as a batch). Raises HTTPException 400 saying what is wrong."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise HTTPException(400, "The request body is not valid UTF-8.") from None
    try:
        parsed = decode_json(text)
    except json.JSONDecodeError as error:
        raise HTTPException(400, f"The request body is not valid JSON: {error}.") from None
    if not isinstance(parsed, dict | list):
        raise HTTPException(
            400, 'The request body must be a JSON object: {"query": "…", "variables": {…}}.'
        )
    return parsed
