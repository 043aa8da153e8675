"""Settings: read from PARLEY_* once; a bad value is one line naming the variable."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import DEFAULT_DATABASE_URL, DEV_SECRET_KEY, SettingsError, load_settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No PARLEY_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("PARLEY_"):
            monkeypatch.delenv(name)
    yield


def environment_without_parley(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return {**env, **variables}


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("PARLEY_PORT", "abc", "valid integer"),
        ("PARLEY_PORT", "70000", "less than or equal to 65535"),
        ("PARLEY_PORT", "0", "greater than or equal to 1"),
        ("PARLEY_DATABASE_URL", "mysql://x", "unsupported scheme 'mysql'"),
        ("PARLEY_BROADCAST_URL", "kafka://x", "unsupported scheme 'kafka'"),
        ("PARLEY_SECRET_KEY", "too-short", "at least 16 characters"),
        ("PARLEY_LOG_LEVEL", "chatty", "use one of"),
        ("PARLEY_WORKERS", "", "valid integer"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, complaint: str
) -> None:
    # given a bad value in the environment
    monkeypatch.setenv(variable, value)

    # when the settings are loaded
    with pytest.raises(SettingsError) as raised:
        load_settings()

    # then the error is one line that starts with the variable's name and says what is wrong
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{variable}: ")
    assert complaint in message


def test_the_first_of_several_bad_values_is_reported_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given two bad values
    monkeypatch.setenv("PARLEY_PORT", "abc")
    monkeypatch.setenv("PARLEY_BROADCAST_URL", "kafka://x")

    # when the settings are loaded
    with pytest.raises(SettingsError) as raised:
        load_settings()

    # then still one line, naming one of them
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(("PARLEY_PORT: ", "PARLEY_BROADCAST_URL: "))


def test_defaults_are_the_embedded_ones() -> None:
    # given no PARLEY_* variable at all
    # when the settings are loaded
    settings = load_settings()

    # then Parley runs embedded: SQLite under var/, in-memory broadcast
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite://var/parley.sqlite3"
    assert settings.is_sqlite
    assert settings.broadcast_url == "memory://"
    assert settings.secret_key.get_secret_value() == DEV_SECRET_KEY
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.allowed_origins == []


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # given PostgreSQL, Redis, a port and two origins in the environment
    monkeypatch.setenv("PARLEY_DATABASE_URL", "postgres://parley@db:5432/parley")
    monkeypatch.setenv("PARLEY_BROADCAST_URL", "redis://cache:6379/0")
    monkeypatch.setenv("PARLEY_SECRET_KEY", "a-production-secret-key")
    monkeypatch.setenv("PARLEY_PORT", "9000")
    monkeypatch.setenv("PARLEY_ALLOWED_ORIGINS", "https://app.parley.test, https://x.test")

    # when the settings are loaded
    settings = load_settings()

    # then they are used
    assert settings.database_url == "postgres://parley@db:5432/parley"
    assert not settings.is_sqlite
    assert settings.broadcast_url == "redis://cache:6379/0"
    assert settings.secret_key.get_secret_value() == "a-production-secret-key"
    assert settings.port == 9000
    assert settings.allowed_origins == ["https://app.parley.test", "https://x.test"]
    assert "a-production-secret-key" not in repr(settings)


def test_serve_with_a_bad_value_exits_with_one_line(tmp_path: Path) -> None:
    # given a bad port in the environment
    env = environment_without_parley(
        PARLEY_PORT="abc", PARLEY_DATABASE_URL=f"sqlite://{tmp_path / 'parley.sqlite3'}"
    )

    # when `parley serve` starts
    process = subprocess.run(
        [sys.executable, "-m", "api", "serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then it exits non-zero with exactly one line on stderr naming the variable
    assert process.returncode != 0
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("parley: PARLEY_PORT: ")
    assert process.stdout == ""
