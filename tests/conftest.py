"""Fixtures: a freshly migrated database per test (SQLite, and PostgreSQL when available),
the app with its lifespan over ASGI, and tenants with credentials of every role."""

import asyncio
import functools
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

import models
from api.app import create_app, serving
from api.core.auth import Viewer, hash_password
from api.db import create_postgres_database, drop_postgres_database
from api.settings import Settings, load_settings
from api.tenancy import service as tenancy
from models.enums import Role
from tests.graphql import GraphQLClient
from tests.lifespan import lifespan
from tests.servers import parley_server
from tests.services import require_postgres

RUN_ID = uuid.uuid4().hex[:8]
REPO = Path(__file__).resolve().parent.parent


def parley_migrate(database_url: str) -> None:
    """Migrate with the real `parley migrate`, in its own process."""
    subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        check=True,
        cwd=REPO,
        env={**os.environ, "PARLEY_DATABASE_URL": database_url},
        capture_output=True,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "parley.sqlite3"
    parley_migrate(f"sqlite://{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, str]]:
    admin_url = require_postgres()
    name = f"parley_test_{RUN_ID}_template"
    url = asyncio.run(create_postgres_database(admin_url, name))
    parley_migrate(url)
    yield admin_url, name
    asyncio.run(drop_postgres_database(admin_url, name))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test (copied from a migrated template)."""
    # Tortoise caches insert/delete SQL per table name, not per dialect: a test on another
    # dialect than the last one must not reuse it.
    EXECUTOR_CACHE.clear()
    if request.param == "sqlite":
        path = tmp_path / "parley.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite://{path}"
        return
    yield from _fresh_postgres_database(request)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, for tests that need several processes."""
    EXECUTOR_CACHE.clear()
    yield from _fresh_postgres_database(request)


def _fresh_postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    admin_url, template = request.getfixturevalue("postgres_template")
    name = f"parley_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(_create_from_template(admin_url, name, template))
    yield url
    asyncio.run(drop_postgres_database(admin_url, name))


async def _create_from_template(admin_url: str, name: str, template: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        broadcast_url="memory://",
        secret_key="test-secret-key-0123456789",
        credential_check_interval_s=0.2,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with lifespan(application):
        # the test seeds through services as the app's requests would: same keyring and sink
        with serving(application.state):
            yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http:
        yield GraphQLClient(http)


@dataclass
class Tenant:
    """A workspace with a user of every role (password PASSWORD) and an API key each."""

    workspace: models.Workspace
    users: dict[Role, models.User]
    keys: dict[Role, str]

    @property
    def id(self) -> uuid.UUID:
        return self.workspace.id

    def viewer(self, role: Role = Role.AGENT) -> Viewer:
        return Viewer(workspace_id=self.workspace.id, role=role, user_id=self.users[role].id)


PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    """argon2 is slow on purpose (~0.2 s a hash here): hash the shared test password once."""
    return hash_password(PASSWORD)


async def make_tenant(name: str) -> Tenant:
    workspace = await tenancy.create_workspace(name=name)
    users: dict[Role, models.User] = {}
    keys: dict[Role, str] = {}
    slug = name.lower().replace(" ", "-")
    for role in Role:
        user = await models.User.create(
            email=f"{role.value.lower()}@{slug}.test",
            name=f"{role.value.title()} of {name}",
            password_hash=password_hash(),
        )
        await tenancy.add_member(workspace_id=workspace.id, user_id=user.id, role=role)
        users[role] = user
        keys[role] = (
            await tenancy.create_api_key(
                workspace_id=workspace.id, actor=None, name=f"{role.value} key", role=role
            )
        ).secret
    return Tenant(workspace, users, keys)


@pytest.fixture
async def tenant(app: Starlette) -> Tenant:
    return await make_tenant("Acme")


@pytest.fixture
async def other_tenant(app: Starlette) -> Tenant:
    return await make_tenant("Globex")


@pytest.fixture
def agent(client: GraphQLClient, tenant: Tenant) -> GraphQLClient:
    """A client signed in with the tenant's AGENT API key."""
    return client.as_(tenant.keys[Role.AGENT])


# Tests of clients outside this process (Node.js scripts, Chromium) on SQLite only: what they
# check is the wire, which the database does not change.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass(frozen=True)
class LiveServer:
    """A real `parley serve` process on the test's database, with the test's tenant."""

    url: str
    tenant: Tenant

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http://", "ws://", 1)


@pytest.fixture
async def live_server(database_url: str, tenant: Tenant) -> AsyncIterator[LiveServer]:
    """`parley serve` on a free port, sharing the database the test seeds through services."""
    async with parley_server(database_url, "memory://") as url:
        yield LiveServer(url, tenant)
