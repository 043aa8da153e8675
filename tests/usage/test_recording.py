"""recordAiUsage and recordAiUsageBatch over HTTP: exact costs computed by hand, both
token conventions, idempotency (also under concurrency), per-event batch results."""

import asyncio
from decimal import Decimal

import models
from api.core.ids import encode_id
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed
from tests.usage.helpers import (
    HAIKU_3,
    RECORD,
    RECORD_BATCH,
    SEA_LION,
    haiku_call,
    money,
    record,
    usage_rows,
)


async def test_cached_call_costs_exactly_what_the_prices_say(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given Claude 3 Haiku at $0.25 input, $1.25 output, $0.03 cache read per MTok
    # when a call with 5000 input tokens, 4000 of them cache reads, and 500 output is recorded
    result = await record(agent, **haiku_call(latencyMs=640, requestId="req-1"))

    # then: 1000 uncached * 0.25 + 4000 * 0.03 + 500 * 1.25 = 250 + 120 + 625 = 995
    # per million -> $0.000995
    assert result["__typename"] == "RecordAiUsagePayload"
    usage = result["usage"]
    assert money(usage["costUsd"]) == Decimal("0.000995")
    assert (
        usage["uncachedInputTokens"],
        usage["cacheReadTokens"],
        usage["cacheWriteTokens"],
        usage["outputTokens"],
        usage["totalTokens"],
    ) == (1000, 4000, 0, 500, 5500)
    # cacheHitRate = 4000 / (1000 + 4000 + 0) = 0.8
    assert Decimal(usage["cacheHitRate"]) == Decimal("0.8")
    assert usage["priced"] is True
    assert usage["modelId"] == HAIKU_3
    assert usage["aiType"] == "MOUTH"
    assert usage["latencyMs"] == 640
    assert Decimal(usage["priceVersion"]["inputPerMtok"]) == Decimal("0.25")
    assert usage["priceVersion"]["workspaceOverride"] is False
    # and the stored cost carries 12 decimal places
    row = (await usage_rows(tenant.id))[0]
    assert row.cost_usd == Decimal("0.000995000000")
    assert row.price_id is not None


async def test_both_token_conventions_give_the_same_cost(agent: GraphQLClient) -> None:
    # given the same call reported OpenAI style (input includes the cache) and Anthropic
    # style (input excludes it): 1000 uncached, 4000 cache read, 200 cache write, 500 output
    openai = haiku_call(inputTokens=5200, cacheWriteTokens=200, inputTokensIncludeCache=True)
    anthropic = haiku_call(inputTokens=1000, cacheWriteTokens=200, inputTokensIncludeCache=False)

    # when both are recorded
    results = [(await record(agent, **call))["usage"] for call in (openai, anthropic)]

    # then both cost 1000*0.25 + 4000*0.03 + 200*0.30 + 500*1.25 = 250+120+60+625 = 1055
    # per million = $0.001055, with the same token split
    for usage in results:
        assert money(usage["costUsd"]) == Decimal("0.001055")
        assert (usage["uncachedInputTokens"], usage["cacheReadTokens"]) == (1000, 4000)
        assert usage["cacheWriteTokens"] == 200
        # cacheHitRate = 4000 / (1000 + 4000 + 200) = 0.76923…, to 4 places
        assert usage["cacheHitRate"] == "0.7692"
    # and the convention each caller used is kept
    assert [u["inputTokensIncludeCache"] for u in results] == [True, False]


async def test_one_hour_cache_writes_are_billed_at_their_own_price(agent: GraphQLClient) -> None:
    # given Claude 3 Haiku's 1-hour cache-write price of $0.50 per MTok
    # when 1000 cache writes, 600 of them with a 1-hour TTL, are recorded (no other tokens)
    usage = (
        await record(
            agent,
            model=HAIKU_3,
            operation="reply",
            inputTokens=0,
            cacheWriteTokens=1000,
            cacheWrite1hTokens=600,
            inputTokensIncludeCache=False,
        )
    )["usage"]

    # then: 400 * 0.30 + 600 * 0.50 = 120 + 300 = 420 per million = $0.00042
    assert money(usage["costUsd"]) == Decimal("0.00042")
    assert usage["cacheWrite1hTokens"] == 600


async def test_a_zero_price_model_costs_exactly_zero(agent: GraphQLClient) -> None:
    # when a self-hosted SEA-LION call is recorded
    usage = (
        await record(
            agent,
            model=SEA_LION,
            operation="lead_scoring",
            aiType="brain",
            inputTokens=1000,
            outputTokens=500,
            inputTokensIncludeCache=False,
        )
    )["usage"]

    # then it is priced, at 0; the AI type is upper-cased
    assert usage["priced"] is True
    assert money(usage["costUsd"]) == Decimal(0)
    assert usage["aiType"] == "BRAIN"


async def test_inconsistent_or_invalid_reports_are_refused_naming_the_field(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given reports that cannot be right
    cases = [
        # OpenAI style: 4000 cache reads cannot be inside 3000 input tokens
        (haiku_call(inputTokens=3000), "cacheReadTokens"),
        # 4000 reads + 2000 writes exceed 5000 input tokens that include them
        (haiku_call(cacheWriteTokens=2000), "cacheWriteTokens"),
        (haiku_call(outputTokens=-1), "outputTokens"),
        (haiku_call(inputTokens=-5, inputTokensIncludeCache=False), "inputTokens"),
        (haiku_call(cacheWrite1hTokens=1), "cacheWrite1hTokens"),
        (haiku_call(latencyMs=-1), "latencyMs"),
        (haiku_call(model="  "), "model"),
        (haiku_call(operation=""), "operation"),
        (haiku_call(aiType="not a role!"), "aiType"),
        (haiku_call(requestId=""), "requestId"),
        (haiku_call(occurredAt="2030-01-01T00:00:00"), "occurredAt"),
        (haiku_call(occurredAt="2999-01-01T00:00:00Z"), "occurredAt"),
        (haiku_call(conversationId="garbage"), "conversationId"),
    ]

    for call, field in cases:
        # when
        result = await record(agent, **call)

        # then
        assert (result["__typename"], result["code"], result["field"]) == (
            "ValidationError",
            "BAD_USER_INPUT",
            field,
        ), call
    # and nothing was written
    assert await usage_rows(tenant.id) == []


async def test_same_request_id_is_recorded_once(agent: GraphQLClient, tenant: Tenant) -> None:
    # given a recorded call
    first = await record(agent, **haiku_call(requestId="call-42"))

    # when a retry sends the same request id with the same numbers
    again = await record(agent, **haiku_call(requestId="call-42"))

    # then the first record comes back, and only one row exists
    assert first["created"] is True
    assert again["created"] is False
    assert again["usage"] == first["usage"]
    assert len(await usage_rows(tenant.id)) == 1


async def test_a_request_id_reused_with_other_numbers_is_a_conflict(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a recorded call
    first = await record(agent, **haiku_call(requestId="call-42"))

    # when the same request id comes with other numbers (a bug, or two calls under one key)
    other = await record(agent, **haiku_call(requestId="call-42", outputTokens=9999))

    # then it is a CONFLICT naming requestId and the field that differs, nothing is written
    assert (other["__typename"], other["code"], other["field"]) == (
        "ConflictError",
        "CONFLICT",
        "requestId",
    )
    assert "outputTokens" in other["message"]
    assert first["created"] is True
    assert [r.output_tokens for r in await usage_rows(tenant.id)] == [500]


async def test_concurrent_identical_calls_are_recorded_once(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation, so totals show any double counting
    conversation = await seed.conversation(tenant)
    call = haiku_call(requestId="burst-1", conversationId=seed.gid("Conversation", conversation.id))

    # when 10 identical calls race
    results = await asyncio.gather(*(record(agent, **call) for _ in range(10)))

    # then all return the same event, exactly one created it
    assert {r["usage"]["id"] for r in results} == {results[0]["usage"]["id"]}
    assert sum(r["created"] for r in results) == 1
    assert len(await usage_rows(tenant.id)) == 1
    # and the conversation counts it once: 5500 tokens, $0.000995
    stored = await models.Conversation.get(id=conversation.id)
    assert (stored.total_tokens, stored.total_cost) == (5500, Decimal("0.000995"))
    daily = await models.AiUsageDaily.filter(workspace_id=tenant.id)
    assert [(d.requests, d.cost_usd) for d in daily] == [(1, Decimal("0.000995"))]


async def test_batch_records_good_events_and_reports_each_bad_one(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a batch: two good calls, an inconsistent one, another workspace's conversation,
    # and a repeat of the first request id
    theirs = await seed.conversation(other_tenant)
    events = [
        haiku_call(requestId="b-1"),
        haiku_call(requestId="b-2", inputTokens=100),
        haiku_call(requestId="b-3", outputTokens=1, inputTokens=9000, cacheReadTokens=8000),
        haiku_call(requestId="b-4", conversationId=seed.gid("Conversation", theirs.id)),
        haiku_call(requestId="b-1"),
    ]

    # when
    data = await agent.data(RECORD_BATCH, {"input": {"events": events}})

    # then each event has its own result, in input order
    payload = data["recordAiUsageBatch"]
    results = payload["results"]
    assert [r["__typename"] for r in results] == [
        "RecordAiUsagePayload",
        "ValidationError",
        "RecordAiUsagePayload",
        "NotFoundError",
        "RecordAiUsagePayload",
    ]
    assert results[1]["field"] == "cacheReadTokens"
    assert results[3] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "conversationId",
    }
    assert [results[0]["created"], results[2]["created"], results[4]["created"]] == [
        True,
        True,
        False,
    ]
    assert results[4]["usage"]["id"] == results[0]["usage"]["id"]
    # b-3: 1000 uncached * 0.25 + 8000 * 0.03 + 1 * 1.25 = 250 + 240 + 1.25 = 491.25 -> $0.00049125
    assert money(results[2]["usage"]["costUsd"]) == Decimal("0.00049125")
    assert (payload["recorded"], payload["failed"]) == (3, 2)
    assert sorted(r.request_id or "" for r in await usage_rows(tenant.id)) == ["b-1", "b-3"]


async def test_batch_of_more_than_1000_events_is_refused(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # when
    data = await agent.data(RECORD_BATCH, {"input": {"events": [haiku_call()] * 1001}})

    # then
    assert data["recordAiUsageBatch"]["__typename"] == "ValidationError"
    assert data["recordAiUsageBatch"]["field"] == "events"
    assert await usage_rows(tenant.id) == []


async def test_references_must_be_in_the_workspace_and_fill_in_the_contact(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given our conversation and another workspace's contact
    conversation = await seed.conversation(tenant)
    their_contact = await seed.contact(other_tenant)

    # when a call names a foreign contact, then NOT_FOUND
    foreign = await record(agent, **haiku_call(contactId=seed.gid("Contact", their_contact.id)))
    assert (foreign["__typename"], foreign["field"]) == ("NotFoundError", "contactId")
    # when a call names our conversation, then its contact is filled in
    usage = (
        await record(agent, **haiku_call(conversationId=seed.gid("Conversation", conversation.id)))
    )["usage"]
    row = await models.AiUsageEvent.get(id=usage_id(usage))
    assert row.contact_id == conversation.contact_id


def usage_id(usage: dict[str, str]) -> object:
    from strawberry.relay import GlobalID

    return GlobalID.from_id(usage["id"]).node_id


async def test_recording_needs_an_agent(client: GraphQLClient, tenant: Tenant) -> None:
    # when a VIEWER key and no key record usage
    for token, code in ((tenant.keys[Role.VIEWER], "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await client.as_(token).execute(RECORD, {"input": haiku_call()})

        # then
        assert error_codes(body) == [code]
    assert await usage_rows(tenant.id) == []


async def test_usage_events_are_nodes_of_their_workspace_only(
    agent: GraphQLClient, client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a recorded call
    usage = (await record(agent, **haiku_call()))["usage"]
    query = "query($id: ID!) { node(id: $id) { ... on AiUsageEvent { costUsd } } }"

    # when we and another workspace read it by its global ID
    ours = await agent.data(query, {"id": usage["id"]})
    theirs = await client.as_(other_tenant.keys[Role.AGENT]).data(query, {"id": usage["id"]})

    # then only we see it
    assert money(ours["node"]["costUsd"]) == Decimal("0.000995")
    assert theirs["node"] is None
    assert encode_id("AiUsageEvent", (await usage_rows(tenant.id))[0].id) == usage["id"]
