"""Every setting of Parley, read from the environment (prefix PARLEY_) and validated once.

`TORTOISE_ORM` is what aerich points at; it follows PARLEY_DATABASE_URL.
"""

import ipaddress
import os
from functools import cached_property
from typing import Annotated, Any
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from tortoise.backends.base.config_generator import expand_db_url

DEFAULT_DATABASE_URL = "sqlite://var/parley.sqlite3"
DEV_SECRET_KEY = "parley-dev-secret-change-me-in-production"
MODEL_MODULES = ["models", "aerich.models"]


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Parley's configuration. See the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    broadcast_url: str = "memory://"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "info"
    log_format: str = "json"
    # when set, GET /metrics needs `Authorization: Bearer <this>`
    metrics_token: SecretStr | None = None
    max_page_size: int = Field(default=100, ge=1, le=1000)
    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=15, ge=1)
    max_query_tokens: int = Field(default=2000, ge=10)
    max_expanded_fields: int = Field(default=5000, ge=1)
    max_fragment_spreads: int = Field(default=200, ge=0)
    max_query_cost: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_max_value_chars: int = Field(default=2000, ge=100)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ws_connection_init_timeout_s: float = Field(default=10.0, gt=0)
    subscriber_queue_size: int = Field(default=256, ge=1)
    ws_keep_alive_s: float = Field(default=15.0, gt=0)
    credential_check_interval_s: float = Field(default=2.0, gt=0)
    event_retention_days: int = Field(default=30, ge=1)
    # failed sign-ins per e-mail, and sign-in attempts per client address, in a moving window
    login_failures_per_account: int = Field(default=10, ge=1)
    login_attempts_per_address: int = Field(default=30, ge=1)
    login_limit_window_minutes: int = Field(default=15, ge=1)
    invitation_ttl_days: int = Field(default=7, ge=1)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
            raise ValueError(f"unsupported scheme {scheme!r}; use sqlite://PATH or postgres://…")
        return value

    @field_validator("broadcast_url")
    @classmethod
    def _known_broadcast(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in ("memory", "redis", "rediss"):
            raise ValueError(f"unsupported scheme {scheme!r}; use memory:// or redis://…")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("use one of critical, error, warning, info, debug")
        return value.lower()

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in ("json", "text"):
            raise ValueError("use json or text")
        return value.lower()

    @field_validator("metrics_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # empty: no token
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (or unset: no token)")
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def metrics_token_value(self) -> str | None:
        return self.metrics_token.get_secret_value() if self.metrics_token else None

    @cached_property
    def is_sqlite(self) -> bool:
        return urlparse(self.database_url).scheme == "sqlite"

    @property
    def tortoise_orm(self) -> dict[str, Any]:
        return tortoise_config(self.database_url, pool_size=self.db_pool_size)


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def load_settings(**overrides: Any) -> Settings:
    """Read the environment once; a bad value raises SettingsError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = "PARLEY_" + str(error["loc"][0]).upper() if error["loc"] else "PARLEY_*"
        raise SettingsError(f"{variable}: {error['msg']}") from None


def check_servable(settings: Settings) -> None:
    """Refuse a configuration that would serve, but wrongly (raises SettingsError)."""
    if settings.secret_key.get_secret_value() == DEV_SECRET_KEY and not is_loopback(settings.host):
        # the development key is public in the repository: anyone could forge what is
        # keyed by it (stored token hashes)
        raise SettingsError(
            f"PARLEY_SECRET_KEY: the development key is public; set your own secret key "
            f"to serve on {settings.host} (the development key works on 127.0.0.1 only)"
        )
    if settings.workers > 1 and urlparse(settings.broadcast_url).scheme == "memory":
        # memory:// wakes only the subscribers of the worker that committed: the others'
        # live updates would be silently lost.
        raise SettingsError(
            f"PARLEY_WORKERS={settings.workers} needs a broadcast shared by the worker "
            "processes: set PARLEY_BROADCAST_URL=redis://… (memory:// reaches only its own "
            "process), or serve with one worker"
        )


async def _rollback_if_in_transaction(connection: Any) -> None:
    """What asyncpg's pool runs when a connection comes back. Its default (`RESET ALL`,
    `UNLISTEN *`, …) costs a round trip per query; Parley keeps no session state, so only
    an unfinished transaction (a cancelled request) needs undoing."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


def tortoise_config(
    database_url: str, *, pool_size: int = 10, create_directory: bool = True
) -> dict[str, Any]:
    """Tortoise's config for one database holding every Parley model (for SQLite, the
    file's directory is created unless `create_directory` is False)."""
    if urlparse(database_url).scheme == "sqlite":
        path = database_url.removeprefix("sqlite://")
        if create_directory and path and path != ":memory:":
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        connection: str | dict[str, Any] = database_url
    else:
        connection = expand_db_url(database_url)
        connection["credentials"].update(
            minsize=1, maxsize=pool_size, reset=_rollback_if_in_transaction
        )
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


# for aerich's command line; importing this module creates nothing
TORTOISE_ORM = tortoise_config(
    os.environ.get("PARLEY_DATABASE_URL", DEFAULT_DATABASE_URL), create_directory=False
)
