"""Inbox page benchmark: Parley's GraphQL endpoint against a hand-written one.

Seeds a PostgreSQL database (bench/seed_inbox.py), starts Parley
(`python -m api serve --workers 1`) and the hand-written Starlette + asyncpg app
(bench/handwritten.py, 1 worker, same pool size), checks that both return byte-identical
JSON for the first two inbox pages, counts the database round trips each spends on a page, then
load-tests each with wrk and prints a markdown table. Stops both servers and drops the
database (unless --keep).

    .venv/bin/python bench/run_inbox.py [--skip-seed] [--keep] [--profile]

--profile: after the measurements, run wrk against Parley once more with py-spy attached to
its worker (`pip install py-spy` into the venv first) and print where the time goes.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg
from seed_inbox import (
    BENCH_SECRET_KEY,
    DEFAULT_DATABASE_URL,
    DEFAULT_STATE_FILE,
    database_name,
    drop_database,
)

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
POOL_SIZE = 10

PAGE_FIELDS = (
    "edges { cursor node { id title status messageCount lastMessageAt contact { name phone } "
    "lastMessage { content role seq } assignee { name } } } pageInfo { hasNextPage endCursor }"
)
INBOX_QUERY = "{ conversations(first: 20) { " + PAGE_FIELDS + " } }"
NEXT_PAGE_QUERY = (
    "query NextPage($after: String) { conversations(first: 20, after: $after) { "
    + PAGE_FIELDS
    + " } }"
)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    log: IO[bytes]


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str


# --- servers ----------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "BENCH_"))}
    return {**env, **extra}


def start_parley(database_url: str, port: int, workdir: Path) -> Server:
    env = _clean_env(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_SECRET_KEY=BENCH_SECRET_KEY,
        PARLEY_LOG_LEVEL="warning",
        PARLEY_DB_POOL_SIZE=str(POOL_SIZE),
        PARLEY_BROADCAST_URL="memory://",
    )
    command = [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", "1"]
    return _start("Parley", command, env, port, workdir)


def start_handwritten(database_url: str, port: int, workdir: Path) -> Server:
    env = _clean_env(BENCH_DATABASE_URL=database_url, PARLEY_SECRET_KEY=BENCH_SECRET_KEY)
    command = [
        sys.executable,
        str(BENCH / "handwritten.py"),
        "--port",
        str(port),
        "--pool-size",
        str(POOL_SIZE),
    ]
    return _start("hand-written", command, env, port, workdir)


def _start(name: str, command: list[str], env: dict[str, str], port: int, workdir: Path) -> Server:
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(name, process, f"http://127.0.0.1:{port}", log_path, log)


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.log_path.read_text()}")
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"{server.name} not ready after {timeout:.0f}s:\n{server.log_path.read_text()}"
    )


def stop(server: Server) -> None:
    """Stop the process we started (by its pid), politely first."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    server.log.close()


# --- requests ---------------------------------------------------------------------------


def parley_page(server: Server, api_key: str, after: str | None = None) -> bytes:
    if after is None:
        body: dict[str, Any] = {"query": INBOX_QUERY}
    else:
        body = {"query": NEXT_PAGE_QUERY, "variables": {"after": after}}
    request = urllib.request.Request(
        server.base_url + "/graphql",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


def handwritten_page(server: Server, api_key: str, after: str | None = None) -> bytes:
    query = "?first=20" + (f"&after={urllib.parse.quote(after)}" if after else "")
    request = urllib.request.Request(
        server.base_url + "/inbox" + query, headers={"Authorization": f"Bearer {api_key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


def check_identical(parley: Server, handwritten: Server, api_key: str) -> dict[str, Any]:
    """Pages 1 and 2 from both servers, byte for byte; returns page 1 (parsed)."""
    after: str | None = None
    first_page: dict[str, Any] = {}
    for number in (1, 2):
        ours, theirs = (
            parley_page(parley, api_key, after),
            handwritten_page(handwritten, api_key, after),
        )
        if ours != theirs:
            raise SystemExit(
                f"page {number} differs:\nParley:       {ours[:600]!r}\n"
                f"hand-written: {theirs[:600]!r}"
            )
        page = json.loads(ours)
        connection = page["data"]["conversations"]
        if len(connection["edges"]) != 20 or not connection["pageInfo"]["hasNextPage"]:
            raise SystemExit(f"page {number} is not a full page: {ours[:300]!r}")
        if number == 1:
            first_page = page
        after = connection["pageInfo"]["endCursor"]
    return first_page


async def _commits(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        value: int = await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return value
    finally:
        await conn.close()


STATS_FLUSH_WAIT = 11.0  # an idle backend flushes its statistics within 10 s (PostgreSQL 15)


def round_trips_per_page(
    database_url: str, fetchers: list[Callable[[], bytes]], samples: int = 40
) -> list[float]:
    """Database round trips each server spends on a page, from the database's commit
    counter: every statement outside a transaction commits once, and so does the reset
    asyncpg's pool runs when a connection goes back to the pool. Nothing else may use the
    bench database meanwhile."""
    for fetch in fetchers:
        for _ in range(3):
            fetch()  # prepared-statement caches warm, the API key's last_used_at fresh
    time.sleep(STATS_FLUSH_WAIT)
    results = []
    for fetch in fetchers:
        before = asyncio.run(_commits(database_url))
        reader = asyncio.run(_commits(database_url)) - before  # what one reading costs
        for _ in range(samples):
            fetch()
        time.sleep(STATS_FLUSH_WAIT)
        after = asyncio.run(_commits(database_url))
        results.append((after - before - 2 * reader) / samples)
    return results


# --- wrk --------------------------------------------------------------------------------


def wrk_script(workdir: Path, name: str, method: str, api_key: str, body: str | None) -> Path:
    lines = [
        f'wrk.method = "{method}"',
        f'wrk.headers["Authorization"] = "Bearer {api_key}"',
    ]
    if body is not None:
        lines += [
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = [==[{body}]==]",
        ]
    path = workdir / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, script: Path, *, seconds: int, threads: int, connections: int) -> WrkResult:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return parse_wrk(output)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unparsable wrk latency {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match.group(1)

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return WrkResult(
        requests_per_second=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"(\d+) requests in")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors.group(1) if errors else "none",
    )


def measure(name: str, url: str, script: Path, args: argparse.Namespace) -> WrkResult:
    print(f"  {name}: warm-up {args.warmup}s …", flush=True)
    run_wrk(url, script, seconds=args.warmup, threads=args.threads, connections=args.connections)
    print(f"  {name}: measuring {args.duration}s …", flush=True)
    result = run_wrk(
        url, script, seconds=args.duration, threads=args.threads, connections=args.connections
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {name}: {result.requests_per_second:,.0f} req/s; load average now {load}")
    if result.non_2xx or result.socket_errors != "none":
        print(f"  {name}: WARNING non-2xx={result.non_2xx} socket errors: {result.socket_errors}")
    return result


# --- profile ----------------------------------------------------------------------------

# Self time by the library the sampled leaf frame belongs to (first match, leaf upwards;
# py-spy names files relative to their sys.path entry).
LIBRARIES = (
    ("asyncpg (driver; its Cython protocol is not visible)", ("(asyncpg/",)),
    ("pypika (SQL text building)", ("(pypika",)),
    ("Tortoise ORM", ("(tortoise/",)),
    ("graphql-core (validation, execution)", ("(graphql/",)),
    ("strawberry", ("(strawberry/",)),
    ("Parley code (api/, models/)", ("(api/", "(models/")),
    ("starlette / uvicorn", ("(starlette/", "(uvicorn/middleware", "(uvicorn/protocols")),
    ("asyncio (Python part)", ("(asyncio/tasks", "(asyncio/futures", "(asyncio/queues")),
    ("event loop and I/O (uvloop, httptools: C)", ("Runner.run (asyncio/runners",)),
    ("json", ("(json/",)),
)
# Inclusive time of the request's phases (a sample counts for each phase on its stack).
PHASES = (
    ("strawberry Schema.execute (the whole GraphQL operation)", "execute (strawberry/schema/"),
    ("  graphql-core validate() (the validation cache misses)", "validate (graphql/validation/"),
    ("  resolver Query.conversations -> keyset_page", "keyset_page (api/core/pagination"),
    ("  DataLoader batches (contact, user, message loaders)", "dispatch_batch (strawberry/"),
    ("ParleyGraphQL.get_context (API key authentication)", "get_context (api/app.py"),
    ("Tortoise: Model._init_from_db (row -> model object)", "_init_from_db (tortoise/"),
    ("Tortoise: QuerySet._make_query (SQL building)", "_make_query (tortoise/"),
    ("asyncpg, all Python-level calls", "(asyncpg/"),
    ("asyncpg pool release (RESET query per released connection)", "release (asyncpg/pool"),
    ("strawberry result encoding (json.dumps)", "encode_json (strawberry/"),
)


def profile_parley(parley: Server, script: Path, workdir: Path, args: argparse.Namespace) -> None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("--profile: py-spy not found (pip install py-spy into the venv)")
        return
    raw = workdir / "parley.collapsed"
    seconds = args.profile_seconds
    spy = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(parley.process.pid),
            "--format",
            "raw",
            "--rate",
            "250",
            "--duration",
            str(seconds),
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)
    profiled = run_wrk(
        parley.base_url + "/graphql",
        script,
        seconds=seconds - 2,
        threads=args.threads,
        connections=args.connections,
    )
    _, err = spy.communicate(timeout=60)
    if spy.returncode != 0 or not raw.exists():
        print(f"--profile: py-spy failed: {err.decode()[-500:]}")
        return
    stacks = Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        stacks[stack] += int(samples)
    total = sum(stacks.values())
    by_library = Counter[str]()
    for stack, count in stacks.items():
        frames = stack.split(";")
        library = next(
            (
                label
                for frame in reversed(frames)
                for label, needles in LIBRARIES
                if any(n in frame for n in needles)
            ),
            "other (stdlib, generated code)",
        )
        by_library[library] += count
    print(
        f"\nProfile of the Parley worker under load (py-spy, {total} samples over ~{seconds}s, "
        f"{profiled.requests_per_second:.0f} req/s while sampled; raw stacks: {raw})\n"
    )
    print("| Self time in | share |\n|---|---:|")
    for label, count in by_library.most_common():
        print(f"| {label} | {100 * count / total:.1f}% |")
    print("\n| Inclusive time in | share |\n|---|---:|")
    for label, needle in PHASES:
        count = sum(c for stack, c in stacks.items() if needle in stack)
        print(f"| {label} | {100 * count / total:.1f}% |")
    print(
        "(inclusive shares undercount: graphql-core runs list items and DataLoader batches "
        "in separate asyncio tasks, whose stacks start at the event loop)"
    )
    if args.keep:
        print(f"(kept {raw})")


# --- main -------------------------------------------------------------------------------


def table(parley: WrkResult, hand: WrkResult, trips: list[float]) -> str:
    rows = [
        "| Endpoint | req/s | p50 (ms) | p99 (ms) | DB round trips / page | req/s ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, result, sql in (
        ("Parley (`POST /graphql`, strawberry + Tortoise)", parley, trips[0]),
        ("Hand-written (`GET /inbox`, Starlette + asyncpg)", hand, trips[1]),
    ):
        ratio = result.requests_per_second / hand.requests_per_second
        rows.append(
            f"| {label} | {result.requests_per_second:,.0f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {sql:.1f} | {ratio:.2f}× |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="Parley inbox page vs a hand-written endpoint.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--skip-seed", action="store_true", help="Reuse a seeded database.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--duration", type=int, default=20, help="Measured seconds per server.")
    parser.add_argument("--warmup", type=int, default=5, help="Warm-up seconds per server.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--parley-port", type=int, default=18431)
    parser.add_argument("--handwritten-port", type=int, default=18432)
    parser.add_argument("--profile", action="store_true", help="Profile Parley with py-spy.")
    parser.add_argument("--profile-seconds", type=int, default=15)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    started = time.perf_counter()
    if not args.skip_seed:
        print(f"Seeding {database_name(args.database_url)} …", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "seed_inbox.py"),
                "--database-url",
                args.database_url,
                "--state-file",
                str(args.state_file),
                "--secret-key",
                BENCH_SECRET_KEY,
            ],
            check=True,
        )
    state = json.loads(args.state_file.read_text())
    if state["database_url"] != args.database_url:
        raise SystemExit(f"{args.state_file} is for {state['database_url']}; seed again")
    api_key: str = state["api_key"]

    workdir = Path(tempfile.mkdtemp(prefix="parley_bench_"))
    servers: list[Server] = []
    try:
        parley = start_parley(args.database_url, args.parley_port, workdir)
        servers.append(parley)
        handwritten = start_handwritten(args.database_url, args.handwritten_port, workdir)
        servers.append(handwritten)
        wait_ready(parley)
        wait_ready(handwritten)

        check_identical(parley, handwritten, api_key)
        print("Both return identical JSON for pages 1 and 2 (byte for byte).", flush=True)
        print("Counting database round trips per page …", flush=True)
        trips = round_trips_per_page(
            args.database_url,
            [lambda: parley_page(parley, api_key), lambda: handwritten_page(handwritten, api_key)],
        )

        body = json.dumps({"query": INBOX_QUERY})
        parley_script = wrk_script(workdir, "parley", "POST", api_key, body)
        hand_script = wrk_script(workdir, "handwritten", "GET", api_key, None)
        print(
            f"wrk: {args.threads} threads, {args.connections} connections, "
            f"{args.warmup}s warm-up + {args.duration}s measured, per server",
            flush=True,
        )
        parley_result = measure("Parley", parley.base_url + "/graphql", parley_script, args)
        hand_result = measure(
            "hand-written", handwritten.base_url + "/inbox?first=20", hand_script, args
        )

        counts = ", ".join(f"{v:,} {k}" for k, v in state["counts"].items())
        print(f"\nInbox page, first 20 conversations; data: {counts}; {os.cpu_count()} CPUs\n")
        print(table(parley_result, hand_result, trips))
        ratio = parley_result.requests_per_second / hand_result.requests_per_second
        verdict = "meets" if ratio >= 0.5 else "misses"
        print(f"\nParley reaches {ratio:.2f}× the hand-written req/s ({verdict} the 0.5× target).")

        if args.profile:
            profile_parley(parley, parley_script, workdir, args)
    finally:
        for server in reversed(servers):
            stop(server)
        if not args.keep:
            asyncio.run(drop_database(args.database_url))
            args.state_file.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                args.state_file.parent.rmdir()  # only if now empty
            print(f"Dropped {database_name(args.database_url)}.")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"Total {time.perf_counter() - started:.0f}s.")


if __name__ == "__main__":
    main()
