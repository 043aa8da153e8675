"""What a stranger can send over HTTP before any GraphQL runs: bodies that are not a JSON
object, too large or too deep, subscriptions over POST, hostile request ids. Each gets a
4xx with a GraphQL error body (`errors[0].extensions.code`), never a 500."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from models.enums import Role
from tests.conftest import Tenant
from tests.lifespan import lifespan
from tests.servers import parley_server
from tests.ws import TRANSPORT_WS, WAIT, asgi_socket

VIEWER = "query { viewer { role } }"
MESSAGE_ADDED = 'subscription { messageAdded(conversationId: "Q29udmVyc2F0aW9uOng=") { seq } }'


async def post_raw(
    http: httpx.AsyncClient, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post(
        "/graphql",
        content=content,
        headers={"content-type": "application/json", **(headers or {})},
    )


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


def assert_graphql_error(response: httpx.Response, status: int, code: str) -> str:
    """The response is `status` with one GraphQL error of `code`; returns its message."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body.keys() == {"errors"}
    [error] = body["errors"]
    assert error["extensions"] == {"code": code}
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"null", "JSON object"),
        (b"42", "JSON object"),
        (b'"query"', "JSON object"),
        (b'{"query": "{ __typename }"}\xff', "UTF-8"),
        (b'{"query": "\xc3\x28"}', "UTF-8"),
        (b"{not json", "JSON"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    http: httpx.AsyncClient, body: bytes, says: str
) -> None:
    # when the body is not one JSON object in UTF-8
    response = await post_raw(http, body)
    # then the client is told so, as a GraphQL error
    assert says in assert_graphql_error(response, 400, "BAD_REQUEST")


async def test_variables_nested_100000_levels_deep_are_a_bad_request(
    http: httpx.AsyncClient,
) -> None:
    # given variables nested 100,000 levels deep (600 KB, under the body cap)
    depth = 100_000
    body = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * depth + b"]" * depth + b"}}"
    # when they are posted
    response = await post_raw(http, body)
    # then the body is refused for its nesting, not a 500
    assert "deep" in assert_graphql_error(response, 400, "BAD_REQUEST")


async def test_a_subscription_over_http_post_is_told_to_use_websocket(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    # when a subscription is posted over HTTP, even asking for a streamed response
    for accept in ("application/json", 'multipart/mixed;subscriptionSpec="1.0"'):
        response = await http.post(
            "/graphql",
            json={"query": MESSAGE_ADDED},
            headers={"authorization": f"Bearer {tenant.keys[Role.AGENT]}", "accept": accept},
        )
        # then it is refused and pointed at the WebSocket endpoint
        assert "WebSocket" in assert_graphql_error(response, 400, "BAD_REQUEST")
    # and over GET likewise
    response = await http.get(
        "/graphql",
        params={"query": MESSAGE_ADDED},
        headers={"authorization": f"Bearer {tenant.keys[Role.AGENT]}"},
    )
    assert "HTTP GET" in assert_graphql_error(response, 400, "BAD_REQUEST")


async def test_other_http_refusals_have_a_graphql_error_body(http: httpx.AsyncClient) -> None:
    # when the body is of a type GraphQL over HTTP does not speak
    response = await http.post("/graphql", content=b"{}", headers={"content-type": "text/plain"})
    # then the refusal is a GraphQL error too
    assert "content type" in assert_graphql_error(response, 400, "BAD_REQUEST")
    # and a body without a query likewise
    response = await post_raw(http, b"{}")
    assert "query" in assert_graphql_error(response, 400, "BAD_REQUEST")
    # and GET's variables that are not a JSON object
    response = await http.get("/graphql", params={"query": VIEWER, "variables": "[[[" * 5000})
    assert "JSON" in assert_graphql_error(response, 400, "BAD_REQUEST")


@pytest.fixture
async def small_body_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a 1 KiB body cap."""
    application = create_app(settings.model_copy(update={"max_body_bytes": 1024}))
    async with lifespan(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as c:
            yield c


def padded_body(size: int) -> bytes:
    """A valid GraphQL request body of exactly `size` bytes."""
    head = b'{"query": "{ __typename }", "variables": {"pad": "'
    tail = b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def test_a_body_at_the_cap_is_served(small_body_app: httpx.AsyncClient) -> None:
    response = await post_raw(small_body_app, padded_body(1024))
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_body_over_the_cap_is_413_with_a_graphql_error(
    small_body_app: httpx.AsyncClient,
) -> None:
    # when a body one byte over the cap is sent with its Content-Length
    response = await post_raw(small_body_app, padded_body(1025))
    # then it is refused as too large, naming the cap
    assert "1024" in assert_graphql_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_streamed_body_is_cut_off_at_the_cap(small_body_app: httpx.AsyncClient) -> None:
    # given a client that streams its body without a Content-Length, in chunks; the server
    # must stop reading once it has seen more than the cap
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):  # 1 MB in all if it were read to the end
            sent.append(1000)
            yield b" " * 1000

    # when it is sent
    response = await small_body_app.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    # then it is refused as too large, and the server did not read on to the end
    assert_graphql_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert sum(sent) < 10_000


async def test_an_announced_oversized_body_is_refused_before_it_is_read(
    small_body_app: httpx.AsyncClient,
) -> None:
    # given a request announcing 200 MB but sending a few bytes
    response = await post_raw(small_body_app, b"{}", headers={"content-length": "200000000"})
    # then it is refused from the header alone
    assert_graphql_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    "request_id", ["req-42", "a" * 64, "Trace_1.2-3", "0af7651916cd43dd8448eb211c80319c"]
)
async def test_a_well_formed_request_id_is_kept(http: httpx.AsyncClient, request_id: str) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": request_id}
    )
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize(
    "request_id", ["a" * 65, "x" * 100_000, "has space", "semi;colon", "ü-umlaut", "<script>", ""]
)
async def test_a_malformed_request_id_is_replaced_by_a_new_one(
    http: httpx.AsyncClient, request_id: str
) -> None:
    # when a client sends a request id that is too long or has other characters
    response = await http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"x-request-id": request_id.encode()},
    )
    # then the response carries a fresh id of our own instead
    echoed = response.headers["x-request-id"]
    assert echoed != request_id and len(echoed) == 32 and echoed.isalnum()


async def test_batched_requests_stay_refused_with_a_graphql_error(
    http: httpx.AsyncClient,
) -> None:
    response = await post_raw(http, json.dumps([{"query": VIEWER}]).encode())
    assert "batch" in assert_graphql_error(response, 400, "BAD_REQUEST").lower()


async def websocket_close_code(base_url: str, message: str) -> int:
    """Open a graphql-transport-ws socket to a real server, send `message`, and return the
    code the server closes with."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[TRANSPORT_WS]) as socket:  # type: ignore[list-item]
        await socket.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT):
                while True:
                    await socket.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def connection_init(padding: int) -> str:
    return json.dumps({"type": "connection_init", "payload": {"pad": "x" * padding}})


async def test_a_websocket_message_over_the_cap_closes_the_socket(database_url: str) -> None:
    # given `parley serve` with a 4 KiB cap
    async with parley_server(database_url, "memory://", {"PARLEY_MAX_BODY_BYTES": "4096"}) as url:
        # when a connection_init under the cap arrives without credentials, then the app
        # reads it and refuses the credentials (4403)
        assert await websocket_close_code(url, connection_init(3000)) == 4403
        # when one over the cap arrives, then the server closes: message too big (1009)
        assert await websocket_close_code(url, connection_init(5000)) == 1009


async def test_a_websocket_message_nested_100000_levels_deep_closes_the_socket_as_invalid(
    app: Starlette,
) -> None:
    # given an open WebSocket
    async with asgi_socket(app) as socket:
        # when a message nested 100,000 levels deep arrives
        await socket.socket.send_text("[" * 100_000 + "]" * 100_000)
        # then the socket is closed as for any message that is not JSON
        with pytest.raises(WebSocketDisconnect) as closed:
            await socket.receive()
        assert closed.value.code == 4400
