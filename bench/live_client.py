"""Subscriber processes for bench/run_live.py: many graphql-transport-ws sockets per process.

`run_live.py` starts a few of these (multiprocessing, "spawn") and drives each over a
`multiprocessing` pipe with small command dicts; every command gets exactly one reply:

- `open`: open `count` WebSockets to `url`, send `connection_init` with the bearer token,
  wait for `connection_ack`, start one subscription (`query`, `variables`) on each and keep
  reading. Each `next` result is recorded as `(time.time_ns() on receipt, key)`, where the
  key is `messageAdded.content` plus ` s=<seq>`, or `inboxEvents.type`.
- `wait`: wait until every subscriber has recorded at least `count` results whose key
  starts with `prefix` (or `timeout` passes); replies with the smallest count.
- `collect`: every subscriber's records (and clears them, with `clear`).
- `reset`: forget the records.
- `close`: close every socket. `exit`: close and end the process.

Anything unexpected on a socket (an `error` or `complete` message, errors in a result, a
closed connection) is counted and a few examples are kept for the reply to `status`.
"""

import asyncio
import contextlib
import json
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
OPEN_CONCURRENCY = 64  # handshakes in flight per client process
NOFILE = 20_000


@dataclass
class Subscriber:
    socket: ClientConnection
    prefix: str
    records: list[tuple[int, str]] = field(default_factory=list)
    matching: int = 0
    reader: asyncio.Task[None] | None = None


@dataclass
class Problems:
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.examples) < 5:
            self.examples.append(text[:300])


class ClientProcess:
    def __init__(self, conn: Connection, index: int) -> None:
        self.conn = conn
        self.index = index
        self.subscribers: list[Subscriber] = []
        self.problems = Problems()
        self.closing = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command: dict[str, Any] = await loop.run_in_executor(None, self.conn.recv)
            kind = command["cmd"]
            if kind == "exit":
                await self.close()
                self.conn.send({"ok": True})
                return
            handler = getattr(self, f"cmd_{kind}")
            try:
                reply = await handler(command)
            except Exception as exc:  # the orchestrator decides what to do with it
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            self.conn.send(reply)

    # -- commands -------------------------------------------------------------------------

    async def cmd_open(self, command: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        limit = asyncio.Semaphore(OPEN_CONCURRENCY)
        failures = Problems()

        async def open_one() -> None:
            async with limit:
                try:
                    subscriber = await self._open(command)
                except Exception as exc:
                    failures.add(f"{type(exc).__name__}: {exc}")
                    return
                self.subscribers.append(subscriber)

        await asyncio.gather(*(open_one() for _ in range(int(command["count"]))))
        return {
            "ok": failures.count == 0,
            "opened": int(command["count"]) - failures.count,
            "failed": failures.count,
            "examples": failures.examples,
            "seconds": time.monotonic() - started,
        }

    async def cmd_wait(self, command: dict[str, Any]) -> dict[str, Any]:
        target, prefix = int(command["count"]), str(command.get("prefix", ""))
        deadline = time.monotonic() + float(command["timeout"])
        while True:
            counts = [self._count(s, prefix) for s in self.subscribers]
            lowest = min(counts, default=target)
            if lowest >= target or time.monotonic() > deadline:
                return {
                    "ok": lowest >= target,
                    "lowest": lowest,
                    "short": sum(1 for c in counts if c < target),
                }
            await asyncio.sleep(0.05)

    async def cmd_collect(self, command: dict[str, Any]) -> dict[str, Any]:
        records = [list(s.records) for s in self.subscribers]
        if command.get("clear"):
            await self.cmd_reset(command)
        return {"ok": True, "records": records}

    async def cmd_reset(self, command: dict[str, Any]) -> dict[str, Any]:
        for subscriber in self.subscribers:
            subscriber.records.clear()
            subscriber.matching = 0
        return {"ok": True}

    async def cmd_status(self, command: dict[str, Any]) -> dict[str, Any]:
        open_sockets = sum(1 for s in self.subscribers if s.reader and not s.reader.done())
        return {
            "ok": True,
            "subscribers": len(self.subscribers),
            "open": open_sockets,
            "problems": self.problems.count,
            "examples": self.problems.examples,
        }

    async def cmd_close(self, command: dict[str, Any]) -> dict[str, Any]:
        await self.close()
        return {"ok": True}

    # -- sockets --------------------------------------------------------------------------

    async def _open(self, command: dict[str, Any]) -> Subscriber:
        socket = await connect(
            command["url"],
            subprotocols=[PROTOCOL],
            compression="deflate" if command.get("deflate", True) else None,
            open_timeout=120,
            ping_interval=None,  # idle: the server's pings are answered automatically
            close_timeout=2,
            max_queue=None,
        )
        try:
            init = {"authorization": f"Bearer {command['token']}"}
            await socket.send(json.dumps({"type": "connection_init", "payload": init}))
            async with asyncio.timeout(120):
                while True:
                    reply = json.loads(await socket.recv())
                    if reply.get("type") == "connection_ack":
                        break
                    if reply.get("type") != "ping":
                        raise RuntimeError(f"connection_init answered with {reply}")
            payload = {"query": command["query"], "variables": command.get("variables") or {}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        except BaseException:
            await socket.close()
            raise
        subscriber = Subscriber(socket, str(command.get("prefix", "")))
        subscriber.reader = asyncio.create_task(self._read(subscriber))
        return subscriber

    async def _read(self, subscriber: Subscriber) -> None:
        socket = subscriber.socket
        try:
            async for raw in socket:
                received = time.time_ns()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.problems.add(f"errors in a result: {payload['errors']}")
                        continue
                    key = _key(payload.get("data") or {})
                    subscriber.records.append((received, key))
                    if key.startswith(subscriber.prefix):
                        subscriber.matching += 1
                elif kind == "ping":
                    await socket.send('{"type":"pong"}')
                elif kind != "pong":
                    self.problems.add(f"unexpected message: {raw!r}")
        except ConnectionClosed as exc:
            if not self.closing:
                self.problems.add(f"connection closed: {exc}")
        except Exception as exc:
            self.problems.add(f"reader failed: {type(exc).__name__}: {exc}")

    @staticmethod
    def _count(subscriber: Subscriber, prefix: str) -> int:
        if prefix == subscriber.prefix:
            return subscriber.matching
        return sum(1 for _, key in subscriber.records if key.startswith(prefix))

    async def close(self) -> None:
        self.closing = True
        subscribers, self.subscribers = self.subscribers, []
        limit = asyncio.Semaphore(256)

        async def close_one(subscriber: Subscriber) -> None:
            async with limit:
                with contextlib.suppress(Exception):
                    await subscriber.socket.close()
                if subscriber.reader is not None:
                    subscriber.reader.cancel()
                    with contextlib.suppress(BaseException):
                        await subscriber.reader

        await asyncio.gather(*(close_one(s) for s in subscribers))
        self.closing = False


def _key(data: dict[str, Any]) -> str:
    if "messageAdded" in data:
        added = data["messageAdded"]
        return f"{added['content']} s={added['seq']}"
    if "inboxEvents" in data:
        return str(data["inboxEvents"]["type"])
    return json.dumps(data)


def raise_open_files_limit(wanted: int = NOFILE) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def client_main(conn: Connection, index: int) -> None:
    """Entry point of one client process (multiprocessing target)."""
    raise_open_files_limit()
    uvloop.run(ClientProcess(conn, index).run())
