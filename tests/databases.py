"""Throw-away databases for tests and scripts (PostgreSQL: one database per run)."""

from urllib.parse import urlparse, urlunparse

import asyncpg


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
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
