"""The inbox page written by hand: Starlette + asyncpg, no GraphQL, no ORM.

`GET /inbox[?first=N&after=CURSOR]` answers with exactly the JSON body Parley gives for

    { conversations(first: 20) { edges { cursor node { id title status messageCount
      lastMessageAt contact { name phone } lastMessage { content role seq }
      assignee { name } } } pageInfo { hasNextPage endCursor } } }

(same keyset order `last_activity_at DESC, id DESC`, archived conversations left out,
same cursor and global-ID encodings), authenticating the same bearer API key the same
way: HMAC-SHA256 of the key with PARLEY_SECRET_KEY looked up in `api_key`, and
`last_used_at` refreshed at most once a minute. Two queries a request on one pooled
connection: the key, then the page with its contacts, last messages and assignees joined.

    BENCH_DATABASE_URL=postgres://… PARLEY_SECRET_KEY=… \
        .venv/bin/python bench/handwritten.py --port 8002
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEY_PREFIX = "prly_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
DEFAULT_PAGE = 20
MAX_PAGE = 100

KEY_SQL = """
SELECT id, workspace_id, last_used_at FROM api_key
WHERE key_hash = $1 AND revoked_at IS NULL
"""
TOUCH_KEY_SQL = "UPDATE api_key SET last_used_at = $2 WHERE id = $1"
_PAGE_SELECT = """
SELECT c.id, c.title, c.status, c.message_count, c.last_message_at, c.last_activity_at,
       ct.name AS contact_name, ct.phone AS contact_phone,
       m.id AS message_id, m.content AS message_content, m.role AS message_role,
       m.seq AS message_seq, u.name AS assignee_name
FROM conversation c
JOIN contact ct ON ct.id = c.contact_id AND ct.workspace_id = c.workspace_id
LEFT JOIN chat_message m ON m.id = c.last_message_id AND m.workspace_id = c.workspace_id
LEFT JOIN membership mb ON mb.user_id = c.assignee_id AND mb.workspace_id = c.workspace_id
LEFT JOIN app_user u ON u.id = mb.user_id
WHERE c.workspace_id = $1 AND NOT c.archived {after}
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT $2
"""
FIRST_PAGE_SQL = _PAGE_SELECT.format(after="")
NEXT_PAGE_SQL = _PAGE_SELECT.format(after="AND (c.last_activity_at, c.id) < ($3, $4)")


def _json(data: Any) -> bytes:
    # Strawberry encodes with json.dumps(data, separators=(",", ":")); so do we.
    return json.dumps(data, separators=(",", ":")).encode()


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _json(content)


def global_id(type_name: str, key: UUID) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def encode_cursor(last_activity_at: datetime, key: UUID) -> str:
    raw = _json(["conversations", last_activity_at.isoformat(), str(key)])
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    _, at, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return datetime.fromisoformat(at), UUID(key)


def _error(message: str, code: str) -> JSON:
    return JSON({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})


def _node(row: asyncpg.Record) -> dict[str, Any]:
    last_message_at: datetime | None = row["last_message_at"]
    return {
        "id": global_id("Conversation", row["id"]),
        "title": row["title"],
        "status": row["status"],
        "messageCount": row["message_count"],
        "lastMessageAt": last_message_at.isoformat() if last_message_at else None,
        "contact": {"name": row["contact_name"], "phone": row["contact_phone"]},
        "lastMessage": {
            "content": row["message_content"],
            "role": row["message_role"],
            "seq": row["message_seq"],
        }
        if row["message_id"] is not None
        else None,
        "assignee": {"name": row["assignee_name"]} if row["assignee_name"] is not None else None,
    }


class Inbox:
    def __init__(self, database_url: str, secret_key: str, pool_size: int) -> None:
        self.database_url = database_url
        self.secret = secret_key.encode()
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "lifespan not started"
        return self._pool

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self._pool = await asyncpg.create_pool(
            self.database_url, min_size=1, max_size=self.pool_size
        )
        try:
            yield
        finally:
            await self._pool.close()

    def _token(self, request: Request) -> str | None:
        scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token.startswith(API_KEY_PREFIX):
            return None
        return token

    async def _workspace(self, conn: asyncpg.Connection, token: str) -> UUID | None:
        digest = hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()
        key = await conn.fetchrow(KEY_SQL, digest)
        if key is None:
            return None
        now = datetime.now(UTC)
        last_used: datetime | None = key["last_used_at"]
        if last_used is None or now - last_used > LAST_USED_RESOLUTION:
            await conn.execute(TOUCH_KEY_SQL, key["id"], now)
        workspace_id: UUID = key["workspace_id"]
        return workspace_id

    async def inbox(self, request: Request) -> Response:
        token = self._token(request)
        try:
            first = int(request.query_params.get("first", DEFAULT_PAGE))
            after = request.query_params.get("after")
            position = decode_cursor(after) if after else None
        except (ValueError, TypeError):
            return _error("Bad first or after.", "BAD_USER_INPUT")
        if not 0 <= first <= MAX_PAGE:
            return _error(f"first must be between 0 and {MAX_PAGE}.", "BAD_USER_INPUT")
        async with self.pool.acquire() as conn:
            workspace_id = await self._workspace(conn, token) if token else None
            if workspace_id is None:
                return _error("Authentication required.", "UNAUTHENTICATED")
            if position is None:
                rows = await conn.fetch(FIRST_PAGE_SQL, workspace_id, first + 1)
            else:
                rows = await conn.fetch(NEXT_PAGE_SQL, workspace_id, first + 1, *position)
        more = len(rows) > first
        edges = [
            {"cursor": encode_cursor(row["last_activity_at"], row["id"]), "node": _node(row)}
            for row in rows[:first]
        ]
        page_info = {
            "hasNextPage": more,
            "endCursor": edges[-1]["cursor"] if edges else None,
        }
        return JSON({"data": {"conversations": {"edges": edges, "pageInfo": page_info}}})


async def healthz(request: Request) -> Response:
    return JSON({"status": "ok"})


def create_app(database_url: str, secret_key: str, pool_size: int) -> Starlette:
    inbox = Inbox(database_url, secret_key, pool_size)
    return Starlette(
        routes=[Route("/inbox", inbox.inbox, methods=["GET"]), Route("/healthz", healthz)],
        lifespan=inbox.lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="The hand-written inbox endpoint.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument(
        "--pool-size", type=int, default=int(os.environ.get("PARLEY_DB_POOL_SIZE", "10"))
    )
    args = parser.parse_args()
    app = create_app(
        os.environ["BENCH_DATABASE_URL"], os.environ["PARLEY_SECRET_KEY"], args.pool_size
    )
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
