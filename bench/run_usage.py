"""AI usage benchmark: ingest rate of usage reports, and analytics over a million calls.

Seeds PostgreSQL (bench/seed_usage.py: `python -m api migrate`, `python -m api workspace
create`, then 1,000,000 usage events with their daily rollup by COPY), starts one Parley
server (`python -m api serve --workers 1`, PARLEY_LOG_LEVEL=warning) and measures:

1. Ingest, into a second, empty workspace (so the analytics data stays exactly as seeded):
   (a) single `recordAiUsage` calls from N concurrent asyncio/httpx clients for a fixed
   time, (b) `recordAiUsageBatch` calls of 1000 events each, one after another. Then it
   checks in SQL that every sum Parley keeps agrees with the recorded events.
2. Analytics: `usageSummary` for one calendar month grouped by MODEL, DAY, OPERATION
   (daily rollup) and CONVERSATION (events), end to end over HTTP, and the equivalent SQL
   straight through asyncpg (wall time and EXPLAIN ANALYZE execution time); each summary's
   total is checked against a SUM over the events.

Prints markdown tables. Stops the server and drops the database (unless --keep).

    .venv/bin/python bench/run_usage.py [--skip-seed] [--keep] [--plans]
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from run_inbox import Server, start_parley, stop, wait_ready
from seed_inbox import BENCH_SECRET_KEY, database_name, drop_database
from seed_usage import (
    DEFAULT_DATABASE_URL,
    DEFAULT_STATE_FILE,
    EVENTS,
    create_workspace,
    seed,
    write_state,
)

REPO = Path(__file__).resolve().parent.parent

RECORD = """
mutation Record($input: RecordAiUsageInput!) {
  recordAiUsage(input: $input) {
    __typename
    ... on RecordAiUsagePayload { created usage { id costUsd } }
    ... on Error { code field message }
  }
}"""
RECORD_BATCH = """
mutation RecordBatch($input: RecordAiUsageBatchInput!) {
  recordAiUsageBatch(input: $input) {
    __typename
    ... on RecordAiUsageBatchPayload {
      recorded failed results { __typename ... on Error { code field message } }
    }
    ... on Error { code field message }
  }
}"""
TOTALS = (
    "requests inputTokens outputTokens cacheReadTokens cacheWriteTokens costUsd "
    "cacheHitRate avgLatencyMs"
)
SUMMARY = (
    "query Summary($r: DateRangeInput!, $top: Int) {{ usageSummary(period: $r, "
    "groupBy: [{group}], top: $top) {{ total {{ requests costUsd cacheHitRate }} "
    "rows {{ {keys} totals {{ " + TOTALS + " }} }} }} }}"
)

# (model, provider convention) of the ingest reports; all in the default catalog
INGEST_MODELS = (
    ("claude-haiku-4-5-20251001", False),
    ("gpt-4o-mini", True),
    ("claude-sonnet-4-5-20250929", False),
    ("gemini-2.5-flash", True),
)
INGEST_OPERATIONS = (("reply", "MOUTH"), ("lead_scoring", "BRAIN"))


# --- helpers ------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"load average: {load_average()}"


def usage_report(rng: random.Random, request_id: str) -> dict[str, Any]:
    """One LLM call as a bot worker reports it: a known model in its provider's token
    convention, reply or lead scoring, cache reads on most calls."""
    model, include_cache = rng.choice(INGEST_MODELS)
    operation, ai_type = rng.choice(INGEST_OPERATIONS)
    uncached = rng.randint(150, 2500)
    cache_read = rng.randint(1_000, 12_000) if rng.random() < 0.65 else 0
    cache_write = 0
    if not include_cache and rng.random() < 0.12:
        cache_write = rng.randint(500, 6_000)
    report: dict[str, Any] = {
        "model": model,
        "operation": operation,
        "aiType": ai_type,
        "inputTokensIncludeCache": include_cache,
        # OpenAI style counts the cached tokens in inputTokens; Anthropic style beside it
        "inputTokens": uncached + cache_read if include_cache else uncached,
        "cacheReadTokens": cache_read,
        "cacheWriteTokens": cache_write,
        "outputTokens": rng.randint(20, 700),
        "latencyMs": int(rng.lognormvariate(7.2, 0.6)),
        "requestId": request_id,
    }
    return report


def graphql_errors(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    if errors:
        return "; ".join(str(e.get("message")) for e in errors)[:300]
    return None


# --- where the CPU goes ------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds) of a process from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    server: float  # the Parley server process (and any children)
    postgres: dict[int, float]  # every PostgreSQL process, by pid
    client: float  # this process: the bench client

    def postgres_since(self, before: "CpuSnapshot") -> float:
        """CPU of PostgreSQL processes since `before` (a backend that exited meanwhile is
        left out, so this can undercount a little)."""
        return sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in self.postgres.items())


def cpu_snapshot(server_pid: int) -> CpuSnapshot:
    """CPU seconds so far of the server, of all PostgreSQL processes (the bench
    database's backends, the server's own, and anyone else's on this machine) and of
    this client process, from /proc."""
    server = 0.0
    postgres: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                name = comm.read().strip()
            ppid, seconds = _cpu_of(int(entry))
        except OSError:
            continue
        if int(entry) == server_pid or ppid == server_pid:
            server += seconds
        elif name == "postgres":
            postgres[int(entry)] = seconds
    return CpuSnapshot(server, postgres, time.process_time())


def server_cpu(server_pid: int) -> float:
    return _cpu_of(server_pid)[1]


def cpu_share(before: CpuSnapshot, after: CpuSnapshot, seconds: float) -> str:
    """CPU use over a window in % of one core, e.g. `Parley 97%, PostgreSQL 45%, ...`."""
    shares = (
        ("Parley", after.server - before.server),
        ("PostgreSQL (all)", after.postgres_since(before)),
        ("bench client", after.client - before.client),
    )
    return ", ".join(f"{label} {100 * cpu / seconds:.0f}%" for label, cpu in shares)


@dataclass
class ActivitySample:
    """Backends of the bench database sampled during a window (pg_stat_activity)."""

    samples: int = 0
    active: int = 0
    waiting_on_locks: int = 0
    lock_waits: Counter[str] = field(default_factory=Counter)
    blocked_in: Counter[str] = field(default_factory=Counter)  # the statements that wait

    def describe(self) -> str:
        if not self.samples:
            return "no samples"
        waits = ", ".join(f"{k} {v / self.samples:.1f}" for k, v in self.lock_waits.most_common(3))
        text = (
            f"on average {self.active / self.samples:.1f} active backends, "
            f"{self.waiting_on_locks / self.samples:.1f} of them waiting on a lock"
            + (f" ({waits})" if waits else "")
        )
        if self.blocked_in:
            total = sum(self.blocked_in.values())
            text += "; waiting in " + ", ".join(
                f"`{statement}` {100 * n / total:.0f}%"
                for statement, n in self.blocked_in.most_common(3)
            )
        return text


def statement_of(query: str) -> str:
    """`UPDATE "ai_budget_period"`, `INSERT INTO "event"` … of a statement's text."""
    words = query.split()
    if len(words) >= 3 and words[0].upper() == "INSERT":
        return " ".join(words[:3])
    if words and words[0].upper() == "UPDATE":
        return " ".join(words[:2])
    if words and words[0].upper() == "SELECT" and " FROM " in query:
        table = query.split(" FROM ", 1)[1].split()[0]
        return f"SELECT … FROM {table}" + (" FOR UPDATE" if "FOR UPDATE" in query else "")
    return " ".join(words[:2])


async def sample_activity(database_url: str, until: asyncio.Event, into: ActivitySample) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        while not until.is_set():
            rows = await conn.fetch(
                "SELECT state, wait_event_type, wait_event, left(query, 200) AS query "
                "FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            into.samples += 1
            for row in rows:
                if row["state"] == "active":
                    into.active += 1
                    if row["wait_event_type"] == "Lock":
                        into.waiting_on_locks += 1
                        into.lock_waits[str(row["wait_event"])] += 1
                        into.blocked_in[statement_of(str(row["query"]))] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), 0.1)
    finally:
        await conn.close()


# --- 1. ingest ----------------------------------------------------------------------------


@dataclass
class IngestResult:
    label: str
    clients: int
    calls: int
    events: int
    seconds: float
    latencies_ms: list[float]
    errors: Counter[str] = field(default_factory=Counter)
    cpu: str = ""
    server_cpu_seconds: float = 0.0  # over `events`
    activity: str = ""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class IngestTally:
    """Everything sent to the ingest workspace (warm-up and stragglers included), to check
    the database against."""

    created: int = 0
    errors: Counter[str] = field(default_factory=Counter)


async def ingest_single(
    base_url: str,
    api_key: str,
    *,
    server_pid: int,
    database_url: str,
    clients: int,
    warmup: float,
    seconds: float,
    tally: IngestTally,
    rng_seed: int,
) -> IngestResult:
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    window: dict[str, float] = {}
    stopping = asyncio.Event()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60.0
    ) as client:

        async def worker(number: int) -> None:
            rng = random.Random(rng_seed * 1000 + number)
            sent = 0
            while not stopping.is_set():
                body = {
                    "query": RECORD,
                    "variables": {"input": usage_report(rng, f"a-{run}-{number}-{sent}")},
                }
                sent += 1
                started = time.perf_counter()
                problem: str | None = None
                try:
                    response = await client.post("/graphql", json=body)
                    if response.status_code != 200:
                        problem = f"HTTP {response.status_code}"
                    else:
                        data = response.json()
                        problem = graphql_errors(data)
                        result = (data.get("data") or {}).get("recordAiUsage") or {}
                        if problem is None and result.get("__typename") != "RecordAiUsagePayload":
                            problem = f"{result.get('code')}: {result.get('message')}"
                        elif problem is None and not result.get("created"):
                            problem = "created: false for a new requestId"
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"[:200]
                finished = time.perf_counter()
                if problem is None:
                    tally.created += 1
                else:
                    tally.errors[problem] += 1
                in_window = (
                    "start" in window
                    and started >= window["start"]
                    and finished <= window.get("end", float("inf"))
                )
                if in_window and problem is None:
                    latencies.append((finished - started) * 1000)
                elif in_window and problem is not None:
                    errors[problem] += 1

        tasks = [asyncio.create_task(worker(n)) for n in range(clients)]
        await asyncio.sleep(warmup)
        activity = ActivitySample()
        sampled = asyncio.Event()
        sampler = asyncio.create_task(sample_activity(database_url, sampled, activity))
        cpu_before = cpu_snapshot(server_pid)
        window["start"] = time.perf_counter()
        await asyncio.sleep(seconds)
        window["end"] = time.perf_counter()
        cpu_after = cpu_snapshot(server_pid)
        sampled.set()
        stopping.set()
        await asyncio.gather(*tasks, sampler)
    measured = window["end"] - window["start"]
    return IngestResult(
        label="`recordAiUsage` (1 event per call)",
        clients=clients,
        calls=len(latencies) + sum(errors.values()),
        events=len(latencies),
        seconds=measured,
        latencies_ms=latencies,
        errors=errors,
        cpu=cpu_share(cpu_before, cpu_after, measured),
        server_cpu_seconds=cpu_after.server - cpu_before.server,
        activity=activity.describe(),
    )


async def ingest_batches(
    base_url: str,
    api_key: str,
    *,
    server_pid: int,
    database_url: str,
    calls: int,
    size: int,
    tally: IngestTally,
    rng_seed: int,
) -> IngestResult:
    run = uuid.uuid4().hex[:8]
    rng = random.Random(rng_seed)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    recorded_total = 0
    headers = {"Authorization": f"Bearer {api_key}"}
    activity = ActivitySample()
    sampled = asyncio.Event()
    sampler = asyncio.create_task(sample_activity(database_url, sampled, activity))
    cpu_before = cpu_snapshot(server_pid)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=600.0) as client:
        started_all = time.perf_counter()
        for call in range(calls):
            events = [usage_report(rng, f"b-{run}-{call}-{i}") for i in range(size)]
            body = {"query": RECORD_BATCH, "variables": {"input": {"events": events}}}
            started = time.perf_counter()
            response = await client.post("/graphql", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                errors[f"HTTP {response.status_code}"] += size
                tally.errors[f"HTTP {response.status_code}"] += size
                continue
            data = response.json()
            problem = graphql_errors(data)
            result = (data.get("data") or {}).get("recordAiUsageBatch") or {}
            if problem is None and result.get("__typename") != "RecordAiUsageBatchPayload":
                problem = f"{result.get('code')}: {result.get('message')}"
            if problem is not None:
                errors[problem] += size
                tally.errors[problem] += size
                continue
            latencies.append(elapsed)
            recorded = int(result["recorded"])
            recorded_total += recorded
            tally.created += recorded
            for member in result["results"]:
                if member.get("__typename") != "RecordAiUsagePayload":
                    message = f"{member.get('code')}: {member.get('message')}"
                    errors[message] += 1
                    tally.errors[message] += 1
            print(
                f"  batch {call + 1}/{calls}: {recorded} recorded, {result['failed']} failed "
                f"in {elapsed / 1000:.1f}s",
                flush=True,
            )
        seconds = time.perf_counter() - started_all
    cpu_after = cpu_snapshot(server_pid)
    sampled.set()
    await sampler
    return IngestResult(
        label=f"`recordAiUsageBatch` ({size} events per call)",
        clients=1,
        calls=calls,
        events=recorded_total,
        seconds=seconds,
        latencies_ms=latencies,
        errors=errors,
        cpu=cpu_share(cpu_before, cpu_after, seconds),
        server_cpu_seconds=cpu_after.server - cpu_before.server,
        activity=activity.describe(),
    )


@dataclass
class Check:
    what: str
    ok: bool
    detail: str


async def check_ingest(database_url: str, workspace_id: str, expected: int) -> list[Check]:
    """Do the sums Parley keeps agree with the events it recorded in the ingest workspace?"""
    conn = await asyncpg.connect(database_url)
    ws = uuid.UUID(workspace_id)
    checks: list[Check] = []
    try:
        has_pico = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'ai_usage_event' AND column_name = 'cost_pico'"
        )
        pico = "cost_pico" if has_pico else "(cost_usd * 1000000000000)::bigint"
        events = await conn.fetchrow(
            f"""SELECT count(*) AS n, count(cost_usd) AS priced,
                   coalesce(sum(uncached_input_tokens), 0) AS uncached,
                   coalesce(sum(cache_read_tokens), 0) AS cache_read,
                   coalesce(sum(cache_write_tokens), 0) AS cache_write,
                   coalesce(sum(output_tokens), 0) AS output,
                   coalesce(sum(cost_usd), 0) AS cost_usd,
                   coalesce(sum({pico}), 0)::numeric AS cost_pico,
                   count(*) FILTER (WHERE cost_usd IS NOT NULL
                                    AND {pico} <> (cost_usd * 1000000000000)::bigint) AS pico_off
               FROM ai_usage_event WHERE workspace_id = $1""",
            ws,
        )
        checks.append(
            Check(
                "usage events recorded = successful calls",
                events["n"] == expected,
                f"{events['n']:,} events, {expected:,} reported created",
            )
        )
        checks.append(
            Check(
                "every event priced",
                events["priced"] == events["n"],
                f"{events['n'] - events['priced']} unpriced",
            )
        )
        if has_pico:
            checks.append(
                Check(
                    "event cost_pico = cost_usd × 10¹²",
                    events["pico_off"] == 0,
                    f"{events['pico_off']} events differ",
                )
            )
        has_micro = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'ai_usage_daily' AND column_name = 'cost_micro'"
        )
        # counters that grow are whole micro-USD plus the pico-USD remainder, when split
        micro = "sum(cost_micro)::numeric * 1000000 + " if has_micro else ""
        daily_pico = (
            f"{micro}sum(cost_pico)" if has_pico else "sum((cost_usd * 1000000000000)::bigint)"
        )
        daily = await conn.fetchrow(
            f"""SELECT coalesce(sum(requests), 0) AS n, coalesce(sum(uncached_input_tokens), 0)
                   AS uncached, coalesce(sum(cache_read_tokens), 0) AS cache_read,
                   coalesce(sum(cache_write_tokens), 0) AS cache_write,
                   coalesce(sum(output_tokens), 0) AS output,
                   coalesce(sum(cost_usd), 0) AS cost_usd,
                   coalesce({daily_pico}, 0)::numeric AS cost_pico
               FROM ai_usage_daily WHERE workspace_id = $1""",
            ws,
        )
        names = ("n", "uncached", "cache_read", "cache_write", "output", "cost_usd", "cost_pico")
        differing = [n for n in names if daily[n] != events[n]]
        checks.append(
            Check(
                "daily rollup = sums of the events",
                not differing,
                "all sums equal"
                if not differing
                else "; ".join(f"{n}: rollup {daily[n]} vs events {events[n]}" for n in differing),
            )
        )
        spent_micro = "sum(spent_micro)::numeric * 1000000 + " if has_micro else ""
        spent = await conn.fetchval(
            f"SELECT coalesce({spent_micro}sum(spent_pico), 0)::numeric FROM ai_budget_period "
            "WHERE workspace_id = $1",
            ws,
        )
        checks.append(
            Check(
                "budget period spent = cost of the events",
                spent == events["cost_pico"],
                f"spent_pico {spent:,} vs events {events['cost_pico']:,}",
            )
        )
        published = await conn.fetchval(
            "SELECT count(*) FROM event WHERE workspace_id = $1 AND type = 'usage.recorded'", ws
        )
        checks.append(
            Check(
                "one usage.recorded event per call",
                published == events["n"],
                f"{published:,} usage.recorded for {events['n']:,} calls",
            )
        )
    finally:
        await conn.close()
    return checks


# --- 2. analytics -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One usageSummary request and the SQL that computes the same groups."""

    label: str
    group: str
    keys: str  # the row's group-key fields
    source: str
    sql: str
    top: int | None = None


ROLLUP_SUMS = (
    "sum(requests), sum(unpriced_requests), sum(uncached_input_tokens), "
    "sum(cache_read_tokens), sum(cache_write_tokens), sum(output_tokens), sum(cost_pico), "
    "sum(latency_sum_ms), sum(latency_count)"
)
EVENT_SUMS = (
    "count(id), count(cost_pico), sum(uncached_input_tokens), sum(cache_read_tokens), "
    "sum(cache_write_tokens), sum(output_tokens), sum(cost_pico), sum(latency_ms), "
    "count(latency_ms)"
)


def rollup_sql(column: str) -> str:
    return (
        f"SELECT {column}, {ROLLUP_SUMS} FROM ai_usage_daily "
        f"WHERE workspace_id = $1 AND day >= $2 AND day < $3 GROUP BY {column}"
    )


def event_sql(column: str) -> str:
    return (
        f"SELECT {column}, {EVENT_SUMS} FROM ai_usage_event "
        "WHERE workspace_id = $1 AND occurred_at >= $2 AND occurred_at < $3 "
        f"GROUP BY {column}"
    )


SPECS = (
    Spec("groupBy: [MODEL]", "MODEL", "model", "rollup", rollup_sql("model_key")),
    Spec("groupBy: [DAY]", "DAY", "day", "rollup", rollup_sql("day")),
    Spec("groupBy: [OPERATION]", "OPERATION", "operation", "rollup", rollup_sql("operation")),
    Spec(
        "groupBy: [CONVERSATION] (all groups)",
        "CONVERSATION",
        "conversationId",
        "events",
        event_sql("conversation_id"),
    ),
    Spec(
        "groupBy: [CONVERSATION], top: 20",
        "CONVERSATION",
        "conversationId conversation { title }",
        "events",
        event_sql("conversation_id"),  # Parley takes the top N in Python
        top=20,
    ),
)


async def parley_sql(database_url: str, specs: Sequence[Spec]) -> tuple[list[Spec], str]:
    """The specs with the SQL Parley's analytics module itself builds (Tortoise's `.sql()`
    of the same query), so the DB column times exactly what the server runs; the
    hand-written SQL when that module's internals have moved."""
    from tortoise import Tortoise

    from api.settings import tortoise_config

    try:
        import models
        from api.usage import aggregates

        await Tortoise.init(config=tortoise_config(database_url))
        try:
            ws, day = uuid.uuid4(), date(2030, 1, 1)
            moment = datetime(2030, 1, 1, tzinfo=UTC)
            result = []
            for spec in specs:
                dimension = aggregates.Dimension(spec.group)
                if spec.source == "rollup":
                    aggregates = aggregates.rollup_aggregates()
                    column = aggregates.ROLLUP_COLUMNS[dimension]
                    query = models.AiUsageDaily.filter(workspace_id=ws, day__gte=day, day__lt=day)
                else:
                    aggregates = aggregates.event_aggregates()
                    column = aggregates.EVENT_COLUMNS[dimension]
                    query = aggregates.events_in(ws, moment, moment)
                sql = (
                    query.annotate(**aggregates).group_by(column).values(column, *aggregates).sql()
                )
                result.append(replace(spec, sql=sql))
            return result, "the SQL Parley builds (api/usage/aggregates.py, Tortoise `.sql()`)"
        finally:
            await Tortoise.close_connections()
    except Exception as error:  # the module is someone else's and still moving
        return list(specs), f"hand-written equivalent SQL (Parley's not available: {error!r})"


@dataclass
class AnalyticsResult:
    spec: Spec
    rows: int
    total_requests: int
    total_cost: Decimal
    graphql_ms: list[float]
    sql_ms: list[float]
    sql_rows: int
    explain_ms: list[float]
    plan: str
    problems: list[str] = field(default_factory=list)
    server_cpu_ms: float = 0.0  # Parley's CPU per request


def analysis_month(first_at: datetime, last_at: datetime) -> tuple[datetime, datetime]:
    """The latest whole calendar month (UTC) inside the seeded data."""
    month = date(last_at.year, last_at.month, 1)
    while True:
        start = datetime(month.year, month.month, 1, tzinfo=UTC)
        end_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = datetime(end_month.year, end_month.month, 1, tzinfo=UTC)
        if start >= first_at and end <= last_at:
            return start, end
        month = (start - timedelta(days=1)).date().replace(day=1)
        if start < first_at:
            raise SystemExit("the seeded data holds no whole calendar month")


async def time_graphql(
    base_url: str,
    api_key: str,
    spec: Spec,
    start: datetime,
    end: datetime,
    runs: int,
    warmup: int,
    server_pid: int,
) -> tuple[list[float], dict[str, Any], list[str], float]:
    query = SUMMARY.format(group=spec.group, keys=spec.keys)
    variables = {"r": {"start": start.isoformat(), "end": end.isoformat()}, "top": spec.top}
    headers = {"Authorization": f"Bearer {api_key}"}
    latencies: list[float] = []
    problems: list[str] = []
    last: dict[str, Any] = {}
    cpu_start = 0.0
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120.0) as client:
        for run in range(warmup + runs):
            if run == warmup:
                cpu_start = server_cpu(server_pid)
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                problems.append(f"HTTP {response.status_code}: {response.text[:300]}")
                break
            body = response.json()
            problem = graphql_errors(body)
            if problem:
                problems.append(problem)
                break
            last = body["data"]["usageSummary"]
            if run >= warmup:
                latencies.append(elapsed)
    cpu_ms = 1000 * (server_cpu(server_pid) - cpu_start) / len(latencies) if latencies else 0.0
    return latencies, last, problems, cpu_ms


async def time_sql(
    conn: asyncpg.Connection, spec: Spec, args: Sequence[Any], runs: int, warmup: int
) -> tuple[list[float], int, list[float], str]:
    latencies: list[float] = []
    rows: list[asyncpg.Record] = []
    for run in range(warmup + runs):
        started = time.perf_counter()
        rows = await conn.fetch(spec.sql, *args)
        if run >= warmup:
            latencies.append((time.perf_counter() - started) * 1000)
    executions: list[float] = []
    plan_text = ""
    for _ in range(5):
        explained = await conn.fetchval(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + spec.sql, *args
        )
        plan = json.loads(explained)[0]
        executions.append(float(plan["Planning Time"]) + float(plan["Execution Time"]))
    plan_text = "\n".join(
        r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + spec.sql, *args)
    )
    return latencies, len(rows), executions, plan_text


async def run_analytics(
    base_url: str,
    api_key: str,
    database_url: str,
    workspace_id: str,
    start: datetime,
    end: datetime,
    *,
    runs: int,
    warmup: int,
    server_pid: int,
) -> tuple[list[AnalyticsResult], dict[str, Any], str]:
    ws = uuid.UUID(workspace_id)
    conn = await asyncpg.connect(database_url)
    try:
        truth = await conn.fetchrow(
            "SELECT count(*) AS requests, sum(cost_usd) AS cost, "
            "count(DISTINCT conversation_id) AS conversations, "
            "count(*) FILTER (WHERE conversation_id IS NULL) AS without_conversation "
            "FROM ai_usage_event WHERE workspace_id = $1 AND occurred_at >= $2 "
            "AND occurred_at < $3",
            ws,
            start,
            end,
        )
        specs, sql_source = await parley_sql(database_url, SPECS)
        print(f"  DB timings use {sql_source}", flush=True)
        results = []
        for spec in specs:
            print(f"  {spec.label} …", flush=True)
            graphql_ms, summary, problems, cpu_ms = await time_graphql(
                base_url, api_key, spec, start, end, runs, warmup, server_pid
            )
            rows = len(summary.get("rows", [])) if summary else 0
            total = summary.get("total", {}) if summary else {}
            requests = int(total.get("requests", 0))
            cost = Decimal(str(total.get("costUsd", "0")))
            if summary and requests != truth["requests"]:
                problems.append(
                    f"total.requests {requests:,} but the events hold {truth['requests']:,}"
                )
            if summary and cost != truth["cost"]:
                problems.append(f"total.costUsd {cost} but the events sum to {truth['cost']}")
            sql_args = (
                (ws, start.date(), end.date()) if spec.source == "rollup" else (ws, start, end)
            )
            sql_ms, sql_rows, explain_ms, plan = await time_sql(conn, spec, sql_args, runs, warmup)
            if summary and spec.top is None and rows != sql_rows:
                problems.append(f"{rows} rows but the SQL gives {sql_rows} groups")
            results.append(
                AnalyticsResult(
                    spec,
                    rows,
                    requests,
                    cost,
                    graphql_ms,
                    sql_ms,
                    sql_rows,
                    explain_ms,
                    plan,
                    problems,
                    cpu_ms,
                )
            )
            for problem in problems:
                print(f"    PROBLEM: {problem}", flush=True)
        return results, dict(truth), sql_source
    finally:
        await conn.close()


# --- tables -------------------------------------------------------------------------------


def ingest_table(results: Sequence[IngestResult]) -> str:
    lines = [
        "| Mutation | clients | calls | events | events/s | p50 / call (ms) | "
        "p99 / call (ms) | Parley CPU / event (ms) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p50 = percentile(r.latencies_ms, 50) if r.latencies_ms else float("nan")
        p99 = percentile(r.latencies_ms, 99) if r.latencies_ms else float("nan")
        lines.append(
            f"| {r.label} | {r.clients} | {r.calls:,} | {r.events:,} | "
            f"{r.events_per_second:,.0f} | {p50:,.1f} | {p99:,.1f} | "
            f"{1000 * r.server_cpu_seconds / max(1, r.events):.1f} | {sum(r.errors.values())} |"
        )
    return "\n".join(lines)


def analytics_table(results: Sequence[AnalyticsResult]) -> str:
    lines = [
        "| `usageSummary` (one month) | reads | rows | GraphQL p50 (ms) | GraphQL p99 (ms) | "
        "Parley CPU / request (ms) | SQL via asyncpg p50 (ms) | SQL p99 (ms) | "
        "DB time, EXPLAIN ANALYZE (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:

        def cell(values: Sequence[float], p: float) -> str:
            return f"{percentile(values, p):,.1f}" if values else "n/a"

        explain = f"{statistics.median(r.explain_ms):,.1f}" if r.explain_ms else "n/a"
        lines.append(
            f"| {r.spec.label} | {r.spec.source} | {r.rows:,} | {cell(r.graphql_ms, 50)} | "
            f"{cell(r.graphql_ms, 99)} | {r.server_cpu_ms:,.1f} | {cell(r.sql_ms, 50)} | "
            f"{cell(r.sql_ms, 99)} | "
            f"{explain} |"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Parley AI usage: ingest rate and analytics.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--skip-seed", action="store_true", help="Reuse a seeded database.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--events", type=int, default=EVENTS, help="Usage events to seed.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent single callers.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Seconds before measuring.")
    parser.add_argument("--seconds", type=float, default=15.0, help="Measured single calls.")
    parser.add_argument("--batch-calls", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20, help="Timed runs per analytics query.")
    parser.add_argument("--port", type=int, default=18441)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-analytics", action="store_true")
    parser.add_argument("--plans", action="store_true", help="Print the EXPLAIN ANALYZE plans.")
    args = parser.parse_args()
    database_name(args.database_url)

    started = time.perf_counter()
    load_before = uptime()
    print(f"before: {load_before}", flush=True)
    if not args.skip_seed:
        print(f"Seeding {database_name(args.database_url)} …", flush=True)
        seeded = seed(args.database_url, events=args.events, secret_key=BENCH_SECRET_KEY)
        write_state(seeded, args.state_file)
        for warning in seeded.warnings:
            print(f"  note: {warning}")
        print(
            "  "
            + ", ".join(f"{k} {v:.1f}s" for k, v in seeded.seconds.items())
            + f"; migrations: {', '.join(seeded.migrations)}",
            flush=True,
        )
    if not args.state_file.exists():
        raise SystemExit(f"no {args.state_file}: run once without --skip-seed (and with --keep)")
    state = json.loads(args.state_file.read_text())
    if state["database_url"] != args.database_url:
        raise SystemExit(f"{args.state_file} is for {state['database_url']}; seed again")

    workdir = Path(tempfile.mkdtemp(prefix="parley_bench_usage_"))
    server: Server | None = None
    ingest: list[IngestResult] = []
    checks: list[Check] = []
    tally = IngestTally()
    analytics: list[AnalyticsResult] = []
    truth: dict[str, Any] = {}
    sql_source = ""
    month = analysis_month(
        datetime.fromisoformat(state["first_at"]), datetime.fromisoformat(state["last_at"])
    )
    try:
        server = start_parley(args.database_url, args.port, workdir)
        wait_ready(server)
        if not args.skip_ingest:
            ingest_ws, ingest_key = create_workspace(
                args.database_url, f"bench-ingest-{uuid.uuid4().hex[:6]}", BENCH_SECRET_KEY
            )
            print(
                f"Ingest (a): {args.clients} clients, {args.warmup:.0f}s warm-up + "
                f"{args.seconds:.0f}s measured; load average {load_average()}",
                flush=True,
            )
            ingest.append(
                asyncio.run(
                    ingest_single(
                        server.base_url,
                        ingest_key,
                        server_pid=server.process.pid,
                        database_url=args.database_url,
                        clients=args.clients,
                        warmup=args.warmup,
                        seconds=args.seconds,
                        tally=tally,
                        rng_seed=1,
                    )
                )
            )
            print(
                f"  {ingest[-1].events_per_second:,.0f} events/s; load average {load_average()}",
                flush=True,
            )
            print(
                f"Ingest (b): {args.batch_calls} × recordAiUsageBatch of {args.batch_size}",
                flush=True,
            )
            ingest.append(
                asyncio.run(
                    ingest_batches(
                        server.base_url,
                        ingest_key,
                        server_pid=server.process.pid,
                        database_url=args.database_url,
                        calls=args.batch_calls,
                        size=args.batch_size,
                        tally=tally,
                        rng_seed=2,
                    )
                )
            )
            print(f"  load average {load_average()}", flush=True)
            checks = asyncio.run(check_ingest(args.database_url, ingest_ws, tally.created))
        if not args.skip_analytics:
            print(
                f"Analytics: {month[0].date()} – {month[1].date()} (exclusive), "
                f"{args.runs} runs each after 2 warm-ups",
                flush=True,
            )
            analytics, truth, sql_source = asyncio.run(
                run_analytics(
                    server.base_url,
                    state["api_key"],
                    args.database_url,
                    state["workspace_id"],
                    *month,
                    runs=args.runs,
                    warmup=2,
                    server_pid=server.process.pid,
                )
            )
    finally:
        if server is not None:
            stop(server)
            log = server.log_path.read_text(errors="replace")
            if log.strip():
                print(f"\nServer log (last 2000 characters):\n{log[-2000:]}")
        if not args.keep:
            asyncio.run(drop_database(args.database_url))
            args.state_file.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                args.state_file.parent.rmdir()
            print(f"Dropped {database_name(args.database_url)}.")
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = uptime()

    counts = ", ".join(f"{v:,} {k}" for k, v in state["counts"].items())
    print(f"\n## Results ({os.cpu_count()} CPUs)\n")
    print(f"Data: {counts}; events from {state['first_at'][:16]} to {state['last_at'][:16]}.")
    if ingest:
        print("\n### Ingest (one server process, PostgreSQL)\n")
        print(ingest_table(ingest))
        print()
        for r in ingest:
            print(f"- {r.label}: CPU (% of one core) {r.cpu}; PostgreSQL: {r.activity}")
        for r in ingest:
            for message, n in r.errors.most_common(5):
                print(f"- {r.label}: {n} × {message}")
        if tally.errors:
            print(f"- all calls incl. warm-up: {sum(tally.errors.values())} errors")
        print("\nChecks after ingest (SQL over the ingest workspace):\n")
        for check in checks:
            print(f"- {'OK' if check.ok else 'WRONG'}: {check.what} ({check.detail})")
    if analytics:
        print(
            f"\n### Analytics over {truth['requests']:,} events in the month "
            f"({month[0].date()} to {month[1].date()}, {truth['conversations']:,} "
            "conversations)\n"
        )
        print(analytics_table(analytics))
        print(f"\nDB columns: {sql_source}, with the same parameters, one connection.")
        bad = [a for a in analytics if a.problems]
        for a in bad:
            for problem in a.problems:
                print(f"- PROBLEM {a.spec.label}: {problem}")
        if not bad:
            print(
                f"\nEvery summary's total equals the SUM over the events "
                f"({truth['requests']:,} requests, {truth['cost']} USD)."
            )
        if args.plans:
            for a in analytics:
                print(f"\n#### {a.spec.label}\n\n```sql\n{a.spec.sql}\n```\n\n```\n{a.plan}\n```")
    print(f"\nbefore: {load_before}\nafter:  {load_after}")
    print(f"Total {time.perf_counter() - started:.0f}s.")


if __name__ == "__main__":
    main()
