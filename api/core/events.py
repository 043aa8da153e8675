"""The outbox: record live changes in the writing transaction, wake subscribers after commit.

`record` takes the workspace's counter row last in the transaction (a conditional
`UPDATE … SET last_event_seq = last_event_seq + 1`), which holds the row lock until
commit: sequence numbers are handed out in commit order on PostgreSQL and SQLite alike,
so a reader that has seen seq N has seen everything before it.

`publish` runs after commit and only wakes subscribers (a small JSON message with the
sequence and the payload); the event table stays the source of truth. Wake-ups go to the
sink of the app the request runs in (its broadcast: `publishing_to`, bound per request by
api/app.py); outside an app (the CLI, scripts) the sink is `NO_EVENTS`, as nobody listens.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

import models
from api.core.errors import CursorExpired
from api.core.pagination import CursorFormat

logger = logging.getLogger("parley.events")

# A position in the workspace's event sequence: the cursors of inboxEvents, usageUpdated
# and currentUsage, which resume one another.
EVENT_CURSORS = CursorFormat("events", ("int",))


class Publisher(Protocol):
    async def publish(self, channel: str, message: Any) -> None: ...


class NoEvents:
    """The sink where nobody listens (the CLI, scripts): wake-ups are dropped; the events
    are in the table for whoever subscribes later."""

    async def publish(self, channel: str, message: Any) -> None:
        return None


NO_EVENTS = NoEvents()

# The sink of the app (or command) the current request runs in. A context variable, not a
# global: each request, and the tasks it starts, sees the sink of its own app.
_sink: ContextVar[Publisher] = ContextVar("parley_event_sink", default=NO_EVENTS)


@contextmanager
def publishing_to(sink: Publisher) -> Iterator[None]:
    """Wake-ups published inside (and in tasks started inside) go to `sink`."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


def workspace_channel(workspace_id: UUID) -> str:
    return f"parley.workspace.{workspace_id}"


async def record(
    db: BaseDBAsyncClient,
    *,
    workspace_id: UUID,
    type: str,
    payload: dict[str, Any],
    conversation_id: UUID | None = None,
) -> models.Event:
    """Write an event in the caller's transaction. Call it last in the transaction."""
    await (
        models.Workspace.filter(id=workspace_id)
        .using_db(db)
        .update(last_event_seq=F("last_event_seq") + 1)
    )
    workspace = await models.Workspace.get(id=workspace_id, using_db=db)
    seq = workspace.last_event_seq
    return await models.Event.create(
        using_db=db,
        workspace_id=workspace_id,
        seq=seq,
        type=type,
        conversation_id=conversation_id,
        payload=payload,
    )


def wakeup_message(event: models.Event) -> str:
    return json.dumps(
        {
            "seq": event.seq,
            "type": event.type,
            "conversationId": str(event.conversation_id) if event.conversation_id else None,
            "payload": event.payload,
            "occurredAt": event.created_at.isoformat(),
        },
        separators=(",", ":"),
    )


async def publish(*events: models.Event) -> None:
    """Wake subscribers after commit. A failed wake-up is logged, never raised: the commit
    is the truth and subscribers repair gaps from the table."""
    sink = _sink.get()
    for event in events:
        try:
            await sink.publish(workspace_channel(event.workspace_id), wakeup_message(event))
        except Exception:
            logger.warning(
                "wake-up for event %s/%s not published",
                event.workspace_id,
                event.seq,
                exc_info=True,
            )


async def events_after(workspace_id: UUID, seq: int, limit: int) -> list[models.Event]:
    """Committed events of the workspace after `seq`, oldest first."""
    return (
        await models.Event.filter(workspace_id=workspace_id, seq__gt=seq)
        .order_by("seq")
        .limit(limit)
    )


async def current_seq(workspace_id: UUID) -> int:
    workspace = await models.Workspace.get(id=workspace_id)
    return workspace.last_event_seq


async def check_resumable(workspace_id: UUID, after_seq: int) -> None:
    """A cursor older than the retained events cannot resume without losing events."""
    workspace = await models.Workspace.get(id=workspace_id)
    if after_seq < workspace.events_pruned_through:
        raise CursorExpired(
            "This cursor is older than the events Parley keeps: reload the list, then "
            "subscribe again without `after` (or with a newer cursor).",
            field="after",
        )


async def prune_events(older_than: datetime) -> int:
    """Delete events created before `older_than`; remember per workspace how far."""
    pruned = 0
    workspace_ids = (
        await models.Event.filter(created_at__lt=older_than)
        .distinct()
        .values_list("workspace_id", flat=True)
    )
    for workspace_id in workspace_ids:
        async with in_transaction():
            newest = (
                await models.Event.filter(workspace_id=workspace_id, created_at__lt=older_than)
                .order_by("-seq")
                .first()
            )
            if newest is None:
                continue
            pruned += await models.Event.filter(
                workspace_id=workspace_id, seq__lte=newest.seq
            ).delete()
            await models.Workspace.filter(
                id=workspace_id, events_pruned_through__lt=newest.seq
            ).update(events_pruned_through=newest.seq)
    return pruned
