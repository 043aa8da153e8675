"""The outbox: record live changes in the writing transaction, wake subscribers after commit.

`record` takes the workspace's counter row last in the transaction (a conditional
`UPDATE … SET last_event_seq = last_event_seq + 1`), which holds the row lock until
commit: sequence numbers are handed out in commit order on PostgreSQL and SQLite alike,
so a reader that has seen seq N has seen everything before it.

`publish` runs after commit and only wakes subscribers (a small JSON message with the
sequence and the payload); the event table stays the source of truth.
"""

import json
import logging
from typing import Any, Protocol
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

import models

logger = logging.getLogger("parley.events")


class Publisher(Protocol):
    async def publish(self, channel: str, message: Any) -> None: ...


_publisher: Publisher | None = None


def set_publisher(publisher: Publisher | None) -> None:
    """Where wake-ups go (the app's broadcast); None in the CLI, where nobody listens."""
    global _publisher
    _publisher = publisher


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
        },
        separators=(",", ":"),
    )


async def publish(*events: models.Event) -> None:
    """Wake subscribers after commit. A failed wake-up is logged, never raised: the commit
    is the truth and subscribers repair gaps from the table."""
    if _publisher is None:
        return
    for event in events:
        try:
            await _publisher.publish(workspace_channel(event.workspace_id), wakeup_message(event))
        except Exception:
            logger.warning(
                "wake-up for event %s/%s not published",
                event.workspace_id,
                event.seq,
                exc_info=True,
            )
