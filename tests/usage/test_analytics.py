"""usageSummary, modelComparison and costToServe: equal to brute-force Python sums over the
recorded events, for every groupBy, ranges with partial days, `top`; range validation."""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tortoise import connections

import models
from api import db
from api.usage import catalog, recording, reports, repricing
from api.usage.analytics import Dimension
from models.enums import AiState, LeadStatus, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3, SEA_LION

TOTALS = """requests unpricedRequests inputTokens outputTokens cacheReadTokens
  cacheWriteTokens totalTokens costUsd cacheHitRate avgLatencyMs cursor periodStart
  budgetUsedPercent"""
SUMMARY = (
    """query($period: DateRangeInput!, $groupBy: [UsageDimension!], $top: Int) {
  usageSummary(period: $period, groupBy: $groupBy, top: $top) {
    rows { day week month model provider operation aiType aiState userId conversationId
           contactId totals { """
    + TOTALS
    + """ } }
    total { """
    + TOTALS
    + """ }
  }
}"""
)
MODEL_COMPARISON = """query($period: DateRangeInput!) {
  modelComparison(period: $period) {
    model provider conversations messages avgResponseTimeMs conversions costPerConversion
    totals { requests costUsd inputTokens outputTokens }
  }
}"""
COST_TO_SERVE = """query($period: DateRangeInput!) {
  costToServe(period: $period) {
    conversations qualifiedLeads conversions costPerConversation costPerQualifiedLead
    costPerConversion total { requests costUsd }
  }
}"""

START = datetime(2026, 5, 1, tzinfo=UTC)  # the events span May to July 2026
MODELS = [HAIKU_3, "gpt-4o", SEA_LION, "mystery-model-x"]  # the last one is unknown: unpriced
OPERATIONS = ["reply", "lead_scoring", "summary"]
AI_TYPES = ["MOUTH", "BRAIN", None]


@dataclass
class World:
    tenant: Tenant
    events: list[models.AiUsageEvent]
    ai_states: dict[Any, AiState]


async def record(tenant: Tenant, **values: Any) -> models.AiUsageEvent:
    recorded = await recording.record_usage(
        workspace_id=tenant.id, report=reports.UsageReport(**values)
    )
    return recorded.event


async def random_world(tenant: Tenant, count: int = 200, seed_value: int = 7) -> World:
    """`count` random calls over about three months: several models (one unknown),
    operations, AI types, users, conversations and contacts."""
    rng = random.Random(seed_value)
    contacts = [await seed.contact(tenant, f"Contact {n}") for n in range(4)]
    conversations = [
        await seed.conversation(tenant, contacts[n % 3]) for n in range(5)
    ]  # the fourth contact has usage without a conversation
    states = [AiState.GREETING, AiState.QUALIFYING, AiState.BOOKING, AiState.HANDOFF]
    ai_states = {}
    for n, conversation in enumerate(conversations[:4]):
        await models.Conversation.filter(id=conversation.id).update(ai_state=states[n])
        ai_states[conversation.id] = states[n]
    ai_states[conversations[4].id] = AiState.GREETING
    users = [None, *tenant.users.values()]
    for n in range(count):
        where = rng.random()
        conversation = rng.choice(conversations) if where < 0.6 else None
        contact = contacts[3] if 0.6 <= where < 0.8 else None
        cached = rng.random() < 0.5
        await record(
            tenant,
            model=rng.choice(MODELS),
            operation=rng.choice(OPERATIONS),
            ai_type=rng.choice(AI_TYPES),
            input_tokens=rng.randint(0, 5000),
            output_tokens=rng.randint(0, 800),
            cache_read_tokens=rng.randint(0, 4000) if cached else 0,
            cache_write_tokens=rng.randint(0, 1000) if cached else 0,
            input_tokens_include_cache=False,
            latency_ms=rng.randint(100, 3000) if rng.random() < 0.8 else None,
            occurred_at=START + timedelta(seconds=rng.randint(0, 92 * 86400)),
            conversation_id=conversation.id if conversation else None,
            contact_id=contact.id if contact else None,
            user_id=(rng.choice(users) or tenant.users[Role.VIEWER]).id
            if rng.random() < 0.5
            else None,
            request_id=f"random-{n}",
        )
    events = await models.AiUsageEvent.filter(workspace_id=tenant.id)
    assert len(events) == count
    assert any(e.cost_usd is None for e in events) and any(e.cost_usd for e in events)
    return World(tenant, events, ai_states)


# --- brute force ------------------------------------------------------------------------


def key_of(event: models.AiUsageEvent, dimension: Dimension, world: World) -> Any:
    day = event.occurred_at.astimezone(UTC).date()
    gid = seed.gid
    match dimension:
        case Dimension.DAY:
            return day.isoformat()
        case Dimension.WEEK:
            return (day - timedelta(days=day.weekday())).isoformat()
        case Dimension.MONTH:
            return day.replace(day=1).isoformat()
        case Dimension.MODEL:
            return event.model_key
        case Dimension.PROVIDER:
            return event.provider
        case Dimension.OPERATION:
            return event.operation
        case Dimension.AI_TYPE:
            return event.ai_type or None
        case Dimension.USER:
            return gid("User", event.user_id) if event.user_id else None
        case Dimension.CONVERSATION:
            return gid("Conversation", event.conversation_id) if event.conversation_id else None
        case Dimension.CONTACT:
            return gid("Contact", event.contact_id) if event.contact_id else None
        case Dimension.AI_STATE:
            state = world.ai_states.get(event.conversation_id)
            return state.value if state else None
    raise AssertionError(dimension)


def totals_of(events: list[models.AiUsageEvent]) -> dict[str, Any]:
    uncached = sum(e.uncached_input_tokens for e in events)
    read = sum(e.cache_read_tokens for e in events)
    write = sum(e.cache_write_tokens for e in events)
    output = sum(e.output_tokens for e in events)
    latencies = [e.latency_ms for e in events if e.latency_ms is not None]
    return {
        "requests": len(events),
        "unpricedRequests": sum(e.cost_usd is None for e in events),
        "inputTokens": uncached,
        "outputTokens": output,
        "cacheReadTokens": read,
        "cacheWriteTokens": write,
        "totalTokens": uncached + read + write + output,
        "costUsd": sum((e.cost_usd or Decimal(0) for e in events), Decimal(0)),
        "cacheHitRate": (Decimal(read) / Decimal(uncached + read + write)).quantize(
            Decimal("0.0001"), ROUND_HALF_EVEN
        )
        if uncached + read + write
        else None,
        "avgLatencyMs": float(
            (Decimal(sum(latencies)) / len(latencies)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
        )
        if latencies
        else None,
        "cursor": None,
        "periodStart": None,
        "budgetUsedPercent": None,
    }


def parsed(totals: dict[str, Any]) -> dict[str, Any]:
    """A UsageTotals of a response with its decimals parsed."""
    return {
        **totals,
        "costUsd": Decimal(totals["costUsd"]),
        "cacheHitRate": Decimal(totals["cacheHitRate"])
        if totals["cacheHitRate"] is not None
        else None,
    }


def brute_force(
    world: World, start: datetime, end: datetime, dimensions: list[Dimension]
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    inside = [e for e in world.events if start <= e.occurred_at < end]
    groups: dict[tuple[Any, ...], list[models.AiUsageEvent]] = defaultdict(list)
    for event in inside:
        groups[tuple(key_of(event, d, world) for d in dimensions)].append(event)
    return {key: totals_of(rows) for key, rows in groups.items()}, totals_of(inside)


FIELD_OF = {
    Dimension.DAY: "day",
    Dimension.WEEK: "week",
    Dimension.MONTH: "month",
    Dimension.MODEL: "model",
    Dimension.PROVIDER: "provider",
    Dimension.OPERATION: "operation",
    Dimension.AI_TYPE: "aiType",
    Dimension.USER: "userId",
    Dimension.CONVERSATION: "conversationId",
    Dimension.CONTACT: "contactId",
    Dimension.AI_STATE: "aiState",
}


def a_range(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


async def summary(
    client: GraphQLClient,
    start: datetime,
    end: datetime,
    dimensions: list[Dimension],
    top: int | None = None,
) -> tuple[list[tuple[tuple[Any, ...], dict[str, Any]]], dict[str, Any]]:
    data = await client.data(
        SUMMARY,
        {"period": a_range(start, end), "groupBy": [d.value for d in dimensions], "top": top},
    )
    result = data["usageSummary"]
    rows = []
    for row in result["rows"]:
        key = tuple(row[FIELD_OF[d]] for d in dimensions)
        others = {FIELD_OF[d] for d in Dimension} - {FIELD_OF[d] for d in dimensions}
        assert all(row[name] is None for name in others), row
        rows.append((key, parsed(row["totals"])))
    return rows, parsed(result["total"])


RANGES: list[tuple[datetime, datetime]] = [
    # partial first and last days (rollup for whole days, events for the edges)
    (START + timedelta(days=3, hours=7, minutes=13), START + timedelta(days=80, hours=13)),
    # whole days in another time zone: 2026-05-10T00:00+07:00 is 2026-05-09T17:00Z
    (
        datetime(2026, 5, 10, tzinfo=timezone(timedelta(hours=7))),
        datetime(2026, 7, 1, tzinfo=timezone(timedelta(hours=7))),
    ),
    # exactly the three months, at midnight UTC
    (START, datetime(2026, 8, 1, tzinfo=UTC)),
    # within one day
    (START + timedelta(days=20, hours=1), START + timedelta(days=20, hours=23)),
]


async def test_summary_by_every_dimension_equals_brute_force(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given 200 random calls over three months
    world = await random_world(tenant)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    for start, end in RANGES:
        for dimension in Dimension:
            # when the summary is grouped by one dimension
            rows, total = await summary(viewer, start, end, [dimension])
            # then each group and the total equal the sums over the events
            expected_rows, expected_total = brute_force(world, start, end, [dimension])
            assert dict(rows) == expected_rows, (start, end, dimension)
            assert len(rows) == len(expected_rows)
            assert total == expected_total


async def test_combined_dimensions_and_top_equal_brute_force(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given 200 random calls over three months
    world = await random_world(tenant, seed_value=11)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    start, end = RANGES[0]
    combinations = [
        [Dimension.MONTH, Dimension.MODEL],
        [Dimension.WEEK, Dimension.OPERATION, Dimension.AI_TYPE],
        [Dimension.DAY, Dimension.PROVIDER],
        [Dimension.WEEK, Dimension.USER],
        [Dimension.MONTH, Dimension.AI_STATE, Dimension.MODEL],
        [Dimension.CONTACT, Dimension.CONVERSATION],
    ]
    for dimensions in combinations:
        # when grouped by several dimensions at once
        rows, total = await summary(viewer, start, end, dimensions)
        # then the groups are the brute-force groups
        expected_rows, expected_total = brute_force(world, start, end, dimensions)
        assert dict(rows) == expected_rows, dimensions
        assert total == expected_total
    # and time groups come in time order
    rows, _ = await summary(viewer, start, end, [Dimension.DAY])
    days = [key[0] for key, _ in rows]
    assert days == sorted(days)

    for dimensions, top in (([Dimension.MODEL], 2), ([Dimension.CONVERSATION], 3)):
        # when only the costliest groups are asked for
        rows, total = await summary(viewer, start, end, dimensions, top=top)
        # then they are the `top` groups of highest cost (ties: more requests), in that
        # order, and the total still covers everything
        expected_rows, expected_total = brute_force(world, start, end, dimensions)
        ranked = sorted(
            expected_rows.items(), key=lambda item: (-item[1]["costUsd"], -item[1]["requests"])
        )
        assert [(t["costUsd"], t["requests"]) for _, t in rows] == [
            (t["costUsd"], t["requests"]) for _, t in ranked[:top]
        ]
        assert all(expected_rows[key] == totals for key, totals in rows)
        assert total == expected_total


async def test_an_empty_range_gives_zeros_and_no_rows(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given usage in May only
    await record(
        tenant,
        model=HAIKU_3,
        operation="reply",
        input_tokens=10,
        output_tokens=5,
        occurred_at=START + timedelta(days=2),
    )
    viewer = client.as_(tenant.keys[Role.VIEWER])
    # when a range in June is summarised, grouped or not
    for dimensions in ([], [Dimension.DAY], [Dimension.USER], [Dimension.MODEL]):
        rows, total = await summary(
            viewer, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 30, tzinfo=UTC), dimensions
        )
        # then there are no rows and the total is zero
        assert rows == []
        assert total == totals_of([])


async def test_the_rollup_holds_exact_integer_costs(tenant: Tenant) -> None:
    # given calls recorded through the service, one of an unknown model
    for n in range(3):
        await record(
            tenant,
            model=HAIKU_3,
            operation="reply",
            input_tokens=1234 + n,
            output_tokens=77,
            occurred_at=START + timedelta(hours=n),
        )
    await record(
        tenant, model="mystery-model-x", operation="reply", input_tokens=5, occurred_at=START
    )
    # then every event's cost_pico is its cost, and the rollup's the sum of them
    events = await models.AiUsageEvent.filter(workspace_id=tenant.id)
    for event in events:
        expected = int(event.cost_usd.scaleb(12)) if event.cost_usd is not None else None
        assert event.cost_pico == expected
    daily = await models.AiUsageDaily.filter(workspace_id=tenant.id, model_key=HAIKU_3).get()
    assert daily.cost_total_pico == sum(e.cost_pico or 0 for e in events)
    assert Decimal(daily.cost_total_pico).scaleb(-12) == daily.cost_usd


async def test_repricing_moves_the_integer_cost_too(tenant: Tenant) -> None:
    # given a call of a model unknown when it was recorded
    event = await record(
        tenant, model="house-llm", operation="reply", input_tokens=1_000_000, occurred_at=START
    )
    assert event.cost_pico is None
    # when the workspace adds the model at $2 per million input tokens
    from api.usage.pricing import ModelPrices

    await catalog.add_model(
        workspace_id=tenant.id,
        model=catalog.OwnModel(
            key="house-llm",
            provider="self",
            prices=ModelPrices(input_per_mtok=Decimal(2), output_per_mtok=Decimal(2)),
        ),
    )
    await repricing.reprice_unpriced(workspace_id=tenant.id)
    # then the event and its rollup carry $2 in pico-USD
    event = await models.AiUsageEvent.get(id=event.id)
    assert event.cost_pico == 2 * 10**12
    daily = await models.AiUsageDaily.filter(workspace_id=tenant.id).get()
    assert (daily.cost_total_pico, daily.unpriced_requests, daily.provider) == (
        2 * 10**12,
        0,
        "self",
    )


async def test_bad_ranges_are_refused_naming_the_field(
    client: GraphQLClient, tenant: Tenant
) -> None:
    viewer = client.as_(tenant.keys[Role.VIEWER])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"period": a_range(START, START)}, "period.end"),
        ({"period": a_range(START + timedelta(days=1), START)}, "period.end"),
        ({"period": a_range(START, START + timedelta(days=401))}, "period.end"),
        (
            {"period": {"start": "2026-05-01T00:00:00", "end": "2026-06-01T00:00:00Z"}},
            "period.start",
        ),
        ({"period": a_range(START, START + timedelta(days=1)), "top": 0}, "top"),
        ({"period": a_range(START, START + timedelta(days=1)), "top": 1001}, "top"),
    ]
    for variables, field in cases:
        # when a summary is asked for a bad range (or top)
        body = await viewer.execute(SUMMARY, variables)
        # then a top-level BAD_USER_INPUT names the field
        assert error_codes(body) == ["BAD_USER_INPUT"], variables
        assert body["errors"][0]["extensions"]["field"] == field, variables
    for query in (MODEL_COMPARISON, COST_TO_SERVE):
        body = await viewer.execute(query, {"period": a_range(START, START)})
        assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_analytics_need_credentials(client: GraphQLClient) -> None:
    for query in (SUMMARY, MODEL_COMPARISON, COST_TO_SERVE):
        body = await client.execute(query, {"period": a_range(START, START + timedelta(days=1))})
        assert error_codes(body) == ["UNAUTHENTICATED"]


# --- the A/B view and cost to serve -------------------------------------------------------


@dataclass
class Funnel:
    tenant: Tenant
    costs: dict[str, Decimal]  # per model, in the range
    calls: dict[str, int]


async def funnel(tenant: Tenant) -> Funnel:
    """Hand-built: model A (Haiku) served Ana (CONVERTED) and Citra (CONVERTED); model B
    (gpt-4o) served Budi (QUALIFIED) and Citra; Dewi (NEW) got Haiku usage without a
    conversation; a call outside the range and one in another state don't count."""
    ana = await seed.contact(tenant, "Ana", lead_status=LeadStatus.CONVERTED)
    budi = await seed.contact(tenant, "Budi", lead_status=LeadStatus.QUALIFIED)
    citra = await seed.contact(tenant, "Citra", lead_status=LeadStatus.CONVERTED)
    dewi = await seed.contact(tenant, "Dewi", lead_status=LeadStatus.NEW)
    conv_ana = await seed.conversation(tenant, ana)
    conv_budi = await seed.conversation(tenant, budi)
    conv_citra = await seed.conversation(tenant, citra)
    costs: dict[str, Decimal] = defaultdict(Decimal)
    calls: dict[str, int] = defaultdict(int)

    async def reply(
        conversation: models.Conversation | None,
        model: str,
        response_time: int | None,
        *,
        when: datetime = START + timedelta(days=3),
        contact: models.Contact | None = None,
    ) -> None:
        message_id = None
        if conversation is not None:
            message = await seed.message(tenant, conversation, "Sure!")
            await models.Message.filter(id=message.id).update(response_time_ms=response_time)
            message_id = message.id
        event = await record(
            tenant,
            model=model,
            operation="reply",
            input_tokens=2000,
            output_tokens=300,
            occurred_at=when,
            message_id=message_id,
            contact_id=contact.id if contact else None,
        )
        if START <= when < START + timedelta(days=30):
            costs[model] += event.cost_usd or Decimal(0)
            calls[model] += 1

    await reply(conv_ana, HAIKU_3, 1000)
    await reply(conv_ana, HAIKU_3, 2000)
    await reply(conv_citra, HAIKU_3, None)
    await reply(conv_budi, "gpt-4o", 4000)
    await reply(conv_citra, "gpt-4o", 5000)
    await reply(None, HAIKU_3, None, contact=dewi)
    await reply(conv_budi, HAIKU_3, 9000, when=START + timedelta(days=40))  # outside
    return Funnel(tenant, costs, calls)


async def test_model_comparison_counts_conversations_messages_and_conversions(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the hand-built funnel
    world = await funnel(tenant)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    # when models are compared over May
    data = await viewer.data(
        MODEL_COMPARISON, {"period": a_range(START, START + timedelta(days=30))}
    )
    rows = {row["model"]: row for row in data["modelComparison"]}
    # then Haiku: Ana's and Citra's conversations, 3 messages (response times 1000, 2000
    # and none), 2 conversions (Ana, Citra; Dewi is NEW); gpt-4o: Budi's and Citra's
    # conversations, 2 messages, 1 conversion (Citra)
    haiku, gpt = rows[HAIKU_3], rows["gpt-4o"]
    assert set(rows) == {HAIKU_3, "gpt-4o"}
    assert (haiku["provider"], gpt["provider"]) == ("anthropic", "openai")
    assert (haiku["conversations"], haiku["messages"], haiku["conversions"]) == (2, 3, 2)
    assert haiku["avgResponseTimeMs"] == 1500.0
    assert (gpt["conversations"], gpt["messages"], gpt["conversions"]) == (2, 2, 1)
    assert gpt["avgResponseTimeMs"] == 4500.0
    for model, row in rows.items():
        assert row["totals"]["requests"] == world.calls[model]
        assert Decimal(row["totals"]["costUsd"]) == world.costs[model]
    assert Decimal(haiku["costPerConversion"]) == (world.costs[HAIKU_3] / 2).quantize(
        Decimal("1e-12")
    )
    assert Decimal(gpt["costPerConversion"]) == world.costs["gpt-4o"]
    # and the costliest model comes first
    costs = [Decimal(row["totals"]["costUsd"]) for row in data["modelComparison"]]
    assert costs == sorted(costs, reverse=True)


async def test_cost_to_serve_divides_the_cost_by_conversations_leads_and_conversions(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given the hand-built funnel
    world = await funnel(tenant)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    # when the cost to serve of May is asked for
    data = await viewer.data(COST_TO_SERVE, {"period": a_range(START, START + timedelta(days=30))})
    result = data["costToServe"]
    # then 3 conversations, 3 qualified leads (Ana, Budi, Citra), 2 conversions (Ana, Citra)
    total = sum(world.costs.values(), Decimal(0))
    assert Decimal(result["total"]["costUsd"]) == total
    assert result["total"]["requests"] == 6
    assert (result["conversations"], result["qualifiedLeads"], result["conversions"]) == (3, 3, 2)
    quantum = Decimal("1e-12")
    assert Decimal(result["costPerConversation"]) == (total / 3).quantize(quantum)
    assert Decimal(result["costPerQualifiedLead"]) == (total / 3).quantize(quantum)
    assert Decimal(result["costPerConversion"]) == (total / 2).quantize(quantum)

    # when the range holds no usage, then the ratios are null
    empty = await viewer.data(
        COST_TO_SERVE,
        {"period": a_range(datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 2, tzinfo=UTC))},
    )
    assert empty["costToServe"] == {
        "conversations": 0,
        "qualifiedLeads": 0,
        "conversions": 0,
        "costPerConversation": None,
        "costPerQualifiedLead": None,
        "costPerConversion": None,
        "total": {"requests": 0, "costUsd": "0"},
    }


async def test_analytics_see_only_their_own_workspace(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given usage in another workspace only
    await funnel(other_tenant)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    month = {"period": a_range(START, START + timedelta(days=30))}
    # then this workspace's analytics are empty
    rows, total = await summary(viewer, START, START + timedelta(days=30), [Dimension.CONTACT])
    assert (rows, total["requests"]) == ([], 0)
    assert (await viewer.data(MODEL_COMPARISON, month))["modelComparison"] == []
    assert (await viewer.data(COST_TO_SERVE, month))["costToServe"]["conversations"] == 0


async def test_the_migration_backfills_the_integer_costs(tenant: Tenant) -> None:
    # given recorded calls whose integer costs are missing (as before the migration)
    world = await random_world(tenant, count=40, seed_value=3)
    daily_before = {row.id: row.cost_total_pico for row in await models.AiUsageDaily.all()}
    await models.AiUsageEvent.all().update(cost_pico=None)
    await models.AiUsageDaily.all().update(cost_pico=0, cost_micro=0)  # cost_micro came later
    # when the backfill of migration 3 runs
    path = next((db.MIGRATIONS_DIR / db.APP).glob("3_*_usage_analytics.py"))
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    connection = connections.get("default")
    upgrade = namespace["UPGRADE"][connection.capabilities.dialect]
    await connection.execute_script(upgrade[upgrade.index("-- backfill") :])
    # then every event and rollup row has its exact integer cost back
    for event in world.events:
        row = await models.AiUsageEvent.get(id=event.id)
        assert row.cost_pico == (int(row.cost_usd.scaleb(12)) if row.cost_usd is not None else None)
    assert {row.id: row.cost_total_pico for row in await models.AiUsageDaily.all()} == daily_before
