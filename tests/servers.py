"""Real `parley serve` processes for multi-instance tests."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.core.redis_server import free_port

REPO = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def parley_server(
    database_url: str, broadcast_url: str, **settings: str
) -> AsyncIterator[str]:
    """Start `python -m api serve` on a free port (`settings`: more PARLEY_* variables, by
    their name without the prefix); yield its base URL; stop it."""
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_BROADCAST_URL": broadcast_url,
        "PARLEY_PORT": str(port),
        "PARLEY_SECRET_KEY": "test-secret-key-0123456789",
        "PARLEY_LOG_LEVEL": "warning",
        **{f"PARLEY_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (a long-lived server, not awaited)
        [sys.executable, "-m", "api", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


async def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"parley serve exited early: {stderr}")
            try:
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
