"""The usage rules hold for every caller of the services (the CLI, jobs, bots, tests), not
only behind the GraphQL resolvers: the batch limit, and a catalog change pricing the usage
that was waiting for it in one service call."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import models
from api.core.errors import BadInput
from api.usage import catalog, recording, reports, repricing
from api.usage.pricing import ModelPrices
from tests.conftest import Tenant

LLAMA = "llama-local"
LLAMA_PRICES = ModelPrices(input_per_mtok=Decimal("0.1"), output_per_mtok=Decimal("0.2"))


def llama_call(**overrides: Any) -> reports.UsageReport:
    values: dict[str, Any] = {
        "model": LLAMA,
        "operation": "reply",
        "input_tokens": 1000,
        "output_tokens": 1000,
    }
    return reports.UsageReport(**{**values, **overrides})


async def test_a_batch_over_the_limit_is_refused_by_the_service(tenant: Tenant) -> None:
    # given one report more than a batch may hold
    batch = [llama_call(request_id=f"r-{n}") for n in range(recording.MAX_BATCH + 1)]

    # when the service is called directly, not through recordAiUsageBatch
    with pytest.raises(BadInput) as refused:
        await recording.record_usage_batch(workspace_id=tenant.id, reports=batch)

    # then it is refused as a whole, naming the events, and nothing is written
    assert refused.value.field == "events"
    assert await models.AiUsageEvent.filter(workspace_id=tenant.id).count() == 0


async def test_adding_a_model_is_one_call_that_prices_the_usage_waiting_for_it(
    tenant: Tenant,
) -> None:
    # given a call of a self-hosted model recorded before the catalog knew it
    waiting = await recording.record_usage(workspace_id=tenant.id, report=llama_call())
    assert waiting.event.cost_usd is None

    # when the workspace adds the model through the service
    added = await repricing.add_model_and_reprice(
        workspace_id=tenant.id,
        model=catalog.OwnModel(key=LLAMA, provider="self", prices=LLAMA_PRICES),
    )

    # then the model is there and the waiting call is priced: 1000*0.1 + 1000*0.2 per MTok
    assert (added.model.key, added.price.input_per_mtok, added.repriced) == (
        LLAMA,
        Decimal("0.1"),
        1,
    )
    event = await models.AiUsageEvent.get(id=waiting.event.id)
    assert event.cost_usd == Decimal("0.0003")


async def test_a_new_price_is_one_call_that_prices_the_usage_it_covers(tenant: Tenant) -> None:
    # given a model whose first price starts tomorrow, and a call of it today (no price yet)
    now = datetime.now(UTC)
    await catalog.add_model(
        workspace_id=tenant.id,
        model=catalog.OwnModel(
            key=LLAMA, provider="self", prices=LLAMA_PRICES, effective_from=now + timedelta(days=1)
        ),
    )
    waiting = await recording.record_usage(workspace_id=tenant.id, report=llama_call())
    assert waiting.priced is not None and waiting.priced.unpriced_reason == "NO_PRICE"

    # when a price in force since an hour ago is set through the service (the name as typed,
    # with spaces around it)
    added = await repricing.set_price_and_reprice(
        workspace_id=tenant.id,
        model_name=f"  {LLAMA} ",
        prices=ModelPrices(input_per_mtok=Decimal(1), output_per_mtok=Decimal(1)),
        effective_from=now - timedelta(hours=1),
    )

    # then the call is priced by it: 2000 tokens at $1 per MTok
    assert (added.model.key, added.repriced) == (LLAMA, 1)
    event = await models.AiUsageEvent.get(id=waiting.event.id)
    assert event.cost_usd == Decimal("0.002")
