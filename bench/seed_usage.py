"""Seed a PostgreSQL database for the AI usage benchmark, fast.

Creates the database (dropping a previous one of the same name), migrates it with
`python -m api migrate` (which installs the default price catalog), creates the workspace
with `python -m api workspace create --name bench --json`, then bulk-loads with asyncpg
COPY straight into the real tables:

* 8 members, 8,000 contacts and 20,000 conversations (no chat messages);
* 1,000,000 `ai_usage_event` rows over the last 90 days, priced from the catalog's
  price versions exactly as Parley prices them (integer pico-USD, checked against
  `api.usage.pricing.cost_of` on a sample);
* the `ai_usage_daily` rollup, the conversations' and contacts' token/cost totals and the
  monthly `ai_budget_period` counters, all computed from the same generated events (the
  runner checks the rollup against a GROUP BY over the events).

The column lists are checked against the migrated database at run time: a column the
seeder does not know (a newer migration) stops it with the column named, unless it is a
known derived column (`cost_pico`, filled as the integer pico-USD of `cost_usd`) or is
nullable / has a default (then it is left to its default, with a warning).

    .venv/bin/python bench/seed_usage.py [--database-url URL] [--events N] [--state-file P]
"""

import argparse
import asyncio
import json
import operator
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from seed_inbox import (
    BENCH_SECRET_KEY,
    FIRST_NAMES,
    LAST_NAMES,
    create_database,
    database_name,
    migrate,
)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_usage"
DEFAULT_STATE_FILE = Path(tempfile.gettempdir()) / "parley_bench_usage" / "state.json"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EVENTS = 1_000_000
DAYS = 90
MEMBERS = 8
CONTACTS = 8_000
CONVERSATIONS = 20_000
CONVERSATION_WINDOW_DAYS = 3  # an event belongs to a conversation started in the last 3 days
CHUNK = 100_000  # events generated and copied per COPY

# (model key, share of calls); all in the default catalog
MODEL_MIX: tuple[tuple[str, float], ...] = (
    ("claude-haiku-4-5-20251001", 0.35),
    ("gpt-4o-mini", 0.25),
    ("claude-sonnet-4-5-20250929", 0.10),
    ("gpt-4.1-mini", 0.12),
    ("gemini-2.5-flash", 0.12),
    ("gpt-4o", 0.06),
)
# (operation, AI type, share of calls); "" is what Parley stores for "no AI type"
OPERATION_MIX: tuple[tuple[str, str, float], ...] = (
    ("reply", "MOUTH", 0.50),
    ("followup", "MOUTH", 0.08),
    ("lead_scoring", "BRAIN", 0.15),
    ("intent_detection", "BRAIN", 0.12),
    ("summarize", "BRAIN", 0.10),
    ("translation", "", 0.05),
)
USER_SHARE = 0.10  # calls made for a member (agent assist)
NO_CONVERSATION_SHARE = 0.08  # calls outside any conversation (contact only or nothing)
NO_LATENCY_SHARE = 0.02

EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "updated_at",
    "reported_model",
    "model_key",
    "provider",
    "operation",
    "ai_type",
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "input_tokens_include_cache",
    "latency_ms",
    "request_id",
    "occurred_at",
    "cost_usd",
    "contact_id",
    "conversation_id",
    "message_id",
    "model_id",
    "price_id",
    "reservation_id",
    "user_id",
    "workspace_id",
)
DAILY_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "updated_at",
    "day",
    "model_key",
    "provider",
    "operation",
    "ai_type",
    "requests",
    "unpriced_requests",
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "cost_usd",
    "latency_sum_ms",
    "latency_count",
    "workspace_id",
)
# Columns a newer migration may add that the seeder can derive; generated rows carry them
# after the base columns and they are copied only when the table has them.
DERIVED_COLUMNS: tuple[str, ...] = ("cost_pico",)
USER_COLUMNS = ("id", "created_at", "updated_at", "email", "name", "password_hash")
MEMBERSHIP_COLUMNS = ("id", "created_at", "updated_at", "role", "user_id", "workspace_id")
CONTACT_COLUMNS = _words(
    "id created_at updated_at name phone email handles lead_status lead_score "
    "lead_temperature score_updated_at attributes labels total_tokens total_cost "
    "workspace_id"
)
CONVERSATION_COLUMNS = _words(
    "id created_at updated_at channel status snoozed_until priority ai_state "
    "handoff_reason handoff_at title labels archived message_count last_message_id "
    "last_message_at last_activity_at waiting_since first_reply_at total_tokens "
    "total_cost assignee_id contact_id workspace_id"
)
PERIOD_COLUMNS = _words(
    "id created_at updated_at period_start limit_pico mode spent_pico reserved_pico "
    "threshold_notified workspace_id"
)


def pico_to_usd(pico: int) -> Decimal:
    return Decimal(pico).scaleb(-12)


# --- the catalog as migrated ------------------------------------------------------------


@dataclass(frozen=True)
class PricedModel:
    """A catalog model and its list price, in micro-USD per million tokens (integers: a
    token count times one of them is an exact cost in pico-USD)."""

    key: str
    provider: str
    model_id: uuid.UUID
    price_id: uuid.UUID
    input: int
    output: int
    cache_read: int
    cache_write: int
    cache_write_1h: int
    include_cache: bool  # the convention its provider reports in
    prices: Any = None  # api.usage.pricing.ModelPrices, for the cross-check


def _micro(value: Decimal) -> int:
    scaled = value.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise SystemExit(f"seed_usage: price {value} per MTok has more than 6 decimal places")
    return int(scaled)


async def load_catalog(conn: asyncpg.Connection, keys: Iterable[str]) -> dict[str, PricedModel]:
    """The models' current list prices (the latest shared version; after `parley migrate`
    there is one per model, in force since 1970, so it prices the whole 90 days)."""
    from api.usage.pricing import ModelPrices

    result: dict[str, PricedModel] = {}
    for key in keys:
        row = await conn.fetchrow(
            """
            SELECT m.id AS model_id, m.provider, p.id AS price_id, p.effective_from,
                   p.input_per_mtok, p.output_per_mtok, p.cache_read_per_mtok,
                   p.cache_write_per_mtok, p.cache_write_1h_per_mtok
            FROM ai_model m JOIN ai_model_price p ON p.model_id = m.id AND p.workspace_id IS NULL
            WHERE m.scope = '' AND m.key = $1
            ORDER BY p.effective_from DESC, p.created_at DESC LIMIT 1
            """,
            key,
        )
        if row is None:
            raise SystemExit(f"seed_usage: {key!r} is not in the default catalog any more")
        prices = ModelPrices(
            input_per_mtok=row["input_per_mtok"],
            output_per_mtok=row["output_per_mtok"],
            cache_read_per_mtok=row["cache_read_per_mtok"],
            cache_write_per_mtok=row["cache_write_per_mtok"],
            cache_write_1h_per_mtok=row["cache_write_1h_per_mtok"],
        )
        if row["effective_from"] > datetime.now(UTC) - timedelta(days=DAYS + 1):
            raise SystemExit(f"seed_usage: {key!r}'s price is newer than the seeded period")
        result[key] = PricedModel(
            key=key,
            provider=row["provider"],
            model_id=row["model_id"],
            price_id=row["price_id"],
            input=_micro(prices.input_per_mtok),
            output=_micro(prices.output_per_mtok),
            cache_read=_micro(prices.effective_cache_read_per_mtok),
            cache_write=_micro(prices.effective_cache_write_per_mtok),
            cache_write_1h=_micro(prices.effective_cache_write_1h_per_mtok),
            include_cache=row["provider"] != "anthropic",
            prices=prices,
        )
    return result


# --- columns of the migrated tables -------------------------------------------------------


@dataclass(frozen=True)
class TableColumns:
    table: str
    copy_columns: list[str]  # what COPY writes
    picker: Callable[[tuple[Any, ...]], Any] | None  # generated row -> copied row (None: as is)
    left_to_default: list[str]


async def plan_columns(
    conn: asyncpg.Connection, table: str, base: Sequence[str], derived: Sequence[str] = ()
) -> TableColumns:
    """Match the generated columns (base, then derived) to the table as migrated now."""
    rows = await conn.fetch(
        "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    actual = {r["column_name"]: r for r in rows}
    if not actual:
        raise SystemExit(f"seed_usage: no table {table!r}; did `python -m api migrate` run?")
    missing = [c for c in base if c not in actual]
    if missing:
        raise SystemExit(f"seed_usage: {table} has no column(s) {missing}: update bench/")
    generated = [*base, *derived]
    unknown = [c for c in actual if c not in generated]
    required = [
        c
        for c in unknown
        if actual[c]["is_nullable"] == "NO" and actual[c]["column_default"] is None
    ]
    if required:
        raise SystemExit(
            f"seed_usage: {table} has new NOT NULL column(s) {required} that the seeder does "
            "not know: teach bench/seed_usage.py to fill them"
        )
    copy_columns = [c for c in generated if c in actual]
    picker = None
    if len(copy_columns) != len(generated):
        picker = operator.itemgetter(*(generated.index(c) for c in copy_columns))
    return TableColumns(table, copy_columns, picker, unknown)


async def copy_rows(
    conn: asyncpg.Connection, plan: TableColumns, rows: Sequence[tuple[Any, ...]]
) -> None:
    records = rows if plan.picker is None else [plan.picker(r) for r in rows]
    await conn.copy_records_to_table(plan.table, records=records, columns=plan.copy_columns)


# --- generation ---------------------------------------------------------------------------


# the sums of a rollup row, in this order (a list: bumped a million times)
SUMS = _words(
    "requests unpriced uncached cache_read cache_write output cost_pico latency_sum latency_count"
)


@dataclass
class Generated:
    """Everything besides the events (those are copied chunk by chunk as generated)."""

    users: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[tuple[Any, ...]] = field(default_factory=list)
    contacts: list[list[Any]] = field(default_factory=list)
    conversations: list[list[Any]] = field(default_factory=list)
    # (day, model key, provider, operation, AI type) -> sums in SUMS order
    daily: dict[tuple[date, str, str, str, str], list[int]] = field(default_factory=dict)
    periods: dict[date, int] = field(default_factory=dict)  # month -> spent pico
    # tokens and pico-USD per conversation and contact (by list index)
    conversation_tokens: list[int] = field(default_factory=list)
    conversation_cost: list[int] = field(default_factory=list)
    contact_tokens: list[int] = field(default_factory=list)
    contact_cost: list[int] = field(default_factory=list)
    event_count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def conversation_sums(self) -> tuple[list[int], list[int]]:
        if not self.conversation_tokens:
            self.conversation_tokens = [0] * len(self.conversations)
            self.conversation_cost = [0] * len(self.conversations)
        return self.conversation_tokens, self.conversation_cost

    def contact_sums(self) -> tuple[list[int], list[int]]:
        if not self.contact_tokens:
            self.contact_tokens = [0] * len(self.contacts)
            self.contact_cost = [0] * len(self.contacts)
        return self.contact_tokens, self.contact_cost

    def finish_totals(self) -> None:
        """Put the summed totals into the conversation and contact rows."""
        tokens, cost = self.conversation_sums()
        for i, row in enumerate(self.conversations):
            row[19], row[20] = tokens[i], pico_to_usd(cost[i])
        tokens, cost = self.contact_sums()
        for i, row in enumerate(self.contacts):
            row[13], row[14] = tokens[i], pico_to_usd(cost[i])


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def people(
    rng: random.Random, workspace_id: uuid.UUID, start: datetime, password_hash: str
) -> Generated:
    out = Generated()
    for m in range(MEMBERS):
        user_id = _uuid(rng)
        email = f"usage.agent{m + 1}@bench.example"
        out.users.append(
            (user_id, start, start, email, f"{FIRST_NAMES[m]} Agent{m + 1}", password_hash)
        )
        out.memberships.append((_uuid(rng), start, start, "AGENT", user_id, workspace_id))
    for c in range(CONTACTS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = f"+628135{c:07d}"
        out.contacts.append(
            [
                _uuid(rng),
                start,
                start,
                f"{first} {last}",
                phone,
                f"{first.lower()}.{last.lower()}.{c}@mail.example",
                json.dumps({"whatsapp": phone}),
                "NEW",
                None,
                None,
                None,
                "{}",
                "[]",
                0,  # total_tokens, total_cost: filled from the events
                0,
                workspace_id,
            ]
        )
    span = timedelta(days=DAYS)
    for k in range(CONVERSATIONS):
        created = start + span * (k / CONVERSATIONS) - timedelta(days=CONVERSATION_WINDOW_DAYS)
        contact = rng.choice(out.contacts)
        out.conversations.append(
            [
                _uuid(rng),
                created,
                created,
                rng.choice(("WHATSAPP", "WHATSAPP", "WEB", "EMAIL")),
                "OPEN",
                None,
                "NORMAL",
                rng.choice(("GREETING", "QUALIFYING", "SCORING", "BOOKING")),
                None,
                None,
                f"Usage enquiry #{k + 1}",
                "[]",
                False,
                0,
                None,
                None,
                created,
                None,
                None,
                0,  # total_tokens, total_cost: filled from the events
                0,
                None,
                contact[0],
                workspace_id,
            ]
        )
    return out


def events_chunk(
    rng: random.Random,
    out: Generated,
    *,
    workspace_id: uuid.UUID,
    catalog: dict[str, PricedModel],
    times: Sequence[float],
    first_index: int,
    start: datetime,
) -> list[tuple[Any, ...]]:
    """Rows of `ai_usage_event` for the given times (seconds after `start`, ascending),
    in EVENT_COLUMNS + DERIVED_COLUMNS order, summed into `out` as they are made.
    (Written for speed: about 1 µs matters at a million rows.)"""
    models = [catalog[key] for key, _ in MODEL_MIX]
    operations = [(op, ai) for op, ai, _ in OPERATION_MIX]
    picked_models = rng.choices(models, [w for _, w in MODEL_MIX], k=len(times))
    picked_ops = rng.choices(operations, [w for _, _, w in OPERATION_MIX], k=len(times))
    conv_span = DAYS * 86_400
    window = CONVERSATION_WINDOW_DAYS * 86_400
    users = [u[0] for u in out.users]
    conversations, contacts = out.conversations, out.contacts
    contact_of = {row[0]: i for i, row in enumerate(contacts)}
    conversation_contact = [contact_of[row[22]] for row in conversations]
    conv_tokens, conv_cost = out.conversation_sums()
    contact_tokens, contact_cost = out.contact_sums()
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first_second = (start - midnight).total_seconds()
    days = [(midnight + timedelta(days=d)).date() for d in range(DAYS + 2)]
    months = [day.replace(day=1) for day in days]
    daily, periods = out.daily, out.periods
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    rand, lognormvariate, getrandbits = rng.random, rng.lognormvariate, rng.getrandbits
    make_uuid = uuid.UUID
    for n, offset in enumerate(times):
        model = picked_models[n]
        operation, ai_type = picked_ops[n]
        at = start + timedelta(seconds=offset)
        recorded = at + timedelta(milliseconds=5 + int(rand() * 400))
        uncached = 150 + int(rand() * 2351)
        cache_read = 1_000 + int(rand() * 11_001) if rand() < 0.65 else 0
        cache_write = cache_write_1h = 0
        if not model.include_cache and rand() < 0.12:  # Anthropic: explicit cache writes
            cache_write = 500 + int(rand() * 5_501)
            if rand() < 0.3:
                cache_write_1h = cache_write
        output = 20 + int(rand() * 681)
        latency = None if rand() < NO_LATENCY_SHARE else int(lognormvariate(7.2, 0.6))
        cost_pico = (
            uncached * model.input
            + cache_read * model.cache_read
            + (cache_write - cache_write_1h) * model.cache_write
            + cache_write_1h * model.cache_write_1h
            + output * model.output
        )
        tokens = uncached + cache_read + cache_write + output
        conversation_id = contact_id = None
        share = rand()
        if share >= NO_CONVERSATION_SHARE:
            # a conversation started in the last few days before the call
            low = offset / conv_span * CONVERSATIONS
            high = (offset + window) / conv_span * CONVERSATIONS
            c = min(int(low + rand() * (high - low)), CONVERSATIONS - 1)
            conversation_id = conversations[c][0]
            conv_tokens[c] += tokens
            conv_cost[c] += cost_pico
            k = conversation_contact[c]
            contact_id = contacts[k][0]
            contact_tokens[k] += tokens
            contact_cost[k] += cost_pico
        elif share < NO_CONVERSATION_SHARE / 2:
            k = int(rand() * CONTACTS)
            contact_id = contacts[k][0]
            contact_tokens[k] += tokens
            contact_cost[k] += cost_pico
        user_id = users[int(rand() * MEMBERS)] if rand() < USER_SHARE else None
        append(
            (
                make_uuid(int=getrandbits(128), version=4),
                recorded,
                recorded,
                model.key,
                model.key,
                model.provider,
                operation,
                ai_type,
                uncached,
                cache_read,
                cache_write,
                cache_write_1h,
                output,
                model.include_cache,
                latency,
                f"seed-{first_index + n:08d}",
                at,
                Decimal(cost_pico).scaleb(-12),
                contact_id,
                conversation_id,
                None,
                model.model_id,
                model.price_id,
                None,
                user_id,
                workspace_id,
                cost_pico,  # DERIVED_COLUMNS
            )
        )
        # the sums Parley keeps in the same transaction as the event
        d = int((first_second + offset) // 86_400)
        day = days[d]
        key = (day, model.key, model.provider, operation, ai_type)
        t = daily.get(key)
        if t is None:
            t = daily[key] = [0] * 9
        t[0] += 1
        t[2] += uncached
        t[3] += cache_read
        t[4] += cache_write
        t[5] += output
        t[6] += cost_pico
        if latency is not None:
            t[7] += latency
            t[8] += 1
        month = months[d]
        periods[month] = periods.get(month, 0) + cost_pico
    out.event_count += len(rows)
    if rows:
        out.first_at = out.first_at or rows[0][16]
        out.last_at = rows[-1][16]
    return rows


def cross_check_costs(rows: Sequence[tuple[Any, ...]], catalog: dict[str, PricedModel]) -> None:
    """The integer pico-USD cost of a sample of rows equals Parley's own `cost_of`."""
    from api.usage.pricing import TokenCounts, cost_of

    for row in rows[:: max(1, len(rows) // 2000)]:
        model = catalog[row[4]]
        tokens = TokenCounts(row[8], row[9], row[10], row[12])
        expected = cost_of(tokens, model.prices, row[11])
        if expected != row[17]:
            raise SystemExit(f"seed_usage: cost {row[17]} != Parley's {expected} for {row}")


def daily_rows(
    out: Generated, workspace_id: uuid.UUID, rng: random.Random
) -> list[tuple[Any, ...]]:
    rows = []
    for (day, model_key, provider, operation, ai_type), t in sorted(out.daily.items()):
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows.append(
            (
                _uuid(rng),
                at,
                at + timedelta(hours=23, minutes=59),
                day,
                model_key,
                provider,
                operation,
                ai_type,
                *t[:6],  # requests … output
                pico_to_usd(t[6]),
                t[7],
                t[8],
                workspace_id,
                t[6],  # DERIVED_COLUMNS: cost_pico
            )
        )
    return rows


# --- the workspace, through Parley's CLI --------------------------------------------------


def parley_env(database_url: str, secret_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "BENCH_"))}
    return {
        **env,
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_SECRET_KEY": secret_key,
        "PARLEY_LOG_LEVEL": "warning",
    }


def create_workspace(database_url: str, name: str, secret_key: str) -> tuple[str, str]:
    """`python -m api workspace create --name NAME --json`: (workspace id, OWNER API key)."""
    output = subprocess.run(
        [sys.executable, "-m", "api", "workspace", "create", "--name", name, "--json"],
        cwd=REPO,
        env=parley_env(database_url, secret_key),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    created = json.loads(output.strip().splitlines()[-1])
    return str(created["workspaceId"]), str(created["apiKey"])


# --- load ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    database_url: str
    workspace_id: str
    api_key: str
    first_at: str
    last_at: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)


async def load(
    database_url: str,
    workspace_id: uuid.UUID,
    *,
    events: int,
    rng: random.Random,
    password_hash: str,
    timings: dict[str, float],
) -> tuple[Generated, list[str], int]:
    now = datetime.now(UTC).replace(microsecond=0)
    end = now - timedelta(minutes=5)
    start = end - timedelta(days=DAYS)
    conn = await asyncpg.connect(database_url)
    warnings: list[str] = []
    try:
        plans = {
            "ai_usage_event": await plan_columns(
                conn, "ai_usage_event", EVENT_COLUMNS, DERIVED_COLUMNS
            ),
            "ai_usage_daily": await plan_columns(
                conn, "ai_usage_daily", DAILY_COLUMNS, DERIVED_COLUMNS
            ),
            "app_user": await plan_columns(conn, "app_user", USER_COLUMNS),
            "membership": await plan_columns(conn, "membership", MEMBERSHIP_COLUMNS),
            "contact": await plan_columns(conn, "contact", CONTACT_COLUMNS),
            "conversation": await plan_columns(conn, "conversation", CONVERSATION_COLUMNS),
            "ai_budget_period": await plan_columns(conn, "ai_budget_period", PERIOD_COLUMNS),
        }
        for plan in plans.values():
            if plan.left_to_default:
                warnings.append(
                    f"{plan.table}: column(s) {plan.left_to_default} not generated, left to "
                    "their default/NULL"
                )
            derived = [c for c in plan.copy_columns if c in DERIVED_COLUMNS]
            if derived:
                warnings.append(f"{plan.table}: derived column(s) {derived} filled")
        catalog = await load_catalog(conn, (key for key, _ in MODEL_MIX))
        out = people(rng, workspace_id, start - timedelta(days=1), password_hash)

        started = time.perf_counter()
        generating = 0.0
        # bulk load: skip the per-row foreign-key triggers (every id comes from the rows
        # generated here), in one transaction
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await copy_rows(conn, plans["app_user"], out.users)
            await copy_rows(conn, plans["membership"], out.memberships)
            # the event table's plain indexes are built once after the load (much faster
            # than maintaining them row by row); constraint indexes stay
            indexes = await conn.fetch(
                "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'ai_usage_event'::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            )
            for index in indexes:
                await conn.execute(f'DROP INDEX "{index["name"]}"')
            span = DAYS * 86_400.0
            times = sorted(rng.uniform(0, span) for _ in range(events))
            for first in range(0, events, CHUNK):
                t0 = time.perf_counter()
                rows = events_chunk(
                    rng,
                    out,
                    workspace_id=workspace_id,
                    catalog=catalog,
                    times=times[first : first + CHUNK],
                    first_index=first,
                    start=start,
                )
                if first == 0:
                    cross_check_costs(rows, catalog)
                generating += time.perf_counter() - t0
                await copy_rows(conn, plans["ai_usage_event"], rows)
                print(f"  … {first + len(rows):,} events", flush=True)
            t0 = time.perf_counter()
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for index in indexes:
                await conn.execute(index["definition"])
            timings["rebuild event indexes"] = time.perf_counter() - t0
            out.finish_totals()
            await copy_rows(conn, plans["contact"], [tuple(r) for r in out.contacts])
            await copy_rows(conn, plans["conversation"], [tuple(r) for r in out.conversations])
            daily = daily_rows(out, workspace_id, rng)
            await copy_rows(conn, plans["ai_usage_daily"], daily)
            periods = [
                (_uuid(rng), now, now, month, None, "SOFT", spent, 0, 0, workspace_id)
                for month, spent in sorted(out.periods.items())
            ]
            await copy_rows(conn, plans["ai_budget_period"], periods)
        timings["generate (Python)"] = generating
        timings["generate + COPY"] = time.perf_counter() - started
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE ai_usage_event")
        await conn.execute("ANALYZE")
        timings["VACUUM ANALYZE"] = time.perf_counter() - t0
        return out, warnings, len(daily)
    finally:
        await conn.close()


async def applied_migrations(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM aerich ORDER BY id")]
    finally:
        await conn.close()


def seed(
    database_url: str,
    *,
    events: int = EVENTS,
    secret_key: str = BENCH_SECRET_KEY,
    rng_seed: int = 20261123,
) -> SeedResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    asyncio.run(create_database(database_url))
    migrate(database_url)
    timings["create + migrate"] = time.perf_counter() - started
    t0 = time.perf_counter()
    workspace_id, api_key = create_workspace(database_url, "bench", secret_key)
    timings["workspace create (CLI)"] = time.perf_counter() - t0

    from api.core.auth import hash_password

    out, warnings, daily_count = asyncio.run(
        load(
            database_url,
            uuid.UUID(workspace_id),
            events=events,
            rng=random.Random(rng_seed),
            password_hash=hash_password("bench-password-1"),
            timings=timings,
        )
    )
    timings["total"] = time.perf_counter() - started
    assert out.first_at is not None and out.last_at is not None
    return SeedResult(
        database_url=database_url,
        workspace_id=workspace_id,
        api_key=api_key,
        first_at=out.first_at.isoformat(),
        last_at=out.last_at.isoformat(),
        counts={
            "ai_usage_event": out.event_count,
            "ai_usage_daily": daily_count,
            "ai_budget_period": len(out.periods),
            "conversation": len(out.conversations),
            "contact": len(out.contacts),
            "members": len(out.users),
        },
        seconds=timings,
        warnings=warnings,
        migrations=asyncio.run(applied_migrations(database_url)),
    )


def write_state(result: SeedResult, state_file: Path) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(vars(result), indent=2) + "\n")
    state_file.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("PARLEY_SECRET_KEY", BENCH_SECRET_KEY),
        help="PARLEY_SECRET_KEY the server will use (API key hashes depend on it).",
    )
    args = parser.parse_args()
    database_name(args.database_url)  # refuses an unusable name early
    result = seed(args.database_url, events=args.events, secret_key=args.secret_key)
    write_state(result, args.state_file)
    for warning in result.warnings:
        print(f"note: {warning}")
    counts = ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    print(f"seeded {database_name(args.database_url)}: {counts}\n  {timings}")
    print(f"state (database URL, workspace, API key) written to {args.state_file}")


if __name__ == "__main__":
    main()
