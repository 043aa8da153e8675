"""What an app needs at run time (the key its tokens are hashed with, the broadcast its
wake-ups go to) is the app's own, carried in its state: nothing one app sets up changes
another app in the same process, and code outside any app neither hashes nor publishes."""

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.core import auth
from api.settings import Settings, load_settings
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes

VIEWER = "query { viewer { role } }"


async def test_a_second_app_in_the_process_does_not_change_the_first_apps_secret(
    client: GraphQLClient, settings: Settings, tenant: Tenant
) -> None:
    # given the app serving the tenant, whose keys are hashed with its secret
    key = tenant.keys[Role.VIEWER]
    # when another app is made in the same process with another secret
    other: Starlette = create_app(
        load_settings(
            database_url=settings.database_url,
            broadcast_url="memory://",
            secret_key="another-secret-0123456789",
        )
    )
    # then the first app still accepts the tenant's key, and the other app does not
    assert await client.as_(key).data(VIEWER) == {"viewer": {"role": "VIEWER"}}
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http:
        refused = await GraphQLClient(http, key).execute(VIEWER)
    assert error_codes(refused) == ["UNAUTHENTICATED"]


def test_hashing_a_token_outside_any_app_or_command_is_refused() -> None:
    # given no app or command around (a script that forgot to bind a keyring)
    # when a token is hashed, then it is refused rather than hashed with some default key
    with pytest.raises(RuntimeError, match="no keyring"):
        auth.token_hash("prly_0000_token")
