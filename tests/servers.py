"""Real `parley serve` processes for multi-instance tests."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.core.redis_server import free_port

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]


@asynccontextmanager
async def parley_server(
    database_url: str, broadcast_url: str, env: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """Start `python -m api serve` on a free port (with more `env`ironment variables);
    yield its base URL; stop it."""
    async with parley_process(database_url, broadcast_url, env) as server:
        yield server.base_url


@asynccontextmanager
async def parley_process(
    database_url: str,
    broadcast_url: str,
    env: dict[str, str] | None = None,
    *,
    stderr_path: Path | None = None,
) -> AsyncIterator[RunningServer]:
    """Start `python -m api serve` on a free port (with more `env`ironment variables; its
    stderr, the log, written to `stderr_path` if given); yield it (to signal it); stop it."""
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_BROADCAST_URL": broadcast_url,
        "PARLEY_PORT": str(port),
        "PARLEY_SECRET_KEY": "test-secret-key-0123456789",
        "PARLEY_LOG_LEVEL": "warning",
        **(env or {}),
    }
    log = stderr_path.open("wb") if stderr_path else None
    process = subprocess.Popen(  # noqa: ASYNC220 (a long-lived server, not awaited)
        [sys.executable, "-m", "api", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log or subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base_url, process)
        yield RunningServer(base_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        if log:
            log.close()


async def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else "(see its log)"
                raise RuntimeError(f"parley serve exited early: {stderr}")
            try:
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
