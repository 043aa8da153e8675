"""`parley serve` refuses, before it starts, a configuration that would serve wrongly."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "serve-check-secret-key-0123456789"


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `parley serve ARGS` (as `python -m api`) with only the given PARLEY_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    clean.update(
        PARLEY_DATABASE_URL=f"sqlite://{tmp_path / 'parley.sqlite3'}",
        PARLEY_SECRET_KEY=SECRET_KEY,
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "api", "serve", "--port", "1", *args],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--workers", "2"), {}), ((), {"PARLEY_WORKERS": "2"})],
    ids=["option", "environment"],
)
def test_several_workers_with_the_in_memory_broadcast_are_refused(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    # given the default broadcast (memory://), which reaches only its own process
    # when `parley serve` is asked for two worker processes
    process = serve(tmp_path, *args, **env)
    # then it exits 2 with one line saying to set a Redis broadcast
    assert process.returncode == 2, process.stderr
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("parley: PARLEY_WORKERS=2 ")
    assert "PARLEY_BROADCAST_URL=redis://" in lines[0]


@pytest.mark.parametrize(
    "env",
    [
        {"PARLEY_WORKERS": "1"},
        {"PARLEY_WORKERS": "2", "PARLEY_BROADCAST_URL": "redis://127.0.0.1:6379/0"},
    ],
    ids=["one-worker-memory", "two-workers-redis"],
)
def test_a_broadcast_that_reaches_every_worker_gets_past_the_check(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # given one worker with memory://, or two with Redis, on a database never migrated
    # when `parley serve` starts, then it stops only at the database check
    process = serve(tmp_path, **env)
    assert process.returncode != 0
    assert "`parley migrate`" in process.stderr and "PARLEY_BROADCAST_URL" not in process.stderr


def test_a_metrics_directory_that_does_not_exist_is_refused(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # given a migrated database and a PROMETHEUS_MULTIPROC_DIR that is not there
    shutil.copy(sqlite_template, tmp_path / "parley.sqlite3")
    missing = tmp_path / "no-such-directory"
    # when the operator serves
    result = serve(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(missing))
    # then serve refuses with one line naming the variable, before any worker starts
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"parley: PROMETHEUS_MULTIPROC_DIR: {missing} is not a directory"
    )
