"""Subscribe, replay, then follow: the one loop behind every live subscription.

The database is the source of truth; broadcast wake-ups only say "something committed".
A stream subscribes to the workspace channel FIRST, then replays from the table what came
after the client's position, then follows wake-ups: one exactly next in line is yielded
from its payload without a query; anything else (a gap, a lost wake-up, a broker
reconnect, a subscriber that fell behind) makes it read the table again. Positions at or
below the last one sent are dropped, so nothing is sent twice and nothing is skipped.

A subscription is long-lived but its Context (and so its loaders' caches) is built once per
socket: `follow` forgets the loaded rows before every item it yields, so nested objects
(`conversation { messageCount }`) show what is true at that item, whatever the subscription.
"""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from broadcaster import Event as BroadcastEvent

from api.core import events, metrics
from api.core.broadcast import ParleyBroadcast, Resync
from api.core.pagination import CursorFormat

T = TypeVar("T")
CATCH_UP_PAGE = 500


class _NotInPayload:
    """`Stream.item_from` could not build the item from the wake-up: read the table."""


NOT_IN_PAYLOAD = _NotInPayload()


@dataclass(frozen=True)
class Wakeup:
    """A decoded wake-up: the event's workspace sequence, type and payload."""

    seq: int
    type: str
    conversation_id: str | None
    payload: dict[str, Any]
    occurred_at: str | None


def decode_wakeup(message: str) -> Wakeup | None:
    try:
        raw = json.loads(message)
        return Wakeup(
            seq=int(raw["seq"]),
            type=str(raw["type"]),
            conversation_id=raw.get("conversationId"),
            payload=raw.get("payload") or {},
            occurred_at=raw.get("occurredAt"),
        )
    except (ValueError, KeyError, TypeError):
        return None


class Stream(Protocol[T]):
    """What a subscription follows: positions in some gap-free sequence, and items."""

    def position_of(self, wakeup: Wakeup) -> int | None:
        """The position this wake-up has in the stream, or None if it is not part of it."""

    def item_from(self, wakeup: Wakeup) -> T | _NotInPayload | None:
        """The item built from the wake-up's payload alone; None when this position is
        not to be sent (filtered out); NOT_IN_PAYLOAD when the table must be read."""

    async def read_after(self, position: int, limit: int) -> list[tuple[int, T | None]]:
        """Committed positions after `position`, in order, with their items (None for a
        position that belongs to the stream but is not to be sent, e.g. filtered out)."""


@dataclass
class Follower(Generic[T]):
    stream: Stream[T]
    last: int

    async def catch_up(self) -> AsyncIterator[T]:
        while True:
            rows = await self.stream.read_after(self.last, CATCH_UP_PAGE)
            for position, item in rows:
                self.last = position
                if item is not None:
                    yield item
            if len(rows) < CATCH_UP_PAGE:
                return

    async def on_wakeup(self, event: BroadcastEvent | Resync) -> AsyncIterator[T]:
        if isinstance(event, Resync):
            async for item in self.catch_up():
                yield item
            return
        wakeup = decode_wakeup(event.message)
        position = self.stream.position_of(wakeup) if wakeup else None
        if wakeup is None or position is None or position <= self.last:
            return  # not ours, or already sent
        if position == self.last + 1:
            in_step = self.stream.item_from(wakeup)
            if not isinstance(in_step, _NotInPayload):
                self.last = position
                if in_step is not None:
                    yield in_step
                return
        async for item in self.catch_up():
            yield item


class LiveContext(Protocol):
    """What `follow` needs of the subscription's Context (`api.core.context.Context`)."""

    @property
    def live_broadcast(self) -> ParleyBroadcast: ...

    @property
    def workspace_id(self) -> UUID: ...

    def reset_loaders(self) -> None: ...


async def follow(
    context: LiveContext, stream: Stream[T], start: Callable[[], Awaitable[int]]
) -> AsyncIterator[T]:
    """Items of `stream` after the position `start()` gives (called once subscribed), in
    the caller's workspace; the context's loaders are reset before each item."""
    channel = events.workspace_channel(context.workspace_id)
    with metrics.ACTIVE_SUBSCRIPTIONS.track_inprogress():
        async with context.live_broadcast.subscribe(channel) as subscriber:
            follower = Follower(stream, await start())
            async for item in follower.catch_up():
                context.reset_loaders()
                metrics.EVENTS_DELIVERED.inc()
                yield item
            async for event in subscriber:
                async for item in follower.on_wakeup(event):
                    context.reset_loaders()
                    metrics.EVENTS_DELIVERED.inc()
                    yield item


async def follow_after(
    context: LiveContext,
    stream: Stream[T],
    after: str | None,
    *,
    cursors: CursorFormat,
    current: Callable[[], Awaitable[int]],
    check_resumable: Callable[[int], Awaitable[None]] | None = None,
) -> AsyncIterator[T]:
    """Items of `stream` after the client's cursor `after` (BAD_USER_INPUT on `after` if
    it is not one of `cursors`), or, without one, after the position `current()` gives
    once subscribed. `check_resumable` refuses a position that can no longer be replayed
    before anything is subscribed."""
    position = int(cursors.decode(after, field="after")[0]) if after is not None else None
    if position is not None and check_resumable is not None:
        await check_resumable(position)

    async def start() -> int:
        return position if position is not None else await current()

    async for item in follow(context, stream, start):
        yield item


def follow_events(context: LiveContext, stream: Stream[T], after: str | None) -> AsyncIterator[T]:
    """`follow_after` for a stream whose positions are the workspace's event sequence
    (inboxEvents, usageUpdated): its cursors are the event log's, and one older than the
    events kept is CURSOR_EXPIRED."""
    workspace_id = context.workspace_id

    async def current() -> int:
        return await events.current_seq(workspace_id)

    async def check_resumable(seq: int) -> None:
        await events.check_resumable(workspace_id, seq)

    return follow_after(
        context,
        stream,
        after,
        cursors=events.EVENT_CURSORS,
        current=current,
        check_resumable=check_resumable,
    )
