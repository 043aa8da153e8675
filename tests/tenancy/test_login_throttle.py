"""Password guessing is throttled: failed sign-ins per account and per client address,
refused before any password check, in memory and shared by instances through Redis."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

import models
from api.app import create_app
from api.core import auth
from api.settings import Settings, tortoise_config
from api.tenancy import service as tenancy
from models.enums import Role
from tests.conftest import PASSWORD, Tenant, password_hash
from tests.core.redis_server import RedisServer, free_port, require_redis_server
from tests.graphql import GraphQLClient
from tests.lifespan import lifespan
from tests.servers import parley_server

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token }
    ... on RateLimitedError { retryAfterSeconds }
    ... on Error { code field }
  }
}
"""
WRONG = "not the password"


def attempt(email: str, password: str) -> dict[str, Any]:
    return {"query": LOGIN, "variables": {"input": {"email": email, "password": password}}}


async def login(client: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(LOGIN, attempt(email, password)["variables"]))[
        "login"
    ]
    return result


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every argon2 verification, counted (and still run for real)."""
    checks: list[str] = []
    real_verify = auth.verify_password

    def counting_verify(hash_: str, password: str) -> bool:
        checks.append(password)
        return real_verify(hash_, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    yield checks


async def test_after_ten_failures_even_the_right_password_is_refused_without_a_check(
    client: GraphQLClient, tenant: Tenant, password_checks: list[str]
) -> None:
    # given ten wrong passwords for one account (the default limit)
    email = tenant.users[Role.AGENT].email
    for _ in range(10):
        assert (await login(client, email, WRONG))["__typename"] == "InvalidCredentialsError"

    # when the right password comes next
    response = await client.http.post("/graphql", json=attempt(email, PASSWORD))

    # then it is refused as RATE_LIMITED with when to retry (also as an HTTP header),
    # no session is made, and the refusal ran no argon2 check
    result = response.json()["data"]["login"]
    assert result["__typename"] == "RateLimitedError"
    assert result["code"] == "RATE_LIMITED"
    assert 0 < result["retryAfterSeconds"] <= 15 * 60
    assert response.headers["retry-after"] == str(result["retryAfterSeconds"])
    assert await models.UserSession.all().count() == 0
    assert password_checks == [WRONG] * 10


async def test_forty_parallel_guesses_get_exactly_ten_password_checks(
    client: GraphQLClient, tenant: Tenant, password_checks: list[str]
) -> None:
    # given one account
    email = tenant.users[Role.AGENT].email

    # when forty wrong passwords arrive at once
    results = await asyncio.gather(*(login(client, email, WRONG) for _ in range(40)))

    # then ten are checked and fail, thirty are refused without a check
    kinds = [result["__typename"] for result in results]
    assert kinds.count("InvalidCredentialsError") == 10
    assert kinds.count("RateLimitedError") == 30
    assert len(password_checks) == 10


async def test_a_successful_login_forgives_the_accounts_earlier_failures(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a user who mistyped nine times, then signed in
    email = tenant.users[Role.AGENT].email
    for _ in range(9):
        await login(client, email, WRONG)
    assert (await login(client, email, PASSWORD))["__typename"] == "LoginPayload"

    # when they mistype nine more times
    later = [await login(client, email, WRONG) for _ in range(9)]

    # then those are ordinary failures, and the right password still works
    assert {result["__typename"] for result in later} == {"InvalidCredentialsError"}
    assert (await login(client, email, PASSWORD))["__typename"] == "LoginPayload"


async def test_the_limit_of_one_account_leaves_other_accounts_alone(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an account locked by ten failures
    for _ in range(10):
        await login(client, tenant.users[Role.AGENT].email, WRONG)

    # when another user signs in from the same address
    result = await login(client, tenant.users[Role.ADMIN].email, PASSWORD)

    # then they get their session
    assert result["__typename"] == "LoginPayload"


async def test_an_unknown_email_is_limited_like_a_known_one(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given ten failures each for an unknown and a known e-mail
    known, unknown = tenant.users[Role.AGENT].email, "nobody@acme.test"
    for _ in range(10):
        await login(client, known, WRONG)
        await login(client, unknown, WRONG)

    # when both try again
    results = [await login(client, email, WRONG) for email in (known, unknown)]

    # then both are limited alike: the limit tells nothing about which e-mails exist
    assert [result["__typename"] for result in results] == ["RateLimitedError"] * 2


@pytest.fixture
async def strict_app(settings: Settings) -> AsyncIterator[Any]:
    """The app allowing three sign-in attempts per client address."""
    app = create_app(settings.model_copy(update={"login_attempts_per_address": 3}))
    async with lifespan(app):
        yield app


def client_at(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 4321))
    return httpx.AsyncClient(transport=transport, base_url="http://parley.test")


async def test_one_address_guessing_across_accounts_is_limited(
    strict_app: Any, password_checks: list[str]
) -> None:
    # given four users, and one address that tried one wrong password for each
    emails = [f"user{n}@spray.test" for n in range(4)]
    for email in emails:
        await models.User.create(email=email, name=email, password_hash=password_hash())
    async with client_at(strict_app, "203.0.113.7") as sprayer:
        for email in emails[:3]:
            body = (await sprayer.post("/graphql", json=attempt(email, WRONG))).json()
            assert body["data"]["login"]["__typename"] == "InvalidCredentialsError"

        # when it tries a fourth account
        body = (await sprayer.post("/graphql", json=attempt(emails[3], WRONG))).json()

    # then it is limited without a password check, while another address is not
    assert body["data"]["login"]["__typename"] == "RateLimitedError"
    assert len(password_checks) == 3
    async with client_at(strict_app, "198.51.100.9") as other:
        body = (await other.post("/graphql", json=attempt(emails[3], WRONG))).json()
    assert body["data"]["login"]["__typename"] == "InvalidCredentialsError"


async def seed_user(database_url: str, email: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        workspace = await tenancy.create_workspace(name="Acme")
        user = await models.User.create(email=email, name="Ann", password_hash=password_hash())
        await tenancy.add_member(workspace_id=workspace.id, user_id=user.id, role=Role.AGENT)
    finally:
        await Tortoise.close_connections()


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    """A redis-server of this test's own (the machine's Redis keeps no counts of ours)."""
    server = await RedisServer(require_redis_server(), free_port()).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_instances_sharing_redis_share_the_limit(
    postgres_url: str, redis_server: RedisServer
) -> None:
    # given two server processes on one database and one Redis, and a user
    email = "ann@acme.test"
    await seed_user(postgres_url, email)
    async with (
        parley_server(postgres_url, redis_server.url) as a,
        parley_server(postgres_url, redis_server.url) as b,
        httpx.AsyncClient(timeout=60) as http,
    ):
        # when five wrong passwords go to each instance, five of them in parallel
        first = [await http.post(f"{a}/graphql", json=attempt(email, WRONG)) for _ in range(5)]
        second = await asyncio.gather(
            *(http.post(f"{b}/graphql", json=attempt(email, WRONG)) for _ in range(5))
        )
        # and then the right password goes to the first instance
        right = await http.post(f"{a}/graphql", json=attempt(email, PASSWORD))

    # then the ten failures counted together: the right password is refused
    failures = [r.json()["data"]["login"]["__typename"] for r in [*first, *second]]
    assert failures == ["InvalidCredentialsError"] * 10
    assert right.json()["data"]["login"]["__typename"] == "RateLimitedError"
    assert int(right.headers["retry-after"]) > 0


@pytest.mark.redis
async def test_while_redis_is_down_sign_in_works_and_guessing_stays_limited(
    settings: Settings,
    redis_server: RedisServer,
) -> None:
    # given the app counting in its own Redis, and a user
    app = create_app(settings.model_copy(update={"broadcast_url": redis_server.url}))
    async with lifespan(app):
        user = await models.User.create(
            email="ann@acme.test", name="Ann", password_hash=password_hash()
        )
        workspace = await tenancy.create_workspace(name="Acme")
        await tenancy.add_member(workspace_id=workspace.id, user_id=user.id, role=Role.AGENT)
        async with client_at(app, "127.0.0.1") as http:
            # when Redis dies
            await redis_server.stop()
            # then the right password still signs in (no masked error)
            body = (await http.post("/graphql", json=attempt(user.email, PASSWORD))).json()
            assert body["data"]["login"]["__typename"] == "LoginPayload"
            # and ten failures still lock the account, counted in memory
            for _ in range(10):
                body = (await http.post("/graphql", json=attempt(user.email, WRONG))).json()
                assert body["data"]["login"]["__typename"] == "InvalidCredentialsError"
            body = (await http.post("/graphql", json=attempt(user.email, PASSWORD))).json()
            assert body["data"]["login"]["__typename"] == "RateLimitedError"
        await redis_server.start()  # the broadcast disconnects from a live server
