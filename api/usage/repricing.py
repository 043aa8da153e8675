"""Repricing: usage recorded unpriced (an unknown model, no price yet) gets its cost
once the catalog knows it, everywhere the cost is summed, one transaction per event.

Adding a workspace's model or price and repricing what it prices is one operation here
(`add_model_and_reprice`, `set_price_and_reprice`): the model and its price commit in
their own transaction first, then the events are repriced, each in its own transaction.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from tortoise.transactions import in_transaction

import models
from api.core import events
from api.usage import budgets
from api.usage.aggregates import Totals
from api.usage.catalog import OwnModel, add_model, price_at, prices_of, resolve_model, set_price
from api.usage.pricing import ModelPrices, cost_of
from api.usage.rollups import (
    add_to_totals,
    bump_daily,
    daily_delta,
    daily_key,
    lock_owners,
    tokens_of,
    usage_payload,
)


@dataclass
class Repriced:
    priced: int = 0
    still_unpriced: int = 0


async def reprice_unpriced(*, workspace_id: UUID | None = None) -> Repriced:
    """Price every unpriced usage event whose model and price are now known: its cost goes
    to the event (and its chat message), the rollup, the conversation and contact totals
    and the budget's `spent`, each in one transaction per event."""
    query = models.AiUsageEvent.filter(price_id=None)
    if workspace_id is not None:
        query = query.filter(workspace_id=workspace_id)
    rows = await query.order_by("occurred_at", "id")
    result = Repriced()
    resolved: dict[tuple[UUID, str], models.AiModel | None] = {}
    for event in rows:
        cache_key = (event.workspace_id, event.reported_model)
        if cache_key not in resolved:
            resolved[cache_key] = await resolve_model(event.workspace_id, event.reported_model)
        model = resolved[cache_key]
        price = await price_at(event.workspace_id, model.id, event.occurred_at) if model else None
        if model is None or price is None:
            result.still_unpriced += 1
            continue
        tokens = tokens_of(event)
        prices = prices_of(price)
        cost = cost_of(tokens, prices, event.cache_write_1h_tokens)
        tier = prices.tier_for(tokens.input_total)
        wakeups = await _price_event(event, model, price, cost, tier.above_tokens if tier else None)
        if wakeups is not None:
            result.priced += 1
            await events.publish(*wakeups)
    return result


async def _price_event(
    event: models.AiUsageEvent,
    model: models.AiModel,
    price: models.AiModelPrice,
    cost: Decimal,
    tier_above: int | None,
) -> list[models.Event] | None:
    old_key = daily_key(event)
    async with in_transaction() as db:
        await lock_owners(db, conversation_id=event.conversation_id, contact_id=event.contact_id)
        claimed = await (
            models.AiUsageEvent.filter(id=event.id, price_id=None)
            .using_db(db)
            .update(
                model_id=model.id,
                model_key=model.key,
                provider=model.provider,
                price_id=price.id,
                price_tier_above=tier_above,
                cost_usd=cost,
                cost_pico=budgets.to_pico(cost),
            )
        )
        if not claimed:
            return None  # priced meanwhile
        event = await models.AiUsageEvent.get(id=event.id, using_db=db)
        period = await budgets.period_for(
            db, event.workspace_id, budgets.period_start_of(event.occurred_at)
        )
        await budgets.add_spent(db, period.id, budgets.to_pico(cost))
        threshold_events = await budgets.announce_thresholds(db, event.workspace_id, period.id)
        moved = daily_delta(event)  # the event as priced now
        if daily_key(event) != old_key:  # resolved to another model key: move it over
            await bump_daily(
                db, old_key, replace(moved, unpriced_requests=1, cost_pico=0).negated()
            )
            await models.AiUsageDaily.filter(**old_key, requests=0).using_db(db).delete()
            await bump_daily(db, daily_key(event), moved)
        else:
            await bump_daily(
                db, old_key, Totals(unpriced_requests=-1, cost_pico=budgets.to_pico(cost))
            )
        if event.message_id is not None:
            await models.Message.filter(id=event.message_id).using_db(db).update(cost=cost)
        await add_to_totals(
            db,
            conversation_id=event.conversation_id,
            contact_id=event.contact_id,
            tokens=0,
            cost=cost,
        )
        repriced = await events.record(
            db,
            workspace_id=event.workspace_id,
            type="usage.repriced",
            conversation_id=event.conversation_id,
            payload=usage_payload(event),
        )
    return [*threshold_events, repriced]


# --- a catalog change and the repricing it causes, as one operation ------------------


@dataclass(frozen=True)
class PriceAdded:
    """A model with its new price version, and how many recorded calls that priced."""

    model: models.AiModel
    price: models.AiModelPrice
    repriced: int


async def add_model_and_reprice(*, workspace_id: UUID, model: OwnModel) -> PriceAdded:
    """Add a workspace's own model with its first price (one transaction), then price the
    workspace's usage that was waiting for it (one transaction per event, after commit:
    repricing takes each event's conversation and contact locks in the order recording
    does, so it must not run inside a transaction holding other rows; and what it leaves
    undone, `parley pricing reprice` finishes, so the model never waits on it)."""
    row, price = await add_model(workspace_id=workspace_id, model=model)
    repriced = await reprice_unpriced(workspace_id=workspace_id)
    return PriceAdded(row, price, repriced.priced)


async def set_price_and_reprice(
    *,
    workspace_id: UUID,
    model_name: str,
    prices: ModelPrices,
    effective_from: datetime | None = None,
) -> PriceAdded:
    """A new price version for the workspace (`catalog.set_price`), then its usage priced
    by it, as `add_model_and_reprice` does."""
    row, price = await set_price(
        workspace_id=workspace_id,
        model_name=model_name,
        prices=prices,
        effective_from=effective_from,
    )
    repriced = await reprice_unpriced(workspace_id=workspace_id)
    return PriceAdded(row, price, repriced.priced)
