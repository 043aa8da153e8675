"""What a usage event sums into: the daily rollup row, the conversation's and contact's
totals, and the small JSON of its live event; the row locks taken first.

Shared by recording (api/usage/recording.py) and repricing (api/usage/repricing.py),
which take the same locks in the same order.
"""

from dataclasses import asdict
from datetime import UTC, date
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

import models
from api.usage import budgets
from api.usage.aggregates import Totals
from api.usage.pricing import TokenCounts, cache_hit_rate


def usage_payload(event: models.AiUsageEvent) -> dict[str, Any]:
    """The small JSON of a usage.recorded event (enough for live totals)."""
    return {
        "id": str(event.id),
        "model": event.model_key,
        "operation": event.operation,
        "aiType": event.ai_type or None,
        "conversationId": str(event.conversation_id) if event.conversation_id else None,
        "contactId": str(event.contact_id) if event.contact_id else None,
        "tokens": event.total_tokens,
        "costUsd": str(event.cost_usd) if event.cost_usd is not None else None,
        "occurredAt": event.occurred_at.isoformat(),
    }


def daily_key(event: models.AiUsageEvent) -> dict[str, Any]:
    day: date = event.occurred_at.astimezone(UTC).date()
    return {
        "workspace_id": event.workspace_id,
        "day": day,
        "model_key": event.model_key,
        "provider": event.provider,
        "operation": event.operation,
        "ai_type": event.ai_type,
    }


def daily_delta(event: models.AiUsageEvent) -> Totals:
    """What one recorded event adds to its daily rollup row (named like the row's columns)."""
    return Totals(
        requests=1,
        unpriced_requests=1 if event.cost_usd is None else 0,
        uncached_input_tokens=event.uncached_input_tokens,
        cache_read_tokens=event.cache_read_tokens,
        cache_write_tokens=event.cache_write_tokens,
        output_tokens=event.output_tokens,
        reasoning_tokens=event.reasoning_tokens,
        cost_pico=budgets.to_pico(event.cost_usd) if event.cost_usd is not None else 0,
        latency_sum_ms=event.latency_ms or 0,
        latency_count=1 if event.latency_ms is not None else 0,
    )


async def bump_daily(db: BaseDBAsyncClient, key: dict[str, Any], delta: Totals) -> None:
    """Add `delta` to a rollup row: a conditional UPDATE of the integer sums (it takes the
    row lock), the money sum added in Python under that lock, an INSERT on a miss, and the
    UPDATE again when a concurrent transaction inserted the row first."""
    counters = asdict(delta)
    cost = budgets.from_pico(delta.cost_pico)
    # the money sum split in two BIGINTs, so a row never overflows (models/usage.py)
    counters["cost_micro"], counters["cost_pico"] = budgets.split_pico(delta.cost_pico)
    for _ in range(3):
        updated = await (
            models.AiUsageDaily.filter(**key)
            .using_db(db)
            .update(**{name: F(name) + n for name, n in counters.items()})
        )
        if updated:
            if cost:
                row = await models.AiUsageDaily.filter(**key).using_db(db).select_for_update().get()
                row.cost_usd += cost
                await row.save(using_db=db, update_fields=["cost_usd", "updated_at"])
            return
        try:
            async with in_transaction():  # a savepoint: losing the race keeps the transaction
                await models.AiUsageDaily.create(using_db=db, **key, **counters, cost_usd=cost)
            return
        except IntegrityError:
            continue
    raise RuntimeError("daily usage row neither updated nor inserted")


async def add_to_totals(
    db: BaseDBAsyncClient,
    *,
    conversation_id: UUID | None,
    contact_id: UUID | None,
    tokens: int,
    cost: Decimal,
) -> None:
    """Bump the conversation's and contact's totals under their row locks (the money sum
    in Python: SQLite keeps decimals as text)."""
    targets: list[tuple[type[models.Conversation] | type[models.Contact], UUID | None]] = [
        (models.Conversation, conversation_id),
        (models.Contact, contact_id),
    ]
    for model, key in targets:
        if key is None or not (tokens or cost):
            continue
        row = await model.filter(id=key).using_db(db).select_for_update().get()
        row.total_tokens += tokens
        row.total_cost += cost
        await row.save(using_db=db, update_fields=["total_tokens", "total_cost", "updated_at"])


async def lock_owners(
    db: BaseDBAsyncClient, *, conversation_id: UUID | None, contact_id: UUID | None
) -> None:
    """Take the conversation's and then the contact's row lock, first in the transaction:
    sendMessage takes them in this order too, so writers never wait on each other in a
    cycle (the event row, budget period, rollup and workspace counter come after)."""
    if conversation_id is not None:
        await (
            models.Conversation.filter(id=conversation_id).using_db(db).select_for_update().first()
        )
    if contact_id is not None:
        await models.Contact.filter(id=contact_id).using_db(db).select_for_update().first()


def tokens_of(event: models.AiUsageEvent) -> TokenCounts:
    return TokenCounts(
        event.uncached_input_tokens,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.output_tokens,
        event.reasoning_tokens,
    )


def hit_rate(event: models.AiUsageEvent) -> Decimal | None:
    return cache_hit_rate(tokens_of(event))
