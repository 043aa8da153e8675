"""The price catalog: unknown models recorded unpriced and priced later, price versions,
negotiated rates, aliases, the catalog queries and admin mutations, the LiteLLM import."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import models
from api.usage import catalog, litellm, repricing
from api.usage.pricing import ModelPrices
from models.enums import Role
from tests.conftest import REPO, Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3, haiku_call, money, record, usage_rows

LITELLM_FILE = Path(__file__).resolve().parents[3] / "shared/data/litellm_model_prices.json"

ADD_MODEL = """
mutation Add($input: AddAiModelInput!) {
  addAiModel(input: $input) {
    __typename
    ... on AddAiModelPayload { repricedEvents aiModel { modelId aliases workspaceOwned } }
    ... on Error { code field }
  }
}
"""

SET_PRICE = """
mutation SetPrice($input: SetAiModelPriceInput!) {
  setAiModelPrice(input: $input) {
    __typename
    ... on SetAiModelPricePayload {
      repricedEvents
      price { inputPerMtok workspaceOverride }
      aiModel { modelId price { inputPerMtok workspaceOverride } }
    }
    ... on Error { code field }
  }
}
"""

MODELS = """
query Models($filter: AiModelFilter, $first: Int, $after: String) {
  aiModels(filter: $filter, first: $first, after: $after) {
    edges { node { modelId provider displayName aliases price { inputPerMtok } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

MODEL = """
query Model($id: String!) {
  aiModel(id: $id) {
    modelId provider contextWindow capabilities enabled aliases
    price { inputPerMtok outputPerMtok cacheReadPerMtok cacheWritePerMtok cacheWrite1hPerMtok }
  }
}
"""

LLAMA_PRICES = {"inputPerMtok": "0.1", "outputPerMtok": "0.2"}


async def test_unknown_model_is_recorded_unpriced_then_priced_by_reprice(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a call of a model nobody has priced yet, in a conversation
    conversation = await seed.conversation(tenant)
    call = {
        "model": "acme/llama-9",
        "operation": "reply",
        "inputTokens": 2000,
        "outputTokens": 1000,
        "inputTokensIncludeCache": False,
        "conversationId": seed.gid("Conversation", conversation.id),
    }

    # when it is recorded
    usage = (await record(agent, **call))["usage"]

    # then it is kept, flagged unpriced, without cost
    assert (usage["priced"], usage["costUsd"], usage["priceVersion"]) == (False, None, None)
    assert usage["totalTokens"] == 3000

    # when the operator adds the model to the catalog and reprices (what the CLI calls)
    await catalog.import_catalog(
        [
            litellm.CatalogModel(
                model_id="acme/llama-9",
                provider="acme",
                display_name="Llama 9",
                context_window=None,
                max_output_tokens=None,
                capabilities=(),
                prices=ModelPrices(input_per_mtok=Decimal("0.1"), output_per_mtok=Decimal("0.2")),
            )
        ],
        source="litellm",
    )
    result = await repricing.reprice_unpriced()

    # then: 2000 * 0.1 + 1000 * 0.2 = 200 + 200 = 400 per million = $0.0004
    assert (result.priced, result.still_unpriced) == (1, 0)
    row = (await usage_rows(tenant.id))[0]
    assert row.cost_usd == Decimal("0.0004")
    assert row.price_id is not None
    # and the totals and the rollup carry the cost once
    stored = await models.Conversation.get(id=conversation.id)
    assert (stored.total_tokens, stored.total_cost) == (3000, Decimal("0.0004"))
    daily = await models.AiUsageDaily.get(workspace_id=tenant.id)
    assert (daily.requests, daily.unpriced_requests, daily.cost_usd) == (1, 0, Decimal("0.0004"))
    assert (await repricing.reprice_unpriced()).priced == 0


async def test_an_event_keeps_the_price_in_force_when_it_happened(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a new list price for Claude 3 Haiku from an hour ago: input $0.50 per MTok
    now = datetime.now(UTC)
    model = await catalog.resolve_model(tenant.id, HAIKU_3)
    assert model is not None
    await models.AiModelPrice.create(
        model=model,
        effective_from=now - timedelta(hours=1),
        input_per_mtok=Decimal("0.5"),
        output_per_mtok=Decimal("1.25"),
        cache_read_per_mtok=Decimal("0.03"),
        source="admin",
    )

    # when one call from two hours ago and one from now are recorded
    old = await record(agent, **haiku_call(occurredAt=(now - timedelta(hours=2)).isoformat()))
    new = await record(agent, **haiku_call())

    # then the old call keeps the old price: 1000*0.25 + 4000*0.03 + 500*1.25 = 995 -> $0.000995
    assert money(old["usage"]["costUsd"]) == Decimal("0.000995")
    # and the new one the new: 1000*0.5 + 4000*0.03 + 500*1.25 = 500 + 120 + 625 = 1245
    assert money(new["usage"]["costUsd"]) == Decimal("0.001245")
    assert old["usage"]["priceVersion"]["id"] != new["usage"]["priceVersion"]["id"]


async def test_negotiated_rate_applies_to_its_workspace_only(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given our ADMIN negotiates $0.20 input for Claude 3 Haiku (named by its alias)
    admin = client.as_(tenant.keys[Role.ADMIN])
    prices = {
        "inputPerMtok": "0.20",
        "outputPerMtok": "1.00",
        "cacheReadPerMtok": "0.02",
    }
    data = await admin.data(
        SET_PRICE, {"input": {"modelId": "anthropic/claude-3-haiku", "prices": prices}}
    )
    assert data["setAiModelPrice"]["price"]["workspaceOverride"] is True
    assert data["setAiModelPrice"]["aiModel"]["modelId"] == HAIKU_3
    assert data["setAiModelPrice"]["aiModel"]["price"]["workspaceOverride"] is True

    # when both workspaces record the same call
    ours = await record(client.as_(tenant.keys[Role.AGENT]), **haiku_call())
    theirs = await record(client.as_(other_tenant.keys[Role.AGENT]), **haiku_call())

    # then ours: 1000*0.20 + 4000*0.02 + 500*1.00 = 200 + 80 + 500 = 780 -> $0.00078
    assert money(ours["usage"]["costUsd"]) == Decimal("0.00078")
    assert ours["usage"]["priceVersion"]["workspaceOverride"] is True
    # and theirs the list price: $0.000995
    assert money(theirs["usage"]["costUsd"]) == Decimal("0.000995")


async def test_aliases_resolve_to_the_model(agent: GraphQLClient) -> None:
    # when calls name Claude Haiku 4.5 by its OpenRouter-style and undated aliases
    results = [
        (await record(agent, **haiku_call(model=name)))["usage"]
        for name in ("anthropic/claude-haiku-4.5", "claude-haiku-4-5-20251001")
    ]

    # then both resolve to the dated id; $1 in, $0.10 read, $5 out:
    # 1000*1 + 4000*0.1 + 500*5 = 1000 + 400 + 2500 = 3900 -> $0.0039
    assert [u["modelId"] for u in results] == ["claude-haiku-4-5-20251001"] * 2
    assert [u["model"] for u in results] == [
        "anthropic/claude-haiku-4.5",
        "claude-haiku-4-5-20251001",
    ]
    assert {money(u["costUsd"]) for u in results} == {Decimal("0.0039")}


async def test_catalog_queries_find_models_by_id_alias_search_and_provider(
    agent: GraphQLClient,
) -> None:
    # when a model is read by an alias
    model = (await agent.data(MODEL, {"id": "anthropic/claude-3-haiku"}))["aiModel"]

    # then it is the default catalog's Claude 3 Haiku with its prices
    assert model["modelId"] == HAIKU_3
    assert model["provider"] == "anthropic"
    assert model["contextWindow"] == 200_000
    assert "prompt_caching" in model["capabilities"]
    assert set(model["aliases"]) == {"anthropic/claude-3-haiku", "claude-3-haiku"}
    assert {k: Decimal(v) for k, v in model["price"].items()} == {
        "inputPerMtok": Decimal("0.25"),
        "outputPerMtok": Decimal("1.25"),
        "cacheReadPerMtok": Decimal("0.03"),
        "cacheWritePerMtok": Decimal("0.30"),
        "cacheWrite1hPerMtok": Decimal("0.50"),
    }
    assert (await agent.data(MODEL, {"id": "no-such-model"}))["aiModel"] is None
    # when the list is filtered by provider and search, then only those, ordered by id
    openai = await agent.data(MODELS, {"filter": {"provider": "openai"}})
    ids = [e["node"]["modelId"] for e in openai["aiModels"]["edges"]]
    assert ids == ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini"]
    mini = await agent.data(MODELS, {"filter": {"search": "MINI", "provider": "openai"}})
    assert [e["node"]["modelId"] for e in mini["aiModels"]["edges"]] == [
        "gpt-4.1-mini",
        "gpt-4o-mini",
    ]
    # and pages follow the cursor
    page = await agent.data(MODELS, {"filter": {"provider": "openai"}, "first": 3})
    assert page["aiModels"]["pageInfo"]["hasNextPage"] is True
    rest = await agent.data(
        MODELS,
        {"filter": {"provider": "openai"}, "after": page["aiModels"]["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["modelId"] for e in rest["aiModels"]["edges"]] == ["gpt-4o-mini"]


async def test_workspace_model_added_by_an_admin_prices_earlier_usage(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given usage of a self-hosted model recorded before it was in the catalog
    agent = client.as_(tenant.keys[Role.AGENT])
    call = {
        "model": "llama-local",
        "operation": "reply",
        "inputTokens": 1000,
        "outputTokens": 1000,
        "inputTokensIncludeCache": False,
    }
    assert (await record(agent, **call))["usage"]["priced"] is False

    # when an ADMIN adds it with an alias; an AGENT may not
    body = await agent.execute(
        ADD_MODEL, {"input": {"modelId": "llama-local", "provider": "self", "prices": LLAMA_PRICES}}
    )
    assert error_codes(body) == ["FORBIDDEN"]
    data = await client.as_(tenant.keys[Role.ADMIN]).data(
        ADD_MODEL,
        {
            "input": {
                "modelId": "llama-local",
                "provider": "self",
                "aliases": ["self/llama-local"],
                "prices": LLAMA_PRICES,
            }
        },
    )

    # then the earlier usage is priced: 1000*0.1 + 1000*0.2 = 300 per million = $0.0003
    assert data["addAiModel"] == {
        "__typename": "AddAiModelPayload",
        "repricedEvents": 1,
        "aiModel": {
            "modelId": "llama-local",
            "aliases": ["self/llama-local"],
            "workspaceOwned": True,
        },
    }
    assert (await usage_rows(tenant.id))[0].cost_usd == Decimal("0.0003")
    # and the other workspace neither sees it nor can use it
    theirs = client.as_(other_tenant.keys[Role.AGENT])
    assert (await theirs.data(MODEL, {"id": "llama-local"}))["aiModel"] is None
    assert (await record(theirs, **call))["usage"]["priced"] is False
    # and a name already in the catalog is a conflict
    again = await client.as_(tenant.keys[Role.ADMIN]).data(
        ADD_MODEL, {"input": {"modelId": "gpt-4o", "provider": "x", "prices": LLAMA_PRICES}}
    )
    assert again["addAiModel"] == {
        "__typename": "ConflictError",
        "code": "CONFLICT",
        "field": "modelId",
    }


def test_pricing_import_cli_imports_the_litellm_file(database_url: str) -> None:
    # given the LiteLLM price file beside the repository
    if not LITELLM_FILE.exists():
        message = f"{LITELLM_FILE} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "PARLEY_DATABASE_URL": database_url}

    # when `parley pricing import FILE` runs twice
    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "api", "pricing", "import", str(LITELLM_FILE)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    first, second = run(), run()

    # then 3324 models are imported (4553 entries: 1052 not text models, 172 unpriced,
    # 4 invalid, 1 sample_spec); 7 of them were already in the default catalog
    assert first.splitlines()[0] == (
        "Imported 3324 models: 3317 new, 7 updated, 0 unchanged; 3317 price versions added. "
        "Skipped 1229 entries (4 invalid, 1052 not_text_model, 1 sample_spec, 172 unpriced)."
    )
    # and the second run changes nothing
    assert "0 new, 0 updated, 3324 unchanged; 0 price versions added" in second
    # and a few prices are exact (LiteLLM's per-token floats times a million)
    script = """
import asyncio, json, uuid
from datetime import UTC, datetime
from tortoise import Tortoise
import models
from api.settings import load_settings
from api.usage import catalog, litellm, repricing
async def main():
    await Tortoise.init(config=load_settings().tortoise_orm)
    out = {"models": await models.AiModel.filter(scope="").count()}
    anyone = uuid.uuid4()
    for key in ("claude-haiku-4-5-20251001", "gpt-4o", "gpt-4o-mini"):
        model = await catalog.resolve_model(anyone, key)
        price = await catalog.price_at(anyone, model.id, datetime.now(UTC))
        p = catalog.prices_of(price)
        values = [p.input_per_mtok, p.output_per_mtok, p.cache_read_per_mtok,
                  p.cache_write_per_mtok, p.cache_write_1h_per_mtok]
        out[key] = [None if v is None else str(v) for v in values]
    await Tortoise.close_connections()
    print(json.dumps(out))
asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    prices = json.loads(done.stdout)
    # 3317 imported + 11 default catalog models
    assert prices["models"] == 3328
    as_decimals = {
        key: [Decimal(v) if v is not None else None for v in values]
        for key, values in prices.items()
        if key != "models"
    }
    # claude-haiku-4-5: 1e-06, 5e-06, 1e-07, 1.25e-06, 2e-06 per token
    assert as_decimals["claude-haiku-4-5-20251001"] == [
        Decimal("1"),
        Decimal("5"),
        Decimal("0.1"),
        Decimal("1.25"),
        Decimal("2"),
    ]
    # gpt-4o: 2.5e-06 in, 1e-05 out, 1.25e-06 cache read, no cache-write price
    assert as_decimals["gpt-4o"] == [Decimal("2.5"), Decimal("10"), Decimal("1.25"), None, None]
    # gpt-4o-mini: 1.5e-07 in, 6e-07 out, 7.5e-08 cache read
    assert as_decimals["gpt-4o-mini"] == [
        Decimal("0.15"),
        Decimal("0.6"),
        Decimal("0.075"),
        None,
        None,
    ]
