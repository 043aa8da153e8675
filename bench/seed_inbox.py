"""Seed a PostgreSQL database for the inbox benchmark, fast.

Creates the database (dropping a previous one of the same name), migrates it with
`python -m api migrate`, then bulk-loads with asyncpg COPY straight into the real
tables: 2 workspaces with a few members each, 5,000 contacts per workspace, 10,000
conversations and 200,000 messages in all. Each conversation's `message_count`,
`last_message_id`, `last_message_at`, `last_activity_at`, `waiting_since`,
`first_reply_at` and token/cost totals agree with its messages. An API key for
workspace 1 is made through the real service and written, with the database URL, to a
JSON state file for bench/run_inbox.py.

    .venv/bin/python bench/seed_inbox.py [--database-url URL] [--state-file PATH]
"""

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/parley_bench"
DEFAULT_STATE_FILE = Path(tempfile.gettempdir()) / "parley_bench" / "state.json"
BENCH_SECRET_KEY = "parley-bench-secret-key-0123456789"

WORKSPACES = 2
MEMBERS_PER_WORKSPACE = 4
CONTACTS_PER_WORKSPACE = 5_000
CONVERSATIONS = 10_000
MESSAGES = 200_000
EMPTY_CONVERSATION_SHARE = 0.02  # conversations without any message yet
ASSIGNED_SHARE = 0.6
ARCHIVED_SHARE = 0.03


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ayu Budi Citra Dewi Eko Fajar Gita Hadi Indah Joko Kartika Lina Made Nina Oki "
    "Putri Rina Sari Tono Udin Vina Wati Yogi Zaki Anna Ben Chloe David Emma Felix "
    "Grace Henry"
)
LAST_NAMES = _words(
    "Santoso Wijaya Pratama Saputra Hidayat Kusuma Lestari Nugroho Rahman Setiawan "
    "Smith Jones Brown Taylor Wilson Evans Thomas Walker Wright Clarke"
)
CUSTOMER_LINES = (
    "Hi, is the premium plan still available this month?",
    "Can I pay by bank transfer instead of card?",
    "What time does the clinic open on Saturday?",
    "I'd like to book a demo for my team of 12 people.",
    "My order hasn't arrived yet, can you check the status?",
    "Do you ship to Surabaya? How long does it take?",
    "Thanks! That works for me.",
    "Could you send me the price list as a PDF?",
)
BOT_LINES = (
    "Hello! Happy to help. Could you tell me a bit more about what you need?",
    "Yes, the premium plan is available. Shall I reserve a slot for you?",
    "We accept bank transfer, e-wallets and cards. Which one do you prefer?",
    "Delivery to Surabaya usually takes 2-3 working days.",
    "I've noted that down. Anything else I can help with today?",
    "Here is the price list: https://example.com/prices.pdf",
)
AGENT_LINES = (
    "Hi, this is a human agent taking over. Let me check that for you.",
    "I've updated your booking; you'll get a confirmation by e-mail.",
    "Sorry for the wait! Your parcel left our warehouse this morning.",
)
CHANNELS = ("WHATSAPP", "WHATSAPP", "WHATSAPP", "WEB", "EMAIL", "API")
STATUSES = ("OPEN", "OPEN", "OPEN", "PENDING", "SNOOZED", "RESOLVED", "RESOLVED")
AI_STATES = ("GREETING", "QUALIFYING", "SCORING", "BOOKING", "HANDOFF", "COMPLETED")
PRIORITIES = ("LOW", "NORMAL", "NORMAL", "NORMAL", "HIGH", "URGENT")
LEAD_STATUSES = ("NEW", "NEW", "QUALIFIED", "CONVERTED", "LOST")
MODEL_NAME = "gpt-4o-mini"

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
MESSAGE_COLUMNS = _words(
    "id created_at updated_at seq role content model input_tokens cache_read_tokens "
    "cache_write_tokens output_tokens input_tokens_include_cache cost "
    "response_time_ms metadata author_id conversation_id workspace_id"
)


@dataclass
class SeedResult:
    database_url: str
    api_key: str
    workspace_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def database_name(database_url: str) -> str:
    name = urlparse(database_url).path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"seed_inbox: unusable database name in {database_url!r}")
    return name


def admin_url(database_url: str) -> str:
    """The same server, database `postgres` (to create and drop the bench database)."""
    return urlunparse(urlparse(database_url)._replace(path="/postgres"))


async def create_database(database_url: str) -> None:
    name = database_name(database_url)
    conn = await asyncpg.connect(admin_url(database_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(database_url: str) -> None:
    name = database_name(database_url)
    conn = await asyncpg.connect(admin_url(database_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(database_url: str) -> None:
    env = {**os.environ, "PARLEY_DATABASE_URL": database_url, "PARLEY_LOG_LEVEL": "warning"}
    subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class Rows:
    workspaces: list[tuple[Any, ...]] = field(default_factory=list)
    users: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[tuple[Any, ...]] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)


def generate(rng: random.Random, password_hash: str) -> Rows:
    """Every row to load, deterministic for a given `rng` seed."""
    rows = Rows()
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=60)
    conversations_per_ws = CONVERSATIONS // WORKSPACES

    # Which conversations get messages, and how many: 200,000 messages dropped uniformly
    # on the non-empty conversations (about 20 each, Poisson-like).
    non_empty = [i for i in range(CONVERSATIONS) if rng.random() >= EMPTY_CONVERSATION_SHARE]
    message_counts = [0] * CONVERSATIONS
    for index in rng.choices(non_empty, k=MESSAGES):
        message_counts[index] += 1

    for w in range(WORKSPACES):
        workspace_id = uuid.uuid4()
        rows.workspaces.append((workspace_id, start, start, f"Bench workspace {w + 1}", 0))
        members: list[tuple[uuid.UUID, str]] = []
        for m in range(MEMBERS_PER_WORKSPACE):
            user_id = uuid.uuid4()
            name = f"{FIRST_NAMES[(w * 7 + m) % len(FIRST_NAMES)]} Agent{m + 1}"
            email = f"agent{m + 1}.ws{w + 1}@bench.example"
            rows.users.append((user_id, start, start, email, name, password_hash))
            role = "OWNER" if m == 0 else "AGENT"
            rows.memberships.append((uuid.uuid4(), start, start, role, user_id, workspace_id))
            members.append((user_id, name))

        contact_ids: list[uuid.UUID] = []
        contact_totals: dict[uuid.UUID, list[Any]] = {}
        contact_rows: list[list[Any]] = []
        for c in range(CONTACTS_PER_WORKSPACE):
            contact_id = uuid.uuid4()
            created = start + timedelta(seconds=rng.uniform(0, 86_400 * 5))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            phone = None if rng.random() < 0.1 else f"+62812{w + 1}{c:07d}"
            email = f"{first.lower()}.{last.lower()}.{c}@mail.example"
            handles = _json({"whatsapp": phone}) if phone else "{}"
            status = rng.choice(LEAD_STATUSES)
            scored = rng.random() < 0.5
            contact_rows.append(
                [
                    contact_id,
                    created,
                    created,
                    f"{first} {last}",
                    phone,
                    email,
                    handles,
                    status,
                    rng.randint(0, 100) if scored else None,
                    rng.choice(("HOT", "WARM", "COLD")) if scored else None,
                    created if scored else None,
                    "{}",
                    "[]",
                    0,
                    Decimal(0),
                    workspace_id,
                ]
            )
            contact_ids.append(contact_id)
            contact_totals[contact_id] = [0, Decimal(0)]

        for k in range(conversations_per_ws):
            index = w * conversations_per_ws + k
            conversation_id = uuid.uuid4()
            contact_id = rng.choice(contact_ids)
            created = start + timedelta(seconds=rng.uniform(86_400 * 5, 86_400 * 59))
            created += timedelta(microseconds=rng.randint(0, 999_999))
            assignee = rng.choice(members) if rng.random() < ASSIGNED_SHARE else None
            at = created
            last_id: uuid.UUID | None = None
            last_role = ""
            first_reply_at: datetime | None = None
            total_tokens = 0
            total_cost = Decimal(0)
            count = message_counts[index]
            for seq in range(1, count + 1):
                at += timedelta(seconds=rng.uniform(5, 900))
                message_id = uuid.uuid4()
                author_id: uuid.UUID | None = None
                model: str | None = None
                tokens = (0, 0, 0, 0)
                cost: Decimal | None = None
                response_ms: int | None = None
                include_cache: bool | None = None
                if seq % 2 == 1:
                    role, content = "USER", rng.choice(CUSTOMER_LINES)
                elif assignee is not None and seq > 6 and rng.random() < 0.5:
                    role, content = "AGENT", rng.choice(AGENT_LINES)
                    author_id = assignee[0]
                    if first_reply_at is None:
                        first_reply_at = at
                else:
                    role, content = "ASSISTANT", rng.choice(BOT_LINES)
                    model = MODEL_NAME
                    tokens = (rng.randint(200, 1500), rng.randint(0, 800), 0, rng.randint(20, 300))
                    cost = (
                        Decimal(tokens[0]) * Decimal("0.00000015")
                        + Decimal(tokens[1]) * Decimal("0.000000075")
                        + Decimal(tokens[3]) * Decimal("0.0000006")
                    )
                    response_ms = rng.randint(300, 4000)
                    include_cache = False
                    total_tokens += sum(tokens)
                    total_cost += cost
                rows.messages.append(
                    (
                        message_id,
                        at,
                        at,
                        seq,
                        role,
                        f"{content} (#{seq})",
                        model,
                        *tokens,
                        include_cache,
                        cost,
                        response_ms,
                        "{}",
                        author_id,
                        conversation_id,
                        workspace_id,
                    )
                )
                last_id, last_role = message_id, role
            contact_totals[contact_id][0] += total_tokens
            contact_totals[contact_id][1] += total_cost
            status = rng.choice(STATUSES)
            rows.conversations.append(
                (
                    conversation_id,
                    created,
                    at,
                    rng.choice(CHANNELS),
                    status,
                    now + timedelta(days=1) if status == "SNOOZED" else None,
                    rng.choice(PRIORITIES),
                    rng.choice(AI_STATES),
                    None,
                    None,
                    None if rng.random() < 0.1 else f"Enquiry #{index + 1}",
                    "[]",
                    rng.random() < ARCHIVED_SHARE,
                    count,
                    last_id,
                    at if count else None,
                    at,
                    at if last_role == "USER" else None,
                    first_reply_at,
                    total_tokens,
                    total_cost,
                    assignee[0] if assignee else None,
                    contact_id,
                    workspace_id,
                )
            )
        for row in contact_rows:
            row[13], row[14] = contact_totals[row[0]]
            rows.contacts.append(tuple(row))
    return rows


async def load(database_url: str, rows: Rows) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "workspace",
                records=rows.workspaces,
                columns=["id", "created_at", "updated_at", "name", "last_event_seq"],
            )
            await conn.copy_records_to_table(
                "app_user",
                records=rows.users,
                columns=["id", "created_at", "updated_at", "email", "name", "password_hash"],
            )
            await conn.copy_records_to_table(
                "membership",
                records=rows.memberships,
                columns=["id", "created_at", "updated_at", "role", "user_id", "workspace_id"],
            )
            await conn.copy_records_to_table(
                "contact", records=rows.contacts, columns=CONTACT_COLUMNS
            )
            await conn.copy_records_to_table(
                "conversation", records=rows.conversations, columns=CONVERSATION_COLUMNS
            )
            await conn.copy_records_to_table(
                "chat_message", records=rows.messages, columns=MESSAGE_COLUMNS
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def create_api_key(database_url: str, workspace_id: uuid.UUID, secret_key: str) -> str:
    """A VIEWER key for the workspace, issued by Parley's own service."""
    from tortoise import Tortoise

    from api.core import auth
    from api.settings import tortoise_config
    from api.tenancy import service
    from models.enums import Role

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        with auth.hashing_with(auth.Keyring(secret_key.encode())):
            issued = await service.create_api_key(
                workspace_id=workspace_id, actor=None, name="inbox benchmark", role=Role.VIEWER
            )
        return issued.secret
    finally:
        await Tortoise.close_connections()


def seed(
    database_url: str, *, secret_key: str = BENCH_SECRET_KEY, rng_seed: int = 20261123
) -> SeedResult:
    started = time.perf_counter()
    asyncio.run(create_database(database_url))
    migrate(database_url)

    from api.core.auth import hash_password

    rows = generate(random.Random(rng_seed), hash_password("bench-password-1"))
    asyncio.run(load(database_url, rows))
    workspace_ids = [row[0] for row in rows.workspaces]
    api_key = asyncio.run(create_api_key(database_url, workspace_ids[0], secret_key))
    return SeedResult(
        database_url=database_url,
        api_key=api_key,
        workspace_ids=[str(w) for w in workspace_ids],
        counts={
            "workspaces": len(rows.workspaces),
            "users": len(rows.users),
            "contacts": len(rows.contacts),
            "conversations": len(rows.conversations),
            "messages": len(rows.messages),
        },
        seconds=time.perf_counter() - started,
    )


def write_state(result: SeedResult, state_file: Path) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(vars(result), indent=2) + "\n")
    state_file.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("PARLEY_SECRET_KEY", BENCH_SECRET_KEY),
        help="PARLEY_SECRET_KEY the servers will use (API key hashes depend on it).",
    )
    args = parser.parse_args()
    result = seed(args.database_url, secret_key=args.secret_key)
    write_state(result, args.state_file)
    counts = ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
    print(f"seeded {database_name(args.database_url)} in {result.seconds:.1f}s: {counts}")
    print(f"state (database URL, API key) written to {args.state_file}")


if __name__ == "__main__":
    main()
