"""WebSocket admission: allowed origins and the connection_init deadline."""

from collections.abc import AsyncIterator

import pytest
from httpx_ws import WebSocketDisconnect
from starlette.applications import Starlette

from api.app import create_app, serving
from api.settings import load_settings
from models.enums import Role
from tests.conftest import make_tenant
from tests.lifespan import lifespan
from tests.ws import asgi_socket


async def running_app(database_url: str, **settings: object) -> AsyncIterator[Starlette]:
    app = create_app(
        load_settings(
            database_url=database_url, secret_key="test-secret-key-0123456789", **settings
        )
    )
    async with lifespan(app):
        with serving(app.state):  # tenants are made in-process, as the app would
            yield app


@pytest.fixture
async def strict_app(database_url: str) -> AsyncIterator[Starlette]:
    """The app with one allowed browser origin (and the default connection_init deadline,
    which a loaded machine's client meets)."""
    async for app in running_app(database_url, allowed_origins="https://inbox.example.com"):
        yield app


@pytest.fixture
async def impatient_app(database_url: str) -> AsyncIterator[Starlette]:
    """The app with a short connection_init deadline (for a client that never sends it)."""
    async for app in running_app(database_url, ws_connection_init_timeout_s=0.3):
        yield app


async def test_a_browser_socket_from_another_origin_is_refused(strict_app: Starlette) -> None:
    tenant = await make_tenant("Acme")
    # when a page from an origin that is not configured opens a socket
    with pytest.raises(BaseExceptionGroup) as refused:
        async with asgi_socket(strict_app, headers={"origin": "https://evil.example.net"}):
            pass
    # then the handshake is refused (policy violation), before any credentials are read
    disconnects = refused.value.subgroup(WebSocketDisconnect)
    assert disconnects is not None
    assert [error.code for error in disconnects.exceptions] == [1008]  # type: ignore[union-attr]
    # and pages from the configured origin, and the same origin, are accepted
    for origin in ("https://inbox.example.com", "http://parley.test"):
        async with asgi_socket(strict_app, headers={"origin": origin}) as ws:
            assert (await ws.init(tenant.keys[Role.VIEWER]))["type"] == "connection_ack"


async def test_a_socket_that_never_says_connection_init_is_closed(
    impatient_app: Starlette,
) -> None:
    # when a client connects and stays silent past the deadline
    async with asgi_socket(impatient_app) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    # then the server closes it (4408: connection initialisation timeout)
    assert closed.value.code == 4408
