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
from tortoise.exceptions import OperationalError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
APP = "models"


class DatabaseBehind(Exception):
    """The database lacks migrations the code needs."""


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
