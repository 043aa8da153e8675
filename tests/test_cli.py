"""The `parley` command, run for real in its own process against a SQLite file; what it
did is checked through the app (create_app over ASGI with its lifespan)."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse
from uuid import UUID, uuid4

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

import models
from api import demo
from api.core.ids import encode_id
from api.schema import schema
from api.settings import load_settings
from api.tenancy import service as tenancy
from models.enums import Role
from tests.core.redis_server import free_port
from tests.graphql import GraphQLClient, error_codes
from tests.lifespan import lifespan
from tests.services import require_postgres

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "cli-test-secret-key-0123456789"

VIEWER = """
query Viewer {
  viewer { role user { email } workspace { id name } }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token }
    ... on Error { code field }
  }
}
"""


def parley(
    database_url: str, *args: str, secret_key: str | None = SECRET_KEY
) -> subprocess.CompletedProcess[str]:
    """Run `parley ARGS` (as `python -m api`) with only our PARLEY_* variables (no
    PARLEY_SECRET_KEY when `secret_key` is None: the development key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(PARLEY_DATABASE_URL=database_url)
    if secret_key is not None:
        env.update(PARLEY_SECRET_KEY=secret_key)
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def succeeded(process: subprocess.CompletedProcess[str]) -> str:
    assert process.returncode == 0, process.stderr
    return process.stdout


@asynccontextmanager
async def running_app(database_url: str) -> AsyncIterator[GraphQLClient]:
    """The real app on that database, with the CLI's secret key; Tortoise is open inside."""
    from api.app import create_app, serving

    EXECUTOR_CACHE.clear()  # insert SQL cached by a PostgreSQL test must not be reused here
    settings = load_settings(
        database_url=database_url, broadcast_url="memory://", secret_key=SECRET_KEY
    )
    app = create_app(settings)
    async with lifespan(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as http:
            with serving(app.state):  # the test calls services in-process, as the app would
                yield GraphQLClient(http)


@pytest.fixture(autouse=True)
def no_parley_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PARLEY_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-template") / "parley.sqlite3"
    succeeded(parley(f"sqlite://{path}", "migrate"))
    return path


@pytest.fixture
def database_url(migrated_template: Path, tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite file of this test's own."""
    path = tmp_path / "parley.sqlite3"
    shutil.copy(migrated_template, path)
    yield f"sqlite://{path}"


async def test_migrate_then_workspace_create_gives_a_working_owner_key(tmp_path: Path) -> None:
    # given an empty database file, migrated
    database_url = f"sqlite://{tmp_path / 'fresh.sqlite3'}"
    migrated = succeeded(parley(database_url, "migrate"))
    assert re.fullmatch(r"Applied [1-9]\d* migration\(s\)\.\n", migrated)
    assert succeeded(parley(database_url, "migrate")) == "Up to date.\n"

    # when a workspace is created
    created = json.loads(
        succeeded(parley(database_url, "workspace", "create", "--name", "Acme", "--json"))
    )

    # then it printed the workspace's id and an OWNER key that works against the app
    assert set(created) == {"workspaceId", "workspaceUuid", "apiKey"}
    workspace_id = UUID(created["workspaceUuid"])
    assert created["workspaceId"] == encode_id("Workspace", workspace_id)
    async with running_app(database_url) as client:
        viewer = await client.as_(created["apiKey"]).data(VIEWER)
        workspace = await models.Workspace.get(id=workspace_id)
    assert viewer["viewer"]["role"] == "OWNER"
    assert viewer["viewer"]["user"] is None
    assert viewer["viewer"]["workspace"]["name"] == "Acme"
    assert viewer["viewer"]["workspace"]["id"] == created["workspaceId"]
    assert workspace.name == "Acme"


async def test_apikey_create_and_revoke(database_url: str) -> None:
    # given a workspace
    async with running_app(database_url):
        workspace = await tenancy.create_workspace(name="Acme")

    # when a VIEWER key is created for it
    created = succeeded(
        parley(
            database_url,
            *("apikey", "create", "--workspace", str(workspace.id)),
            *("--name", "dashboard", "--role", "VIEWER"),
        )
    )

    # then the key is printed (alone) and works as a VIEWER of that workspace
    secret = created.strip()
    assert re.fullmatch(r"prly_[0-9a-f]{8}_\S+", secret)
    async with running_app(database_url) as client:
        viewer = await client.as_(secret).data(VIEWER)
        row = await models.ApiKey.get(workspace_id=workspace.id, name="dashboard")
    assert viewer["viewer"]["role"] == "VIEWER"
    assert secret.startswith(row.prefix + "_")

    # when it is revoked by its prefix
    revoked = succeeded(parley(database_url, "apikey", "revoke", row.prefix))

    # then it stops working
    assert revoked == f"Revoked {row.prefix}\n"
    async with running_app(database_url) as client:
        body = await client.as_(secret).execute(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]

    # and revoking it again fails with one line
    again = parley(database_url, "apikey", "revoke", row.prefix)
    assert again.returncode == 1
    assert again.stderr == "parley: That API key is revoked already.\n"


async def test_apikey_create_for_an_unknown_workspace_fails(database_url: str) -> None:
    # given no workspace at all
    unknown = "00000000-0000-4000-8000-000000000000"

    # when a key is created for an unknown workspace
    process = parley(database_url, "apikey", "create", "--workspace", unknown, "--name", "n")

    # then the command fails with one line and nothing is written
    assert process.returncode == 1
    global_id = encode_id("Workspace", UUID(unknown))
    assert process.stderr == f"parley: --workspace: no workspace {global_id} (UUID {unknown})\n"
    async with running_app(database_url):
        assert await models.ApiKey.all().count() == 0


async def test_user_create_adds_a_member_who_can_log_in(database_url: str) -> None:
    # given a workspace
    async with running_app(database_url):
        workspace = await tenancy.create_workspace(name="Acme")

    # when a user is created in it as an AGENT
    created = succeeded(
        parley(
            database_url,
            *("user", "create", "--email", "Nadia@Acme.test", "--name", "Nadia"),
            *("--password", "initial password 1"),
            *("--workspace", str(workspace.id), "--role", "AGENT"),
        )
    )

    # then the user exists, and logs in as an AGENT of that workspace
    shown = re.fullmatch(r"User (\S+) \(UUID (\S+)\)\n", created)
    assert shown, created
    user_id = UUID(shown[2])
    assert shown[1] == encode_id("User", user_id)
    async with running_app(database_url) as client:
        user = await models.User.get(id=user_id)
        login = await client.data(
            LOGIN, {"input": {"email": "nadia@acme.test", "password": "initial password 1"}}
        )
        viewer = await client.as_(login["login"]["token"]).data(VIEWER)
    assert user.email == "nadia@acme.test"
    assert user.password_hash.startswith("$argon2id$")
    assert viewer["viewer"]["role"] == "AGENT"
    assert viewer["viewer"]["user"] == {"email": "nadia@acme.test"}
    assert viewer["viewer"]["workspace"]["id"] == encode_id("Workspace", workspace.id)


async def test_id_options_take_the_global_id_the_api_returns(database_url: str) -> None:
    # given a workspace, and its id as the API hands it out
    async with running_app(database_url):
        workspace = await tenancy.create_workspace(name="Acme")
    global_id = encode_id("Workspace", workspace.id)

    # when keys are created and a budget is set with the global ID (and with the UUID)
    by_global_id = succeeded(
        parley(database_url, "apikey", "create", "--workspace", global_id, "--name", "a")
    )
    by_uuid = succeeded(
        parley(database_url, "apikey", "create", "--workspace", str(workspace.id), "--name", "b")
    )
    budget = succeeded(
        parley(database_url, "budget", "set", "--workspace", global_id, "--amount", "250")
    )

    # then both keys belong to that workspace, and the budget is set on it
    async with running_app(database_url) as client:
        for secret in (by_global_id.strip(), by_uuid.strip()):
            viewer = await client.as_(secret).data(VIEWER)
            assert viewer["viewer"]["workspace"]["id"] == global_id
        budget_row = await models.AiBudget.get(workspace_id=workspace.id)
    assert budget.startswith("Budget 250")
    assert budget_row.limit_pico == 250 * 10**12


@pytest.mark.parametrize(
    "bad",
    [
        "not-an-id",
        encode_id("User", UUID("00000000-0000-4000-8000-000000000000")),  # another type's ID
        "V29ya3NwYWNlOm5vdC1hLXV1aWQ=",  # base64 of "Workspace:not-a-uuid"
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ("apikey", "create", "--name", "n"),
        ("budget", "set", "--amount", "1"),
        ("pricing", "reprice"),
        ("user", "create", "--email", "x@acme.test", "--name", "X", "--password", "pw pw pw 1"),
    ],
)
def test_a_wrong_workspace_id_is_one_line_naming_the_option(
    database_url: str, command: tuple[str, ...], bad: str
) -> None:
    # when a command gets a --workspace that is neither a Workspace ID nor a UUID
    process = parley(database_url, *command, "--workspace", bad)

    # then it fails with one line naming the option and the value
    assert process.returncode == 1
    assert process.stderr == (
        f"parley: --workspace: {bad!r} is neither a Workspace ID nor a UUID\n"
    )


async def test_apikey_revoke_takes_the_keys_id(database_url: str) -> None:
    # given a key, and its id as the API hands it out (apiKeys { id })
    async with running_app(database_url):
        workspace = await tenancy.create_workspace(name="Acme")
        issued = await tenancy.create_api_key(
            workspace_id=workspace.id, actor=None, name="bot", role=Role.AGENT
        )
    key_id = encode_id("ApiKey", issued.api_key.id)

    # when it is revoked by that id
    revoked = succeeded(parley(database_url, "apikey", "revoke", key_id))

    # then it stops working
    assert revoked == f"Revoked {key_id}\n"
    async with running_app(database_url) as client:
        body = await client.as_(issued.secret).execute(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]

    # and an id that is no ApiKey's is one line naming the argument
    wrong = parley(database_url, "apikey", "revoke", encode_id("Workspace", workspace.id))
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("parley: KEY: ") and wrong.stderr.count("\n") == 1


async def demo_counts() -> dict[str, int]:
    return {
        "workspaces": await models.Workspace.all().count(),
        "users": await models.User.all().count(),
        "memberships": await models.Membership.all().count(),
        "contacts": await models.Contact.all().count(),
        "conversations": await models.Conversation.all().count(),
        "messages": await models.Message.all().count(),
    }


def demo_key(output: str) -> str:
    match = re.search(r"API key:\s+(prly_\S+)", output)
    assert match, output
    return match[1]


def demo_key_file(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite://")).parent / "demo-api-key"


async def test_seed_demo_twice_keeps_the_data_and_the_key(database_url: str) -> None:
    # given the demo seeded once
    first_output = succeeded(parley(database_url, "seed-demo"))
    first_key = demo_key(first_output)
    async with running_app(database_url):
        first = await demo_counts()
        workspace = await models.Workspace.get(name="Demo Store")
    assert first["workspaces"] == 1
    assert first["contacts"] > 0 and first["conversations"] > 0 and first["messages"] > 0
    # it printed the workspace's id, as the API gives it out and as a UUID
    global_id = encode_id("Workspace", workspace.id)
    assert f"workspace: {global_id}  (UUID {workspace.id})" in first_output
    # and saved the key next to the database, readable by this user only
    key_file = demo_key_file(database_url)
    assert key_file.read_text() == first_key + "\n"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert f"new, saved in {key_file}" in first_output

    # when it is seeded again
    second_output = succeeded(parley(database_url, "seed-demo"))

    # then nothing is duplicated and the same key is printed, still the one live demo key
    assert demo_key(second_output) == first_key
    assert f"kept from {key_file}" in second_output
    async with running_app(database_url) as client:
        assert await demo_counts() == first
        viewer = await client.as_(first_key).data(VIEWER)
        demo_keys = await models.ApiKey.filter(name="demo key").count()
        login = await client.data(
            LOGIN, {"input": {"email": "demo@parley.local", "password": "parley-demo"}}
        )
    assert viewer["viewer"]["role"] == "OWNER"
    assert viewer["viewer"]["workspace"] == {"id": global_id, "name": "Demo Store"}
    assert demo_keys == 1
    # and the printed login works too
    assert "demo@parley.local / parley-demo" in second_output
    assert login["login"]["__typename"] == "LoginPayload"


@pytest.mark.parametrize("spoil", ["revoke the key", "overwrite the file", "delete the file"])
async def test_seed_demo_replaces_a_saved_key_that_no_longer_works(
    database_url: str, spoil: str
) -> None:
    # given the demo seeded, then its saved key spoiled
    first_key = demo_key(succeeded(parley(database_url, "seed-demo")))
    key_file = demo_key_file(database_url)
    if spoil == "revoke the key":
        succeeded(parley(database_url, "apikey", "revoke", first_key))  # the whole key
    elif spoil == "overwrite the file":
        key_file.write_text("prly_00000000_not-a-key\n")
    else:
        key_file.unlink()

    # when it is seeded again
    output = succeeded(parley(database_url, "seed-demo"))

    # then a new key is printed and saved, it works, and it is the only live demo key
    new_key = demo_key(output)
    assert new_key != first_key
    assert "new, saved in" in output
    assert key_file.read_text() == new_key + "\n"
    async with running_app(database_url) as client:
        viewer = await client.as_(new_key).data(VIEWER)
        old = await client.as_(first_key).execute(VIEWER)
        live = await models.ApiKey.filter(name="demo key", revoked_at=None).count()
    assert viewer["viewer"]["role"] == "OWNER"
    assert error_codes(old) == ["UNAUTHENTICATED"]
    assert live == 1


async def test_serve_prints_the_address_it_serves(migrated_template: Path, tmp_path: Path) -> None:
    # given a migrated database and a free port
    path = tmp_path / "parley.sqlite3"
    shutil.copy(migrated_template, path)
    port = free_port()

    # when `parley serve --port P` starts
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(PARLEY_DATABASE_URL=f"sqlite://{path}", PARLEY_SECRET_KEY=SECRET_KEY)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "api", "serve", "--port", str(port)),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        first_line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        curl_line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()

        # then the hint names that port, and the server answers at the printed address
        url = f"http://127.0.0.1:{port}/graphql"
        assert first_line == f"Parley at {url} (GraphiQL in a browser); try:\n"
        assert curl_line.rstrip().endswith(f" {url}")
        await wait_healthy(url.removesuffix("/graphql"))
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


async def wait_healthy(base_url: str) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        while True:
            try:
                if (await http.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    # given a file to write
    output = tmp_path / "schema.graphql"

    # when the schema is exported
    process = parley(
        f"sqlite://{tmp_path / 'unused.sqlite3'}", "export-schema", "--output", str(output)
    )

    # then the file holds the SDL of the code's schema
    assert succeeded(process) == f"Wrote {output}\n"
    sdl = output.read_text()
    assert sdl == schema.as_str() + "\n"
    assert "type Mutation {" in sdl
    assert "login(input: LoginInput!): LoginResult!" in sdl


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    # given a database that was never migrated
    database_url = f"sqlite://{tmp_path / 'empty.sqlite3'}"

    # when `parley serve` starts on it
    process = parley(database_url, "serve", "--port", "1")

    # then it exits non-zero with one line saying to run `parley migrate`
    assert process.returncode != 0
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("parley: ")
    assert "`parley migrate`" in lines[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "parley.example.com"])
def test_serve_refuses_the_development_secret_key_beyond_loopback(
    tmp_path: Path, host: str
) -> None:
    # given no PARLEY_SECRET_KEY (the development key, which is public)
    database_url = f"sqlite://{tmp_path / 'parley.sqlite3'}"

    # when `parley serve` is asked to listen on an address others can reach
    process = parley(database_url, "serve", "--host", host, "--port", "1", secret_key=None)

    # then it exits 2 with one line naming PARLEY_SECRET_KEY
    assert process.returncode == 2, process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("parley: PARLEY_SECRET_KEY: ")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_serve_accepts_the_development_secret_key_on_loopback(tmp_path: Path, host: str) -> None:
    # given no PARLEY_SECRET_KEY, and a database that was never migrated (so serve stops
    # at its next check instead of listening)
    database_url = f"sqlite://{tmp_path / 'empty.sqlite3'}"

    # when `parley serve` is asked to listen on loopback
    process = parley(database_url, "serve", "--host", host, "--port", "1", secret_key=None)

    # then the key is accepted: it got as far as the database check
    assert "PARLEY_SECRET_KEY" not in process.stderr
    assert "`parley migrate`" in process.stderr


async def test_a_demo_seed_that_fails_half_way_leaves_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a seed whose third message fails (after the workspace, users and some data)
    real_send = demo.inbox_messages.send_message
    sent: list[object] = []

    async def failing_send(**kwargs: Any) -> models.Message:
        if len(sent) == 2:
            raise RuntimeError("disk full")
        sent.append(await real_send(**kwargs))
        return sent[-1]  # type: ignore[return-value]

    monkeypatch.setattr(demo.inbox_messages, "send_message", failing_send)

    async with running_app(database_url):
        # when the seed runs
        key_file = tmp_path / "demo-api-key"
        with pytest.raises(RuntimeError, match="disk full"):
            await demo.seed_demo(key_file=key_file)

        # then nothing it wrote is left
        assert len(sent) == 2
        assert set((await demo_counts()).values()) == {0}
        assert await models.ApiKey.all().count() == 0
        assert not key_file.exists()

        # and the next run seeds the demo in full
        monkeypatch.setattr(demo.inbox_messages, "send_message", real_send)
        credentials = await demo.seed_demo(key_file=key_file)
        counts = await demo_counts()
    assert counts["workspaces"] == 1
    assert counts["contacts"] == len(demo.CONTACTS)
    assert credentials.api_key.startswith("prly_")
    assert key_file.read_text() == credentials.api_key + "\n"


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["migrate", "serve", "seed-demo"])
def test_a_postgres_database_that_does_not_exist_is_one_line_saying_how_to_create_it(
    command: str,
) -> None:
    # given a PostgreSQL server, and the name of a database it does not have
    server = urlparse(require_postgres())
    name = f"parley_missing_{uuid4().hex[:12]}"
    missing = urlunparse(server._replace(path=f"/{name}"))

    # when a command opens it
    process = parley(missing, command)

    # then it fails with one line naming the database and how to create it
    assert process.returncode == 1
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    host, port, user = server.hostname, server.port or 5432, server.username or "postgres"
    assert lines[0].startswith(f'parley: PostgreSQL database "{name}" does not exist on ')
    assert f"`createdb -h {host} -p {port} -U {user} {name}`" in lines[0]
    assert f'CREATE DATABASE "{name}"' in lines[0]


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_postgres_server_that_does_not_answer_is_one_line(command: str) -> None:
    # given a port nothing listens on
    port = free_port()

    # when a command opens a database there
    process = parley(f"postgres://postgres:hunter2@127.0.0.1:{port}/parley", command)

    # then it fails with one line naming the address, and not the password
    assert process.returncode == 1
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith(f"parley: PostgreSQL does not answer at 127.0.0.1:{port} (")
    assert "hunter2" not in process.stderr
