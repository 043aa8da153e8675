"""Opening the database, and its migrations (aerich).

aerich writes dialect-specific SQL, so each migration file in migrations/models/ holds
the SQL of both dialects and picks by the connection (see scripts/make_migration.py).
"""

from pathlib import Path
from typing import Any

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
