"""Migrations: they apply on an empty database of each kind, leave exactly the schema the
models describe, and the server refuses to start on a database that is behind."""

import asyncio
import json
import re
import sqlite3
import uuid
from pathlib import Path

import asyncpg
import pytest
from aerich.utils import decompress_dict, get_models_describe
from tortoise import Tortoise

from api import db
from api.app import create_app
from api.db import create_postgres_database, drop_postgres_database
from api.settings import load_settings, tortoise_config
from tests.conftest import RUN_ID
from tests.lifespan import lifespan
from tests.services import require_postgres


def sqlite_schema(path: str) -> set[tuple[object, ...]]:
    """Tables, columns (type, nullability, key) and indexes (columns, uniqueness)."""
    connection = sqlite3.connect(path)
    try:
        shape: set[tuple[object, ...]] = set()
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            for _, name, kind, notnull, _, pk in connection.execute(
                f'PRAGMA table_info("{table}")'
            ):
                shape.add(("column", table, name, kind.upper(), notnull, pk))
            for _, index, unique, *_ in connection.execute(f'PRAGMA index_list("{table}")'):
                columns = tuple(r[2] for r in connection.execute(f'PRAGMA index_info("{index}")'))
                shape.add(("index", table, columns, unique))
        return shape
    finally:
        connection.close()


async def postgres_schema(url: str) -> set[tuple[object, ...]]:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        columns = await connection.fetch(
            # defaults are left out: Tortoise applies them in Python, while an added NOT NULL
            # column needs a database default for the rows already there
            "SELECT table_name, column_name, data_type, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public'"
        )
        indexes = await connection.fetch(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        )
        constraints = await connection.fetch(
            "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        )
    finally:
        await connection.close()
    shape: set[tuple[object, ...]] = {("column", *row) for row in columns}
    # index names are derived from the columns, but strip them to compare definitions only
    shape |= {
        ("index", table, re.sub(r'INDEX "?\w+"? ON', "INDEX ON", definition))
        for table, definition in indexes
    }
    shape |= {("constraint", *row) for row in constraints}
    return shape


async def generated_schema_database(url: str) -> None:
    """What the models describe, made by Tortoise directly (not by the migrations)."""
    await Tortoise.init(config=tortoise_config(url))
    try:
        await Tortoise.generate_schemas(safe=False)
    finally:
        await Tortoise.close_connections()


async def test_migrated_schema_matches_the_models(database_url: str, tmp_path: Path) -> None:
    # given a database built by `parley migrate` (the fixture) and one built from the models
    if database_url.startswith("sqlite"):
        generated = tmp_path / "generated.sqlite3"
        await generated_schema_database(f"sqlite://{generated}")
        # then their tables, columns and indexes are the same
        migrated = database_url.removeprefix("sqlite://")
        assert sqlite_schema(migrated) == sqlite_schema(str(generated))
        return
    admin_url = require_postgres()
    name = f"parley_test_{RUN_ID}_gen_{uuid.uuid4().hex[:6]}"
    generated_url = await create_postgres_database(admin_url, name)
    try:
        await generated_schema_database(generated_url)
        # then their columns, indexes and constraints are the same
        assert await postgres_schema(database_url) == await postgres_schema(generated_url)
    finally:
        await drop_postgres_database(admin_url, name)


def test_last_migration_records_the_current_models() -> None:
    # given the models state aerich stored in the newest migration
    newest = db.MIGRATIONS_DIR / db.APP / db.migration_files()[-1]
    namespace: dict[str, object] = {}
    exec(compile(newest.read_text(), str(newest), "exec"), namespace)
    stored = decompress_dict(namespace["MODELS_STATE"])  # type: ignore[arg-type]

    async def describe() -> dict[str, object]:
        await Tortoise.init(config=tortoise_config("sqlite://:memory:"))
        try:
            return dict(get_models_describe(db.APP))
        finally:
            await Tortoise.close_connections()

    # then it equals what the models describe now (compared as JSON, the form aerich
    # stores): no pending change for scripts/make_migration.py
    def as_json(state: object) -> object:
        return json.loads(json.dumps(state, default=str))

    assert as_json(stored) == as_json(asyncio.run(describe()))


async def test_server_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    # given an empty database that was never migrated
    settings = load_settings(database_url=f"sqlite://{tmp_path}/empty.sqlite3")
    # when the app starts, then it refuses, naming the command that fixes it
    with pytest.raises(db.DatabaseBehind, match="parley migrate"):
        async with lifespan(create_app(settings)):
            pass


def test_the_service_and_the_scripts_import_nothing_from_the_tests() -> None:
    # given every module that ships or runs outside pytest
    root = Path(__file__).resolve().parent.parent
    modules = [
        path
        for folder in ("api", "models", "scripts", "bench")
        for path in (root / folder).rglob("*.py")
    ]

    # when their imports are read
    importing_tests = [
        str(path.relative_to(root))
        for path in modules
        if re.search(r"^\s*(from|import) tests\b", path.read_text(), flags=re.MULTILINE)
    ]

    # then none takes a helper from tests/ (make_migration's databases live in api/db.py)
    assert importing_tests == []
