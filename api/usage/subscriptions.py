"""usageUpdated: the workspace's running totals of the month, pushed after recordings.

It follows the workspace's event stream like inboxEvents (api/core/streams.py: subscribe,
replay after the cursor, follow, read the table on a gap) and reacts to `usage.recorded`
and `usage.repriced`. Pushes are coalesced: once a usage event arrives, the push waits
until at least PUSH_INTERVAL_S has passed since the previous one, takes everything that
arrived meanwhile, then reads the totals (from the daily rollup and the budget period) and
sends them once, with the cursor of the position they are exactly as of; recordings up to
that position are not pushed again. So a burst of recordings gives a few pushes a second per
subscriber, each with a new cursor and new totals, the last of them the true totals.
"""

import asyncio
import math
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from uuid import UUID

import strawberry

from api.core import events
from api.core.context import Info
from api.core.permissions import CanRead
from api.core.streams import Wakeup, follow_events
from api.usage import analytics
from api.usage.analytics_types import UsageTotals

PUSH_INTERVAL_S = 0.25
USAGE_EVENT_TYPES = frozenset({"usage.recorded", "usage.repriced"})


class UsageEventStream:
    """Every event of the workspace is a position; usage events are the items (their seq)."""

    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id

    def position_of(self, wakeup: Wakeup) -> int | None:
        return wakeup.seq

    def item_from(self, wakeup: Wakeup) -> int | None:
        return wakeup.seq if wakeup.type in USAGE_EVENT_TYPES else None

    async def read_after(self, position: int, limit: int) -> list[tuple[int, int | None]]:
        rows = await events.events_after(self.workspace_id, position, limit)
        return [(row.seq, row.seq if row.type in USAGE_EVENT_TYPES else None) for row in rows]


async def coalesce(source: AsyncIterator[int], interval: float) -> AsyncIterator[int]:
    """The latest item of `source`, at most once per `interval` seconds: an item after a
    quiet spell goes at once, items of a burst are gathered until the interval is up."""
    latest: int | None = None
    arrived = asyncio.Event()

    async def pump() -> None:
        nonlocal latest
        async for item in source:
            latest = item
            arrived.set()

    pumping = asyncio.create_task(pump())
    waiting: asyncio.Task[Any] | None = None
    last_push = -math.inf
    loop = asyncio.get_running_loop()
    try:
        while True:
            waiting = asyncio.create_task(arrived.wait())
            await asyncio.wait({waiting, pumping}, return_when=asyncio.FIRST_COMPLETED)
            if not waiting.done():
                pumping.result()  # the source failed: raise its error
                return  # the source ended
            delay = last_push + interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            arrived.clear()
            assert latest is not None
            last_push = loop.time()
            yield latest
    finally:
        if waiting is not None:
            waiting.cancel()
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)  # closed down, whatever it was


# Reads of the totals retried while recordings commit in between; then the older position.
SNAPSHOT_ATTEMPTS = 3


async def current_usage_at(workspace_id: UUID) -> tuple[int, UsageTotals]:
    """The month's totals and the event position they are exactly as of (their cursor).

    Every recording commits its event (and bumps the workspace's position) in the same
    transaction as the totals it changes, so totals read between two equal positions are
    exactly the totals at that position. If recordings keep committing meanwhile, the
    position read before the totals is used: the totals then cover at least it, and the
    recordings after it are pushed again later, so a resume loses nothing.
    """
    position = await events.current_seq(workspace_id)
    for attempt in range(SNAPSHOT_ATTEMPTS):
        current = await analytics.current_totals(workspace_id=workspace_id)
        position_after = await events.current_seq(workspace_id)
        if position_after == position or attempt == SNAPSHOT_ATTEMPTS - 1:
            break
        position = position_after
    return position, UsageTotals.from_totals(
        current.totals,
        cursor=events.EVENT_CURSORS.encode([position]),
        period_start=current.period_start,
        budget_used_percent=current.budget_used_percent,
    )


async def current_usage(workspace_id: UUID) -> UsageTotals:
    """The month's totals with the cursor they are as of."""
    _, totals = await current_usage_at(workspace_id)
    return totals


@strawberry.type
class UsageSubscriptions:
    @strawberry.subscription(
        permission_classes=[CanRead],
        description="This calendar month's (UTC) running usage totals, pushed after "
        "recordings (coalesced: at most about 4 pushes a second). `after`: a cursor of a "
        "push (or of currentUsage, or inboxEvents); if usage was recorded since, the totals "
        "are pushed at once.",
    )
    async def usage_updated(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[UsageTotals, None]:
        workspace_id = info.context.workspace_id
        source = follow_events(info.context, UsageEventStream(workspace_id), after)
        pushed_through = -1
        async for seq in coalesce(source, PUSH_INTERVAL_S):
            if seq <= pushed_through:
                continue  # the totals already pushed include this recording
            info.context.reset_loaders()  # a coalesced push comes after the items it covers
            pushed_through, totals = await current_usage_at(workspace_id)
            yield totals
