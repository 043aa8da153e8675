"""A throwaway redis-server for tests: own port, no persistence, killable and restartable.

Tests must never touch the machine's Redis (6379), and restart tests need to kill the server
abruptly, so each test starts its own process on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from typing import Self

import pytest

START_TIMEOUT = 5.0


def require_redis_server() -> str:
    """Path of redis-server; skip without it, except on CI where a skip would hide a gap."""
    path = shutil.which("redis-server")
    if path is not None:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("redis-server is not installed, and CI=true requires the Redis tests to run")
    pytest.skip("install redis-server (apt-get install redis-server) to run")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process bound to 127.0.0.1 on a fixed port (kept across restarts)."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> Self:
        self._process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self._wait_ready()
        return self

    async def stop(self) -> None:
        """Kill abruptly (SIGKILL), as a crash or a container restart would."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.kill()
        await process.wait()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        if self._process is None:
            raise RuntimeError("redis-server is not running")
        self._process.send_signal(signum)

    async def _wait_ready(self) -> None:
        """Until the server answers PING (it may take a moment to bind its port)."""
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                if self._process is not None and self._process.returncode is not None:
                    raise RuntimeError(f"redis-server exited early on port {self.port}")
                if await self._answers_ping():
                    return
                await asyncio.sleep(0.02)

    async def _answers_ping(self) -> bool:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        try:
            writer.write(b"PING\r\n")
            await writer.drain()
            return await reader.readline() == b"+PONG\r\n"
        except OSError:
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
