"""Opening the database, and its migrations (aerich).

aerich writes dialect-specific SQL, so each migration file in migrations/models/ holds
the SQL of both dialects and picks by the connection (see scripts/make_migration.py).
Throw-away PostgreSQL databases (one per test run, or per migration made) are created and
dropped here too.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
from aerich import Command
from aerich.models import Aerich
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import OperationalError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
APP = "models"


class DatabaseBehind(Exception):
    """The database lacks migrations the code needs."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened (it does not exist, its server does not answer, the
    login is refused); the message is one line saying what to do, without the password."""


async def check_reachable(database_url: str) -> None:
    """Connect once to a PostgreSQL `database_url` and leave, so that a command fails with
    one line (DatabaseUnavailable) before it starts work, instead of the driver's traceback
    from wherever the first query happens. SQLite files are created on demand."""
    if urlparse(database_url).scheme == "sqlite":
        return
    credentials = expand_db_url(database_url)["credentials"]
    connect = {key: credentials.get(key) for key in ("host", "port", "user", "password")}
    try:
        connection = await asyncpg.connect(
            **connect,
            database=credentials.get("database"),
            ssl=credentials.get("ssl"),
            timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise unavailable(error, database_url) from None
    await connection.close()


CONNECT_TIMEOUT_SECONDS = 30  # a busy server is slow, not gone


def unavailable(error: BaseException, database_url: str) -> DatabaseUnavailable:
    """What a failed connection means for the person who configured `database_url`."""
    url = urlparse(database_url)
    host, port, user = url.hostname or "localhost", url.port or 5432, url.username or "postgres"
    name = url.path.lstrip("/") or user
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return DatabaseUnavailable(
            f'PostgreSQL database "{name}" does not exist on {host}:{port}: create it with '
            f'`createdb -h {host} -p {port} -U {user} {name}` (or CREATE DATABASE "{name}"), '
            "then run `parley migrate`."
        )
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__  # a timeout has no text
        return DatabaseUnavailable(
            f"PostgreSQL does not answer at {host}:{port} ({reason}): start it, or point "
            "PARLEY_DATABASE_URL at a server that runs."
        )
    return DatabaseUnavailable(f"PostgreSQL at {host}:{port} refused {user} on {name}: {error}")


def migration_files() -> list[str]:
    folder = MIGRATIONS_DIR / APP
    files = [p.name for p in folder.glob("*.py") if p.name.split("_", 1)[0].isdigit()]
    return sorted(files, key=lambda name: int(name.split("_", 1)[0]))


async def applied_migrations() -> list[str]:
    try:
        versions = await Aerich.filter(app=APP).values_list("version", flat=True)
        return [str(version) for version in versions]
    except OperationalError:  # no aerich table yet: nothing applied
        return []


async def pending_migrations() -> list[str]:
    applied = set(await applied_migrations())
    return [name for name in migration_files() if name not in applied]


async def ensure_migrated() -> None:
    """Refuse to serve a database that is behind the code."""
    pending = await pending_migrations()
    if pending:
        raise DatabaseBehind(
            f"The database lacks {len(pending)} migration(s) ({', '.join(pending)}): "
            "run `parley migrate` first."
        )


async def migrate(tortoise_config: dict[str, Any]) -> list[str]:
    """Apply every pending migration; returns the files applied."""
    command = Command(tortoise_config=tortoise_config, app=APP, location=str(MIGRATIONS_DIR))
    await command.init()
    try:
        applied = await command.upgrade(run_in_transaction=True)
        from api.usage.catalog import install_default_catalog

        await install_default_catalog()  # idempotent: adds only what is missing
        return applied
    finally:
        await Tortoise.close_connections()


# --- throw-away PostgreSQL databases ------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def create_postgres_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url`; return its URL."""
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return _with_database(admin_url, name)


async def drop_postgres_database(admin_url: str, name: str) -> None:
    """Drop database `name` (if it exists), closing its connections."""
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
