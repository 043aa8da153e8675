"""Live updates benchmark: latency, fan-out throughput and memory of GraphQL subscriptions.

Creates its own PostgreSQL database (`parley_bench_live`), migrates it, makes a workspace
and an OWNER key with `python -m api workspace create --json`, and starts four
`python -m api serve` processes: M (PARLEY_BROADCAST_URL=memory://), A and B (both
redis://…/5, so a message sent to A reaches subscribers on B) and R (memory://, only for
the memory measurement). Subscribers are graphql-transport-ws sockets spread over client
processes (bench/live_client.py, `websockets` on uvloop). Then:

1. Latency: 1, 100 and 1000 subscribers to `messageAdded` of one conversation; 50 messages
   sent with `sendMessage` at a fixed rate; latency is the receipt time at each subscriber
   minus the time the sender got its HTTP 200 (and, second figure, minus the time the
   request was sent). The content carries `m=<index> t=<time.time_ns()>`; all processes
   read the same clock (`time.time_ns()`, one machine).
2. Fan-out throughput: 100 subscribers, senders posting as fast as they can for 10 s;
   deliveries/s = results received by all subscribers / (first send → last receipt).
3. Memory: VmRSS of R with 0, 1000 and 5000 idle sockets, each with one active
   `inboxEvents` subscription (each has received one event, so it is known to be live).

Prints markdown tables; stops what it started and drops the database.

    .venv/bin/python bench/run_live.py [--quick] [--keep]
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx
from live_client import client_main, raise_open_files_limit
from run_inbox import Server, _clean_env, _start, stop, wait_ready
from seed_inbox import BENCH_SECRET_KEY, create_database, database_name, drop_database, migrate

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_live"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
SERVER_NOFILE = 20_000

MESSAGE_ADDED = "subscription Live($id: ID!) { messageAdded(conversationId: $id) { seq content } }"
INBOX_EVENTS = "subscription { inboxEvents { cursor type } }"
SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload { chatMessage { seq } }
    ... on Error { code message }
  }
}"""
CREATE_CONTACT = """
mutation { createContact(input: {name: "Live bench lead"}) {
  __typename ... on CreateContactPayload { contact { id } } ... on Error { code message } } }"""
START_CONVERSATION = """
mutation Start($contact: ID!) {
  startConversation(input: {contactId: $contact, channel: WEB, title: "Live bench"}) {
    __typename ... on StartConversationPayload { conversation { id } }
    ... on Error { code message }
  }
}"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- servers ----------------------------------------------------------------------------


def start_server(
    name: str, port: int, database_url: str, broadcast_url: str, workdir: Path
) -> Server:
    env = _clean_env(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_BROADCAST_URL=broadcast_url,
        PARLEY_SECRET_KEY=BENCH_SECRET_KEY,
        PARLEY_LOG_LEVEL="warning",
    )
    serve = f"exec {sys.executable} -m api serve --port {port} --workers 1"
    command = ["bash", "-c", f"ulimit -n {SERVER_NOFILE} && {serve}"]
    return _start(name, command, env, port, workdir)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def log_problems(server: Server) -> tuple[int, list[str]]:
    lines = server.log_path.read_text(errors="replace").splitlines()
    bad = [line for line in lines if any(w in line for w in ("ERROR", "WARNING", "Traceback"))]
    return len(bad), bad[:5]


def create_workspace(database_url: str) -> tuple[str, str]:
    env = _clean_env(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_SECRET_KEY=BENCH_SECRET_KEY,
        PARLEY_LOG_LEVEL="warning",
    )
    out = subprocess.run(
        [sys.executable, "-m", "api", "workspace", "create", "--name", "bench", "--json"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return str(result["workspaceId"]), str(result["apiKey"])


# --- client processes -------------------------------------------------------------------


class Clients:
    """A few subscriber processes (bench/live_client.py), driven over pipes."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for index in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=client_main, args=(theirs, index), daemon=True)
            process.start()
            theirs.close()
            self.conns.append(ours)
            self.processes.append(process)

    async def call(self, commands: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
        """Send commands[i] to process i (None: skip it); wait for every reply."""
        used = [(conn, c) for conn, c in zip(self.conns, commands, strict=False) if c]
        for conn, command in used:
            conn.send(command)
        return list(await asyncio.gather(*(asyncio.to_thread(conn.recv) for conn, _ in used)))

    async def all(self, command: dict[str, Any], processes: int | None = None) -> list[Any]:
        n = processes or len(self.conns)
        return await self.call([command] * n)

    async def open(
        self, total: int, processes: int, url: str, token: str, query: str, **extra: Any
    ) -> float:
        """Open `total` subscriptions spread over the first `processes`; seconds taken."""
        started = time.monotonic()
        shares = [
            total // processes + (1 if i < total % processes else 0) for i in range(processes)
        ]
        commands: list[dict[str, Any] | None] = [
            {"cmd": "open", "count": share, "url": url, "token": token, "query": query, **extra}
            if share
            else None
            for share in shares
        ]
        replies = await self.call(commands)
        failed = sum(r.get("failed", 0) for r in replies)
        if failed:
            examples = [e for r in replies for e in r.get("examples", [])]
            raise RuntimeError(f"{failed} of {total} subscriptions failed to open: {examples}")
        return time.monotonic() - started

    async def wait(self, count: int, prefix: str, timeout: float, processes: int) -> bool:
        command = {"cmd": "wait", "count": count, "prefix": prefix, "timeout": timeout}
        replies = await self.all(command, processes)
        return all(r["ok"] for r in replies)

    async def problems(self, processes: int) -> tuple[int, list[str]]:
        replies = await self.all({"cmd": "status"}, processes)
        return sum(r["problems"] for r in replies), [e for r in replies for e in r["examples"]]

    async def records(self, processes: int) -> list[list[tuple[int, str]]]:
        replies = await self.all({"cmd": "collect", "clear": True}, processes)
        return [sub for r in replies for sub in r["records"]]

    def shutdown(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):  # BrokenPipeError is an OSError
                conn.send({"cmd": "exit"})
        for process in self.processes:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# --- the sender -------------------------------------------------------------------------


class Sender:
    def __init__(self, base_url: str, token: str, conversation_id: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )
        self.conversation_id = conversation_id

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    async def send(self, content: str) -> int:
        variables = {
            "input": {"conversationId": self.conversation_id, "role": "USER", "content": content}
        }
        result = (await self.graphql(SEND_MESSAGE, variables))["sendMessage"]
        if result["__typename"] != "SendMessagePayload":
            raise RuntimeError(f"sendMessage failed: {result}")
        return int(result["chatMessage"]["seq"])

    async def close(self) -> None:
        await self.client.aclose()


async def make_conversation(base_url: str, token: str) -> str:
    sender = Sender(base_url, token, "")
    try:
        contact = (await sender.graphql(CREATE_CONTACT))["createContact"]
        started = await sender.graphql(START_CONVERSATION, {"contact": contact["contact"]["id"]})
        return str(started["startConversation"]["conversation"]["id"])
    finally:
        await sender.close()


async def confirm_live(
    clients: Clients,
    sender: Sender,
    processes: int,
    timeout: float = 120.0,
    prefix: str = "probe",
) -> int:
    """Send probes until every subscriber has received one (its subscription is live:
    subscriptions that start without a cursor miss what was sent before they started)."""
    deadline = time.monotonic() + timeout
    probes = 0
    while time.monotonic() < deadline:
        probes += 1
        await sender.send(f"probe {probes}")
        if await clients.wait(1, prefix, timeout=5.0, processes=processes):
            await asyncio.sleep(0.5)  # let stray probes arrive before the records are reset
            await clients.all({"cmd": "reset"}, processes)
            return probes
    raise RuntimeError(f"subscribers not all live after {timeout:.0f}s ({probes} probes)")


# --- measurements -----------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class LatencyRow:
    setup: str
    subscribers: int
    messages: int
    rate: float
    received: int
    expected: int
    duplicates: int
    out_of_order: int
    from_response: list[float] = field(default_factory=list)
    from_request: list[float] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)
    by_message: dict[int, list[float]] = field(default_factory=dict)
    open_seconds: float = 0.0

    def trend(self, window: int = 10) -> tuple[float, float]:
        """Median latency (from request sent) of the first and of the last `window`
        messages: a rise means the server falls behind at this rate."""
        medians = [statistics.median(v) for _, v in sorted(self.by_message.items()) if v]
        if not medians:
            return math.nan, math.nan
        return statistics.median(medians[:window]), statistics.median(medians[-window:])

    problems: int = 0


def parse_content(key: str) -> tuple[int, int] | None:
    """`m=<index> t=<ns> s=<seq>` -> (index, ns)."""
    if not key.startswith("m="):
        return None
    index, stamp = key.split()[:2]
    return int(index[2:]), int(stamp[2:])


def seq_of(key: str) -> int:
    return int(key.rsplit(" s=", 1)[1])


async def measure_latency(
    setup: str,
    send_url: str,
    subscribe_url: str,
    token: str,
    conversation_id: str,
    clients: Clients,
    processes: int,
    subscribers: int,
    messages: int,
    rate: float,
) -> LatencyRow:
    log(f"latency {setup}: opening {subscribers} subscriptions …")
    sender = Sender(send_url, token, conversation_id)
    try:
        opened = await clients.open(
            subscribers,
            processes,
            subscribe_url,
            token,
            MESSAGE_ADDED,
            variables={"id": conversation_id},
            prefix="m=",
        )
        await confirm_live(clients, sender, processes)
        log(f"  opened and live in {opened:.1f}s; sending {messages} messages at {rate}/s")
        returned: dict[int, int] = {}
        sent_at: dict[int, int] = {}
        started = time.monotonic()
        for index in range(messages):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[index] = time.time_ns()
            await sender.send(f"m={index} t={sent_at[index]}")
            returned[index] = time.time_ns()
        await clients.wait(messages, "m=", timeout=60.0, processes=processes)
        records = await clients.records(processes)
        problems, examples = await clients.problems(processes)
        if problems:
            log(f"  client-side problems: {problems}: {examples}")
    finally:
        await sender.close()
        await clients.all({"cmd": "close"}, processes)

    row = LatencyRow(setup, subscribers, messages, rate, 0, subscribers * messages, 0, 0)
    row.open_seconds, row.problems = opened, problems
    row.round_trips = sorted((returned[i] - sent_at[i]) / 1e6 for i in returned)
    for subscriber in records:
        seen: set[int] = set()
        previous = -1
        for received, key in subscriber:
            parsed = parse_content(key)
            if parsed is None:
                continue
            index, sent = parsed
            if index in seen:
                row.duplicates += 1
                continue
            seen.add(index)
            if index < previous:
                row.out_of_order += 1
            previous = index
            row.from_response.append((received - returned[index]) / 1e6)
            row.from_request.append((received - sent) / 1e6)
            row.by_message.setdefault(index, []).append((received - sent) / 1e6)
        row.received += len(seen)
    row.from_response.sort()
    row.from_request.sort()
    return row


@dataclass
class ThroughputRow:
    setup: str
    subscribers: int
    senders: int
    sent: int
    send_seconds: float
    deliveries: int
    expected: int
    total_seconds: float
    drain_seconds: float
    delivering_cpu: float
    sending_cpu: float | None
    problems: int
    duplicates: int
    out_of_order: int


async def measure_throughput(
    setup: str,
    send_server: Server,
    subscribe_server: Server,
    token: str,
    conversation_id: str,
    clients: Clients,
    processes: int,
    subscribers: int,
    senders: int,
    seconds: float,
) -> ThroughputRow:
    log(f"throughput {setup}: {subscribers} subscribers, {senders} senders for {seconds:.0f}s")
    sender = Sender(send_server.base_url, token, conversation_id)
    same = send_server is subscribe_server
    try:
        await clients.open(
            subscribers,
            processes,
            subscribe_server.base_url.replace("http://", "ws://") + "/graphql",
            token,
            MESSAGE_ADDED,
            variables={"id": conversation_id},
            prefix="m=",
        )
        await confirm_live(clients, sender, processes)
        counter = iter(range(10**9))
        cpu_before = cpu_seconds(subscribe_server.process.pid)
        send_cpu_before = cpu_seconds(send_server.process.pid)
        first_send = time.time_ns()
        stop_at = time.monotonic() + seconds

        async def send_loop() -> int:
            sent = 0
            while time.monotonic() < stop_at:
                await sender.send(f"m={next(counter)} t={time.time_ns()}")
                sent += 1
            return sent

        sent = sum(await asyncio.gather(*(send_loop() for _ in range(senders))))
        last_send = time.time_ns()
        send_cpu = cpu_seconds(send_server.process.pid) - send_cpu_before
        log(f"  sent {sent} messages; waiting for delivery …")
        await clients.wait(sent, "m=", timeout=120.0, processes=processes)
        records = await clients.records(processes)
        cpu = cpu_seconds(subscribe_server.process.pid) - cpu_before
        problems, examples = await clients.problems(processes)
        if problems:
            log(f"  client-side problems: {problems}: {examples}")
    finally:
        await sender.close()
        await clients.all({"cmd": "close"}, processes)

    deliveries = duplicates = out_of_order = 0
    last_receipt = first_send
    for subscriber in records:
        ours = [(t, key) for t, key in subscriber if key.startswith("m=")]
        indices = {parsed[0] for _, key in ours if (parsed := parse_content(key))}
        deliveries += len(indices)
        duplicates += len(ours) - len(indices)
        seqs = [seq_of(key) for _, key in ours]  # commit order, not the senders' index order
        out_of_order += sum(1 for x, y in itertools.pairwise(seqs) if y <= x)
        last_receipt = max([last_receipt, *(t for t, _ in ours)])
    total = (last_receipt - first_send) / 1e9
    return ThroughputRow(
        setup=setup,
        subscribers=subscribers,
        senders=senders,
        sent=sent,
        send_seconds=(last_send - first_send) / 1e9,
        deliveries=deliveries,
        expected=sent * subscribers,
        total_seconds=total,
        drain_seconds=(last_receipt - last_send) / 1e9,
        delivering_cpu=cpu / total if total > 0 else math.nan,
        sending_cpu=None if same else send_cpu / ((last_send - first_send) / 1e9),
        problems=problems,
        duplicates=duplicates,
        out_of_order=out_of_order,
    )


@dataclass
class MemoryRow:
    label: str
    subscriptions: int
    rss_kib: int
    open_seconds: float | None = None


async def measure_memory(
    server: Server,
    token: str,
    conversation_id: str,
    clients: Clients,
    processes: int,
    counts: Sequence[int],
    deflate: bool,
    reopen: int,
) -> list[MemoryRow]:
    """RSS with 0, then counts[…] idle subscriptions; then `reopen` times: all closed, the
    largest count opened again (tells memory kept for reuse from memory leaked)."""
    pid = server.process.pid
    url = server.base_url.replace("http://", "ws://") + "/graphql"
    sender = Sender(server.base_url, token, conversation_id)
    rows: list[MemoryRow] = []

    async def settle_and_read(label: str, count: int, seconds: float | None) -> None:
        await asyncio.sleep(3)
        rows.append(MemoryRow(label, count, rss_kib(pid), seconds))
        log(f"  {label}: RSS {rows[-1].rss_kib / 1024:.1f} MiB")

    async def open_live(count: int) -> float:
        seconds = await clients.open(count, processes, url, token, INBOX_EVENTS, deflate=deflate)
        await confirm_live(clients, sender, processes, timeout=180, prefix="")
        return seconds

    try:
        # Warm-up: load everything a subscription touches once, then let it settle.
        await open_live(20)
        await clients.all({"cmd": "close"}, processes)
        await settle_and_read("0", 0, None)
        current = 0
        for count in counts:
            seconds = await open_live(count - current)
            current = count
            await settle_and_read(f"{count:,}", count, seconds)
        problems, examples = await clients.problems(processes)
        if problems:
            log(f"  client-side problems: {problems}: {examples}")
        await clients.all({"cmd": "close"}, processes)
        for cycle in range(1, reopen + 1):
            await settle_and_read(f"0 (all closed, cycle {cycle})", 0, None)
            seconds = await open_live(current)
            await settle_and_read(f"{current:,} (opened again, cycle {cycle})", current, seconds)
            await clients.all({"cmd": "close"}, processes)
    finally:
        await sender.close()
    return rows


# --- tables -----------------------------------------------------------------------------


def latency_table(rows: list[LatencyRow]) -> str:
    lines = [
        "| Setup | Subscribers | Messages (rate) | Received / expected (duplicates, out of order) "
        "| p50 (ms) | p99 (ms) "
        "| max (ms) | p50 / p99 from request sent (ms) | `sendMessage` round trip p50 (ms) "
        "| median from request sent, first → last 10 messages (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d, q = r.from_response, r.from_request
        first, last = r.trend()
        lines.append(
            f"| {r.setup} | {r.subscribers:,} | {r.messages} ({r.rate:g}/s) | "
            f"{r.received:,} / {r.expected:,} ({r.duplicates}, {r.out_of_order}) | "
            f"{percentile(d, 50):.1f} | "
            f"{percentile(d, 99):.1f} | {max(d, default=math.nan):.1f} | "
            f"{percentile(q, 50):.1f} / {percentile(q, 99):.1f} | "
            f"{percentile(r.round_trips, 50):.1f} | {first:.0f} → {last:.0f} |"
        )
    return "\n".join(lines)


def throughput_table(rows: list[ThroughputRow]) -> str:
    lines = [
        "| Setup | Subscribers | Sent (msg/s while sending) | Delivered / expected "
        "| Duplicates / out of order "
        "| Deliveries/s | Messages/s fanned out | Drain after last send (s) "
        "| Delivering server CPU | Sending server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        sending = "same process" if r.sending_cpu is None else f"{100 * r.sending_cpu:.0f}%"
        lines.append(
            f"| {r.setup} | {r.subscribers} | {r.sent:,} ({r.sent / r.send_seconds:.0f}/s) | "
            f"{r.deliveries:,} / {r.expected:,} | {r.duplicates} / {r.out_of_order} | "
            f"{r.deliveries / r.total_seconds:,.0f} | "
            f"{r.deliveries / r.subscribers / r.total_seconds:,.1f} | {r.drain_seconds:.1f} | "
            f"{100 * r.delivering_cpu:.0f}% | {sending} |"
        )
    return "\n".join(lines)


def memory_table(rows: list[MemoryRow]) -> str:
    base = rows[0].rss_kib
    lines = [
        "| Idle sockets (1 `inboxEvents` each) | RSS (MiB) | RSS − RSS(0) (MiB) "
        "| per subscription (KiB) | time to open (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        delta = r.rss_kib - base
        fresh = r.label[0].isdigit() and "(" not in r.label and r.subscriptions
        per = f"{delta / r.subscriptions:.1f}" if fresh else "–"
        opened = "–" if r.open_seconds is None else f"{r.open_seconds:.1f}"
        lines.append(
            f"| {r.label} | {r.rss_kib / 1024:.1f} | {delta / 1024:.1f} | {per} | {opened} |"
        )
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


async def run(args: argparse.Namespace, servers: dict[str, Server], token: str) -> None:
    m, a, b, r = servers["M"], servers["A"], servers["B"], servers["R"]
    conversation_id = await make_conversation(m.base_url, token)
    clients = Clients(args.client_processes)
    all_setups = {
        "a": ("(a) one process, memory://", m, m),
        "b": ("(b) send to A, subscribers on B, redis://", a, b),
    }
    setups = [all_setups[key] for key in args.setups]
    latency: list[LatencyRow] = []
    throughput: list[ThroughputRow] = []
    memory: list[MemoryRow] = []
    try:
        for label, send_to, subscribe_on in setups if "latency" in args.only else ():
            for count in args.subscribers:
                rate = args.rate if count < 1000 else args.rate_1000
                latency.append(
                    await measure_latency(
                        label,
                        send_to.base_url,
                        subscribe_on.base_url.replace("http://", "ws://") + "/graphql",
                        token,
                        conversation_id,
                        clients,
                        args.latency_processes,
                        count,
                        args.messages,
                        rate,
                    )
                )
                log(f"  -> {latency_table([latency[-1]]).splitlines()[-1]}")

        for label, send_to, subscribe_on in setups if "fanout" in args.only else ():
            throughput.append(
                await measure_throughput(
                    label,
                    send_to,
                    subscribe_on,
                    token,
                    conversation_id,
                    clients,
                    args.latency_processes,
                    args.fanout_subscribers,
                    args.senders,
                    args.seconds,
                )
            )
            log(f"  -> {throughput_table([throughput[-1]]).splitlines()[-1]}")

        if "memory" in args.only:
            log(f"memory: server R (pid {r.process.pid}), deflate={not args.no_deflate}")
            memory = await measure_memory(
                r,
                token,
                conversation_id,
                clients,
                args.client_processes,
                args.memory_counts,
                deflate=not args.no_deflate,
                reopen=args.reopen,
            )
    finally:
        clients.shutdown()

    if latency:
        print("\n### Delivery latency (`sendMessage` HTTP 200 → `messageAdded` at each subscriber)")
        print("\n" + latency_table(latency))
    if throughput:
        print("\n### Fan-out throughput\n")
        print(throughput_table(throughput))
    if memory:
        print("\n### Memory per idle subscription (server R, memory://)\n")
        print(memory_table(memory))


def main() -> None:
    parser = argparse.ArgumentParser(description="Parley live updates benchmark.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="Keep the database and logs.")
    parser.add_argument("--quick", action="store_true", help="Small numbers, a smoke test.")
    parser.add_argument("--port", type=int, default=18451, help="First of four ports.")
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="msg/s, 1 and 100 subscribers")
    parser.add_argument("--rate-1000", type=float, default=1.0, help="msg/s, 1000 subscribers")
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--fanout-subscribers", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders (fan-out)")
    parser.add_argument("--seconds", type=float, default=10.0, help="fan-out send time")
    parser.add_argument("--memory-counts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--no-deflate", action="store_true", help="memory: no permessage-deflate")
    parser.add_argument(
        "--reopen",
        type=int,
        default=0,
        metavar="N",
        help="memory: N times, close all and open the largest count again",
    )
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--latency-processes", type=int, default=2)
    parser.add_argument(
        "--only", nargs="+", default=["latency", "fanout", "memory"], help="what to measure"
    )
    parser.add_argument("--setups", nargs="+", default=["a", "b"], choices=["a", "b"])
    args = parser.parse_args()
    if args.quick:
        args.messages, args.subscribers, args.seconds = 10, [1, 20], 3.0
        args.memory_counts, args.fanout_subscribers = [100, 300], 20
    raise_open_files_limit()

    started = time.perf_counter()
    load_before = load_average()
    log(f"load average before: {load_before}")
    workdir = Path(tempfile.mkdtemp(prefix="parley_bench_live_"))
    servers: dict[str, Server] = {}
    try:
        log(f"creating {database_name(args.database_url)} and migrating …")
        asyncio.run(create_database(args.database_url))
        migrate(args.database_url)
        _, token = create_workspace(args.database_url)
        broadcast = {"M": "memory://", "A": args.redis_url, "B": args.redis_url, "R": "memory://"}
        for offset, (name, url) in enumerate(broadcast.items()):
            servers[name] = start_server(name, args.port + offset, args.database_url, url, workdir)
        for server in servers.values():
            wait_ready(server)
        asyncio.run(run(args, servers, token))
        for name, server in servers.items():
            count, examples = log_problems(server)
            if count:
                print(f"\nServer {name} logged {count} warning/error lines, e.g.:")
                for line in examples:
                    print(f"    {line}")
    finally:
        for server in servers.values():
            stop(server)
        if not args.keep:
            asyncio.run(drop_database(args.database_url))
            shutil.rmtree(workdir, ignore_errors=True)
            log(f"dropped {database_name(args.database_url)}")
        else:
            log(f"kept {database_name(args.database_url)} and logs in {workdir}")
    print(
        f"\n{os.cpu_count()} CPUs; load average before {load_before}, after {load_average()}; "
        f"total {time.perf_counter() - started:.0f}s."
    )


if __name__ == "__main__":
    main()
