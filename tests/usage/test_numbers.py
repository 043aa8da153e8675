"""Numbers that stay right: bounded token counts and prices, 64-bit token sums, money sums
exact past the range of a 64-bit integer, a batch answered per event whatever happens,
long-context price tiers, reasoning tokens, idempotency conflicts and the reasons of
unpriced usage."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

import models
from api.core.errors import QuotaExceeded
from api.usage import budgets, catalog, reservations
from api.usage.litellm import parse_litellm_catalog
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.usage.helpers import (
    BUDGET,
    RECORD,
    RECORD_BATCH,
    RESERVE,
    SEA_LION,
    SET_BUDGET,
    haiku_call,
    money,
    record,
    usage_rows,
)
from tests.usage.test_catalog import ADD_MODEL, LITELLM_FILE, SET_PRICE

MAX_TOKENS = 100_000_000
INT32_MAX = 2**31 - 1

TOTALS = """
query Totals($id: ID!) {
  node(id: $id) {
    ... on Conversation { totalTokens contact { totalTokens } }
  }
}
"""

SUMMARY = """
query Summary($period: DateRangeInput!, $groupBy: [UsageDimension!]) {
  usageSummary(period: $period, groupBy: $groupBy) {
    rows { model day conversationId totals { costUsd totalTokens reasoningTokens } }
    total { requests costUsd totalTokens outputTokens reasoningTokens }
  }
}
"""

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload { chatMessage { id } }
    ... on Error { code field message }
  }
}
"""

PRICE_TIERS = """
query Model($id: String!) {
  aiModel(id: $id) {
    price {
      inputPerMtok reasoningPerMtok
      tiers { aboveTokens inputPerMtok outputPerMtok cacheReadPerMtok cacheWritePerMtok }
    }
  }
}
"""

# Our own model at the dearest price Parley accepts: $10,000 per million tokens
DEAR = "dear-model-x"
DEAR_PRICES = {"inputPerMtok": "10000", "outputPerMtok": "10000"}


def month_range() -> dict[str, str]:
    start = budgets.period_start_of(datetime.now(UTC))
    end = budgets.period_end_of(start)
    return {"start": f"{start.isoformat()}T00:00:00Z", "end": f"{end.isoformat()}T00:00:00Z"}


async def add_model(client: GraphQLClient, tenant: Tenant, key: str, **prices: Any) -> None:
    data = await client.as_(tenant.keys[Role.ADMIN]).data(
        ADD_MODEL, {"input": {"modelId": key, "provider": "self", "prices": prices}}
    )
    assert data["addAiModel"]["__typename"] == "AddAiModelPayload", data


# --- bounds ---------------------------------------------------------------------------------


async def test_token_counts_above_the_maximum_are_refused_naming_the_field(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given the 32-bit maximum in each token count of a report, one at a time
    fields = ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"]
    fields.append("reasoningTokens")
    for field in fields:
        call = {
            "model": SEA_LION,
            "operation": "reply",
            "inputTokensIncludeCache": False,
            "outputTokensIncludeReasoning": False,
            field: INT32_MAX,
        }
        # when it is recorded
        result = await record(agent, **call)
        # then it is refused naming that field, with the documented maximum
        assert (result["__typename"], result["code"], result["field"]) == (
            "ValidationError",
            "BAD_USER_INPUT",
            field,
        )
        assert "100,000,000" in result["message"]
    # and a reservation for more than the maximum too
    reserve = await agent.data(
        RESERVE, {"input": {"model": SEA_LION, "maxInputTokens": INT32_MAX, "maxOutputTokens": 1}}
    )
    assert reserve["reserveAiBudget"]["field"] == "maxInputTokens"
    assert await usage_rows(tenant.id) == []


async def test_a_message_with_the_largest_token_counts_is_refused_and_pages_stay_readable(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    usage = {
        "model": SEA_LION,
        "inputTokens": INT32_MAX,
        "cacheReadTokens": INT32_MAX,
        "cacheWriteTokens": INT32_MAX,
        "outputTokens": INT32_MAX,
        "inputTokensIncludeCache": False,
    }
    # when a message reports all four token counts at the 32-bit maximum
    data = await agent.data(
        SEND,
        {
            "input": {
                "conversationId": conversation_id,
                "role": "ASSISTANT",
                "content": "Hello",
                "usage": usage,
            }
        },
    )
    # then it is refused naming the first count, and the conversation still reads
    assert data["sendMessage"]["code"] == "BAD_USER_INPUT"
    assert data["sendMessage"]["field"] == "inputTokens"
    node = (await agent.data(TOTALS, {"id": conversation_id}))["node"]
    assert node["totalTokens"] == 0


async def test_token_sums_past_the_32_bit_range_are_served_as_long(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given 5 calls of a conversation, each with every token kind at the maximum
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    call = {
        "model": SEA_LION,
        "operation": "reply",
        "inputTokens": MAX_TOKENS,
        "cacheReadTokens": MAX_TOKENS,
        "cacheWriteTokens": MAX_TOKENS,
        "outputTokens": MAX_TOKENS,
        "reasoningTokens": MAX_TOKENS,
        "inputTokensIncludeCache": False,
        "outputTokensIncludeReasoning": False,
        "conversationId": conversation_id,
    }
    results = [await record(agent, **call) for _ in range(5)]
    # then each is recorded with its 500 million tokens (an Int still holds one call)
    assert [r["usage"]["totalTokens"] for r in results] == [5 * MAX_TOKENS] * 5

    # when pages select the sums
    node = (await agent.data(TOTALS, {"id": conversation_id}))["node"]
    summary = (await agent.data(SUMMARY, {"period": month_range(), "groupBy": ["CONVERSATION"]}))[
        "usageSummary"
    ]

    # then every sum is exact, 2.5 billion, above the 32-bit Int
    expected = 25 * MAX_TOKENS
    assert expected > INT32_MAX
    assert node == {"totalTokens": expected, "contact": {"totalTokens": expected}}
    assert summary["total"]["totalTokens"] == expected
    assert summary["total"]["reasoningTokens"] == 5 * MAX_TOKENS
    assert [row["totals"]["totalTokens"] for row in summary["rows"]] == [expected]


async def test_prices_above_the_maximum_are_refused_naming_the_field(
    client: GraphQLClient, tenant: Tenant
) -> None:
    admin = client.as_(tenant.keys[Role.ADMIN])
    # when an admin sets a price above $10,000 per million tokens, in any price or tier
    too_dear = [
        ({"inputPerMtok": "10000.01", "outputPerMtok": "1"}, "inputPerMtok"),
        (
            {"inputPerMtok": "1", "outputPerMtok": "1", "reasoningPerMtok": "10000000"},
            "reasoningPerMtok",
        ),
        (
            {
                "inputPerMtok": "1",
                "outputPerMtok": "1",
                "tiers": [{"aboveTokens": 200000, "outputPerMtok": "99999"}],
            },
            "tiers.outputPerMtok",
        ),
    ]
    for prices, field in too_dear:
        data = await admin.data(SET_PRICE, {"input": {"modelId": SEA_LION, "prices": prices}})
        # then it is refused naming the field
        assert (data["setAiModelPrice"]["code"], data["setAiModelPrice"]["field"]) == (
            "BAD_USER_INPUT",
            field,
        )
    # and nothing was written
    assert not await models.AiModelPrice.filter(workspace_id=tenant.id).exists()


# --- money sums beyond 64 bits ------------------------------------------------------------


async def test_money_sums_stay_exact_past_the_range_of_a_64_bit_integer(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given the dearest model and a conversation
    await add_model(client, tenant, DEAR, **DEAR_PRICES)
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    # when a batch records 5 of its largest calls: 1e8 input + 1e8 output tokens at
    # $10,000 per million are $2,000,000 each, 2e18 pico-USD; together 1e19 > 2^63 - 1
    call = {
        "model": DEAR,
        "operation": "reply",
        "inputTokens": MAX_TOKENS,
        "outputTokens": MAX_TOKENS,
        "inputTokensIncludeCache": False,
        "conversationId": conversation_id,
    }
    batch = (await agent.data(RECORD_BATCH, {"input": {"events": [call] * 5}}))[
        "recordAiUsageBatch"
    ]
    assert (batch["recorded"], batch["failed"]) == (5, 0)
    # then the budget, the summary (from the rollup) and the groupings by day, model and
    # conversation (from the events) all say exactly $10,000,000
    expected = Decimal(10_000_000)
    assert 5 * 2 * 10**18 > 2**63 - 1
    spent = money((await agent.data(BUDGET))["aiBudget"]["spentUsd"])
    assert spent == expected
    for group_by in ([], ["DAY"], ["MODEL"], ["CONVERSATION"], ["MODEL", "CONVERSATION"]):
        summary = (await agent.data(SUMMARY, {"period": month_range(), "groupBy": group_by}))[
            "usageSummary"
        ]
        assert money(summary["total"]["costUsd"]) == expected, group_by
        assert sum(money(r["totals"]["costUsd"]) or 0 for r in summary["rows"]) == (
            expected if group_by else 0
        )
    stored = await models.Conversation.get(id=conversation.id)
    assert stored.total_cost == expected


async def test_conversation_and_contact_totals_stay_exact_past_a_trillion_dollars(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation (and its contact) that has already cost $999,999,999,999
    await add_model(client, tenant, DEAR, **DEAR_PRICES)
    conversation = await seed.conversation(tenant)
    so_far = Decimal("999999999999.000000000001")
    await models.Conversation.filter(id=conversation.id).update(total_cost=so_far)
    await models.Contact.filter(id=conversation.contact_id).update(total_cost=so_far)
    # when one of the largest calls ($2,000,000) is recorded in it
    call = {
        "model": DEAR,
        "operation": "reply",
        "inputTokens": MAX_TOKENS,
        "outputTokens": MAX_TOKENS,
        "inputTokensIncludeCache": False,
        "conversationId": seed.gid("Conversation", conversation.id),
    }
    result = (await agent.data(RECORD, {"input": call}))["recordAiUsage"]
    assert result["__typename"] == "RecordAiUsagePayload", result
    # then both totals hold the exact sum, beyond the 12 digits before the point
    expected = so_far + Decimal(2_000_000)
    assert (await models.Conversation.get(id=conversation.id)).total_cost == expected
    assert (await models.Contact.get(id=conversation.contact_id)).total_cost == expected


async def test_an_unexpected_failure_of_one_event_is_that_events_error_only(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given the database refuses one particular call (a trigger: any unexpected failure)
    await poison_request_id("poisoned")
    calls = [
        haiku_call(requestId="ok-1"),
        haiku_call(requestId="poisoned"),
        haiku_call(requestId="ok-2"),
    ]
    # when the three are recorded in a batch
    data = await agent.data(RECORD_BATCH, {"input": {"events": calls}})
    # then the batch answers per event: the poisoned one is its own error, not a masked one
    payload = data["recordAiUsageBatch"]
    assert [r["__typename"] for r in payload["results"]] == [
        "RecordAiUsagePayload",
        "UsageNotRecordedError",
        "RecordAiUsagePayload",
    ]
    assert payload["results"][1]["code"] == "INTERNAL_ERROR"
    assert (payload["recorded"], payload["failed"]) == (2, 1)
    # and nothing of it was written: two events, two calls' cost spent
    assert sorted(r.request_id or "" for r in await usage_rows(tenant.id)) == ["ok-1", "ok-2"]
    spent = money((await agent.data(BUDGET))["aiBudget"]["spentUsd"])
    assert spent == 2 * Decimal("0.000995")


async def poison_request_id(request_id: str) -> None:
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        await connection.execute_script(
            f"""CREATE TRIGGER poison BEFORE INSERT ON ai_usage_event
            WHEN NEW.request_id = '{request_id}'
            BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;"""
        )
        return
    await connection.execute_script(
        f"""CREATE FUNCTION poison() RETURNS trigger AS $$
        BEGIN
          IF NEW.request_id = '{request_id}' THEN RAISE EXCEPTION 'poisoned row'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER poison BEFORE INSERT ON ai_usage_event
        FOR EACH ROW EXECUTE FUNCTION poison();"""
    )


# --- long-context tiers and reasoning -------------------------------------------------------


async def import_from_litellm(*keys: str) -> None:
    data = json.loads(LITELLM_FILE.read_text())
    parsed = parse_litellm_catalog({key: data[key] for key in keys})
    await catalog.import_catalog(parsed.models, source="litellm")


async def test_a_long_prompt_is_billed_at_the_long_context_tier(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given gemini-2.5-pro imported from LiteLLM: $1.25 / $10 per MTok, above 200k prompt
    # tokens $2.50 / $15 (cache reads $0.125, above 200k $0.25)
    await import_from_litellm("gemini-2.5-pro")
    gemini = {"model": "gemini-2.5-pro", "operation": "reply", "inputTokensIncludeCache": True}

    # when a 250k-token prompt with 1k output is recorded
    long = await record(agent, **gemini, inputTokens=250_000, outputTokens=1000)
    # then it costs what Google bills: 250000 * 2.5 + 1000 * 15 = 640000 per million
    assert money(long["usage"]["costUsd"]) == Decimal("0.64")
    assert long["usage"]["priceTierAboveTokens"] == 200_000

    # when the prompt is exactly 200k (not above): the base prices
    at = await record(agent, **gemini, inputTokens=200_000, outputTokens=1000)
    assert money(at["usage"]["costUsd"]) == Decimal("0.26")  # 250000 + 10000 per million
    assert at["usage"]["priceTierAboveTokens"] is None

    # when cache reads take the prompt above 200k: 150k uncached + 100k cached
    cached = await record(
        agent, **gemini, inputTokens=250_000, cacheReadTokens=100_000, outputTokens=1000
    )
    # then every token is at the tier: 150000 * 2.5 + 100000 * 0.25 + 1000 * 15 = 415000
    assert money(cached["usage"]["costUsd"]) == Decimal("0.415")

    # and the price version shows its tier
    price = (await agent.data(PRICE_TIERS, {"id": "gemini-2.5-pro"}))["aiModel"]["price"]
    assert price["tiers"] == [
        {
            "aboveTokens": 200_000,
            "inputPerMtok": "2.5",
            "outputPerMtok": "15",
            "cacheReadPerMtok": "0.25",
            "cacheWritePerMtok": "0.25",
        }
    ]


async def test_a_reservation_holds_the_long_context_price(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given gemini-2.5-pro and a HARD budget
    await import_from_litellm("gemini-2.5-pro")
    admin = client.as_(tenant.keys[Role.ADMIN])
    await admin.data(SET_BUDGET, {"input": {"amountUsd": "10", "mode": "HARD"}})
    # when a call of up to 1M input and 10k output tokens is reserved
    data = await agent.data(
        RESERVE,
        {"input": {"model": "gemini-2.5-pro", "maxInputTokens": 10**6, "maxOutputTokens": 10**4}},
    )
    # then it holds the tier's prices: 1e6 * 2.5 + 1e4 * 15 = 2,650,000 per million
    amount = data["reserveAiBudget"]["reservation"]["amountUsd"]
    assert money(amount) == Decimal("2.65")


async def test_reasoning_tokens_are_a_fifth_kind_in_both_conventions(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given our model at $1 in, $2 out and $3 per million reasoning tokens
    await add_model(
        client,
        tenant,
        "thinker",
        inputPerMtok="1",
        outputPerMtok="2",
        reasoningPerMtok="3",
    )
    thinker = {"model": "thinker", "operation": "reply", "inputTokensIncludeCache": False}
    # when the same call is reported OpenAI style (completion tokens include reasoning) and
    # Gemini style (thoughts beside the candidates)
    openai = await record(
        agent, **thinker, inputTokens=1000, outputTokens=1500, reasoningTokens=1000
    )
    gemini = await record(
        agent,
        **thinker,
        inputTokens=1000,
        outputTokens=500,
        reasoningTokens=1000,
        outputTokensIncludeReasoning=False,
    )
    # then both store 500 output and 1000 reasoning tokens, priced apart:
    # 1000 * 1 + 500 * 2 + 1000 * 3 = 5000 per million
    for result in (openai, gemini):
        usage = result["usage"]
        assert (usage["outputTokens"], usage["reasoningTokens"], usage["totalTokens"]) == (
            500,
            1000,
            2500,
        )
        assert money(usage["costUsd"]) == Decimal("0.005")
    assert (
        openai["usage"]["outputTokensIncludeReasoning"],
        gemini["usage"]["outputTokensIncludeReasoning"],
    ) == (True, False)
    # and they are summed apart
    total = (await agent.data(SUMMARY, {"period": month_range(), "groupBy": []}))["usageSummary"][
        "total"
    ]
    assert (total["outputTokens"], total["reasoningTokens"], total["totalTokens"]) == (
        1000,
        2000,
        5000,
    )
    # when reasoning exceeds the output that is said to include it
    bad = await record(agent, **thinker, outputTokens=10, reasoningTokens=11)
    # then it is refused naming reasoningTokens
    assert (bad["code"], bad["field"]) == ("BAD_USER_INPUT", "reasoningTokens")


async def test_reasoning_tokens_default_to_the_output_price(agent: GraphQLClient) -> None:
    # given Claude 3 Haiku ($1.25 output per MTok, no reasoning price)
    # when a call with 400 output tokens, 300 of them thinking, is recorded
    result = await record(
        agent,
        model="claude-3-haiku-20240307",
        operation="reply",
        inputTokensIncludeCache=False,
        outputTokens=400,
        reasoningTokens=300,
    )
    # then all 400 are billed at the output price: 400 * 1.25 = 500 per million
    assert money(result["usage"]["costUsd"]) == Decimal("0.0005")


# --- idempotency ----------------------------------------------------------------------------


async def test_a_batch_reusing_a_request_id_with_other_numbers_gets_a_conflict(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # when a batch holds the same request id twice, the second with other numbers, and a
    # third time unchanged
    calls = [
        haiku_call(requestId="k-1"),
        haiku_call(requestId="k-1", inputTokens=6000),
        haiku_call(requestId="k-1"),
    ]
    results = (await agent.data(RECORD_BATCH, {"input": {"events": calls}}))["recordAiUsageBatch"][
        "results"
    ]
    # then the first is recorded, the second is a CONFLICT on requestId, the third the first
    assert results[1] == {"__typename": "ConflictError", "code": "CONFLICT", "field": "requestId"}
    assert [results[0]["created"], results[2]["created"]] == [True, False]
    assert results[2]["usage"]["id"] == results[0]["usage"]["id"]
    assert len(await usage_rows(tenant.id)) == 1


async def test_send_message_reusing_a_usage_request_id_with_other_numbers_gets_a_conflict(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a message sent with usage under a request id
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)

    async def send(output_tokens: int) -> dict[str, Any]:
        usage = {
            "model": "claude-3-haiku-20240307",
            "inputTokens": 100,
            "outputTokens": output_tokens,
            "inputTokensIncludeCache": False,
            "requestId": "reply-7",
        }
        data = await agent.data(
            SEND,
            {
                "input": {
                    "conversationId": conversation_id,
                    "role": "ASSISTANT",
                    "content": "Hi",
                    "usage": usage,
                }
            },
        )
        result: dict[str, Any] = data["sendMessage"]
        return result

    first = await send(50)
    # when the same request id comes again with the same numbers, then the first message
    assert (await send(50))["chatMessage"]["id"] == first["chatMessage"]["id"]
    # when it comes with other numbers, then a CONFLICT on requestId and no new message
    other = await send(51)
    assert (other["code"], other["field"]) == ("CONFLICT", "requestId")
    assert await models.Message.filter(conversation_id=conversation.id).count() == 1


# --- unpriced usage says why ------------------------------------------------------------------


async def test_an_unknown_model_is_recorded_unpriced_with_the_reason_and_close_names(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # when usage names claude-haiku-4.5 (the catalog's alias is claude-haiku-4-5)
    result = await record(
        agent, model="claude-haiku-4.5", operation="reply", inputTokensIncludeCache=False
    )
    # then it is recorded unpriced, saying why and which names are close
    assert result["usage"]["priced"] is False
    assert result["unpricedReason"] == "UNKNOWN_MODEL"
    assert result["suggestedModels"][0] == "claude-haiku-4-5"
    assert 1 <= len(result["suggestedModels"]) <= 5


async def test_a_model_without_a_price_yet_is_recorded_unpriced_saying_so(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given our model whose first price is in force only from tomorrow
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    data = await client.as_(tenant.keys[Role.ADMIN]).data(
        ADD_MODEL,
        {
            "input": {
                "modelId": "later-model",
                "provider": "self",
                "prices": {"inputPerMtok": "1", "outputPerMtok": "1"},
                "effectiveFrom": tomorrow,
            }
        },
    )
    assert data["addAiModel"]["__typename"] == "AddAiModelPayload"
    # when a call is recorded today
    result = await record(
        agent, model="later-model", operation="reply", inputTokensIncludeCache=False
    )
    # then it is unpriced for want of a price, and no names are suggested
    assert (result["unpricedReason"], result["suggestedModels"]) == ("NO_PRICE", [])
    # and a priced call says nothing
    priced = await record(agent, **haiku_call())
    assert (priced["unpricedReason"], priced["suggestedModels"]) == (None, [])


async def test_reservations_without_a_budget_are_capped_instead_of_overflowing(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given the dearest model and no budget: a largest reservation holds $2,000,000
    await add_model(client, tenant, DEAR, **DEAR_PRICES)
    largest = {"model": DEAR, "maxInputTokens": MAX_TOKENS, "maxOutputTokens": MAX_TOKENS}
    # when five are reserved at once (1e19 pico-USD would overflow a BIGINT counter)
    results = [(await agent.data(RESERVE, {"input": largest}))["reserveAiBudget"] for _ in range(5)]
    # then two are held ($4,000,000 at most at once) and the rest refused with a clear code
    assert [r["__typename"] for r in results] == ["ReserveAiBudgetPayload"] * 2 + [
        "QuotaExceededError"
    ] * 3
    assert money(results[0]["reservation"]["amountUsd"]) == Decimal(2_000_000)
    assert money((await agent.data(BUDGET))["aiBudget"]["reservedUsd"]) == Decimal(4_000_000)


SEND_WITH_TOKENS = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload {
      chatMessage { outputTokens reasoningTokens cost }
      conversation { totalTokens }
      usage { outputTokens reasoningTokens totalTokens costUsd }
    }
    ... on Error { code field }
  }
}
"""


async def test_send_message_carries_reasoning_tokens_into_the_message_event_and_totals(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    usage = {
        "model": "claude-3-haiku-20240307",
        "inputTokens": 1000,
        "outputTokens": 400,
        "reasoningTokens": 300,  # Anthropic: thinking is part of output_tokens
        "inputTokensIncludeCache": False,
    }
    # when an AI message is sent with that usage
    data = await agent.data(
        SEND_WITH_TOKENS,
        {
            "input": {
                "conversationId": seed.gid("Conversation", conversation.id),
                "role": "ASSISTANT",
                "content": "Let me think… yes.",
                "usage": usage,
            }
        },
    )
    payload = data["sendMessage"]
    # then message, event and conversation all split 100 output + 300 reasoning, and the
    # cost is 1000 * 0.25 + 400 * 1.25 = 750 per million
    assert payload["chatMessage"]["outputTokens"] == payload["usage"]["outputTokens"] == 100
    assert payload["chatMessage"]["reasoningTokens"] == payload["usage"]["reasoningTokens"] == 300
    assert payload["conversation"]["totalTokens"] == payload["usage"]["totalTokens"] == 1400
    assert money(payload["usage"]["costUsd"]) == money(payload["chatMessage"]["cost"])
    assert money(payload["usage"]["costUsd"]) == Decimal("0.00075")


async def test_a_reservation_fits_to_the_last_pico_of_a_hard_budget(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a HARD budget of $0.001 and a call of $0.00049125 spent (491 whole micro-USD
    # and 250,000 pico-USD: both parts of the split counter are in play)
    admin = client.as_(tenant.keys[Role.ADMIN])
    await admin.data(SET_BUDGET, {"input": {"amountUsd": "0.001", "mode": "HARD"}})
    spent = await record(
        agent, **haiku_call(inputTokens=9000, cacheReadTokens=8000, outputTokens=1)
    )
    assert money(spent["usage"]["costUsd"]) == Decimal("0.00049125")
    room = Decimal("0.001") - Decimal("0.00049125")
    # when one pico-USD more than the room is reserved, then it is refused
    too_much = reservations.reserve(
        workspace_id=tenant.id, model_key=SEA_LION, worst_case_usd=room + Decimal("1e-12")
    )
    with pytest.raises(QuotaExceeded):
        await too_much
    # and exactly the room is granted, leaving nothing
    await reservations.reserve(workspace_id=tenant.id, model_key=SEA_LION, worst_case_usd=room)
    assert money((await agent.data(BUDGET))["aiBudget"]["remainingUsd"]) == 0
