"""usageUpdated over WebSocket: the month's totals after a recording, coalesced under
bursts, resumable from a cursor, per workspace; currentUsage; aiUsageEvents."""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette

import models
from api.usage import analytics, budgets, recording, reports
from api.usage.subscriptions import PUSH_INTERVAL_S
from models.enums import Role
from models.usage import BudgetMode
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3
from tests.ws import GraphQLSocket, asgi_socket, event_cursor

USAGE_UPDATED = """subscription($after: String) {
  usageUpdated(after: $after) {
    requests inputTokens outputTokens cacheReadTokens costUsd cacheHitRate cursor
    periodStart budgetUsedPercent
  }
}"""
CURRENT = "query { currentUsage { requests costUsd cursor periodStart budgetUsedPercent } }"
EVENTS = """query($first: Int, $after: String, $filter: AiUsageEventFilter) {
  aiUsageEvents(first: $first, after: $after, filter: $filter) {
    edges { cursor node { requestId modelId operation occurredAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def record(tenant: Tenant, n: int, **values: Any) -> models.AiUsageEvent:
    recorded = await recording.record_usage(
        workspace_id=tenant.id,
        report=reports.UsageReport(
            **{
                "model": HAIKU_3,
                "operation": "reply",
                "input_tokens": 1000,
                "output_tokens": 100,
                "request_id": f"live-{n}",
                **values,
            }
        ),
    )
    return recorded.event


async def month_totals(tenant: Tenant) -> tuple[int, Decimal]:
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    events = await models.AiUsageEvent.filter(workspace_id=tenant.id, occurred_at__gte=start)
    return len(events), sum((e.cost_usd or Decimal(0) for e in events), Decimal(0))


async def subscribed(ws: GraphQLSocket, token: str, after: str | None = None) -> None:
    assert (await ws.init(token))["type"] == "connection_ack"
    await ws.subscribe(USAGE_UPDATED, {"after": after})


async def test_a_recording_pushes_the_months_totals(app: Starlette, tenant: Tenant) -> None:
    # given a subscriber and a $10 budget
    await budgets.set_budget(workspace_id=tenant.id, amount_usd=Decimal(10), mode=BudgetMode.SOFT)
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], await event_cursor(tenant.id))
        # when a call is recorded: 1000 input at $0.25, 100 output at $1.25 per MTok
        await record(tenant, 1)
        # then the totals of the month arrive: $0.000375, 0.00375 % of the budget
        pushed = (await ws.next_data())["usageUpdated"]
        assert pushed["requests"] == 1
        assert (pushed["inputTokens"], pushed["outputTokens"], pushed["cacheReadTokens"]) == (
            1000,
            100,
            0,
        )
        assert Decimal(pushed["costUsd"]) == Decimal("0.000375")
        assert Decimal(pushed["cacheHitRate"]) == 0
        assert pushed["periodStart"] == datetime.now(UTC).date().replace(day=1).isoformat()
        assert Decimal(pushed["budgetUsedPercent"]) == Decimal("0")  # 0.00375 % to 2 places
        assert pushed["cursor"]
        await ws.expect_silence()


async def test_a_burst_is_coalesced_into_a_few_pushes_ending_with_the_true_totals(
    app: Starlette, tenant: Tenant
) -> None:
    # given a subscriber
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], await event_cursor(tenant.id))
        # when 30 calls are recorded as fast as possible
        started = time.monotonic()
        for n in range(30):
            await record(tenant, n, output_tokens=100 + n)
        # then a handful of pushes arrive, the last with the true totals
        pushes = []
        while not pushes or pushes[-1]["requests"] < 30:
            pushes.append((await ws.next_data())["usageUpdated"])
        elapsed = time.monotonic() - started
        await ws.expect_silence(0.6)
        requests, cost = await month_totals(tenant)
        assert pushes[-1]["requests"] == requests == 30
        assert Decimal(pushes[-1]["costUsd"]) == cost
        assert pushes[-1]["outputTokens"] == sum(100 + n for n in range(30))
        # coalesced: at most one push per interval (plus the first), however fast the burst
        # (no bound on the count alone: on a loaded machine a burst may be slower than that)
        assert len(pushes) <= 2 + elapsed / PUSH_INTERVAL_S, [p["requests"] for p in pushes]
        # and each push is news: a new position and totals that grew
        requests_pushed = [p["requests"] for p in pushes]
        assert requests_pushed == sorted(set(requests_pushed))
        assert len({p["cursor"] for p in pushes}) == len(pushes)


async def test_a_push_shows_the_totals_as_of_its_cursor_and_none_repeats(
    app: Starlette, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a subscriber, and a recording that commits while the first push reads totals
    read_totals = analytics.current_totals
    raced: list[bool] = []

    async def totals_with_a_commit_racing(**kwargs: Any) -> analytics.CurrentTotals:
        if not raced:
            raced.append(True)
            await record(tenant, 2)
        return await read_totals(**kwargs)

    monkeypatch.setattr(analytics, "current_totals", totals_with_a_commit_racing)
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], await event_cursor(tenant.id))
        # when a call is recorded
        await record(tenant, 1)
        # then one push arrives with both calls and a cursor after both
        pushed = (await ws.next_data())["usageUpdated"]
        assert pushed["requests"] == 2
        assert pushed["cursor"] == await event_cursor(tenant.id)
        # and the racing recording is not pushed again with the same totals
        await ws.expect_silence(0.6)


async def test_resuming_with_a_cursor_pushes_what_was_missed_at_once(
    app: Starlette, client: GraphQLClient, tenant: Tenant
) -> None:
    # given a client that read the current totals (and their cursor)
    await record(tenant, 1)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    current = (await viewer.data(CURRENT))["currentUsage"]
    assert current["requests"] == 1
    # when it subscribes with that cursor and nothing happened since, then it hears nothing
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], current["cursor"])
        await ws.expect_silence(0.4)
    # when calls are recorded while it is away
    await record(tenant, 2)
    await record(tenant, 3)
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], current["cursor"])
        # then the totals arrive (without waiting for another recording), and once
        pushed = (await ws.next_data())["usageUpdated"]
        assert pushed["requests"] == 3
        await ws.expect_silence(0.4)
        # and live pushes follow on; their cursor resumes without a repeat
        await record(tenant, 4)
        live = (await ws.next_data())["usageUpdated"]
        assert live["requests"] == 4
    async with asgi_socket(app) as ws:
        await subscribed(ws, tenant.keys[Role.VIEWER], live["cursor"])
        await ws.expect_silence(0.4)


async def test_a_subscriber_sees_only_its_own_workspace(
    app: Starlette, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given subscribers in two workspaces
    async with asgi_socket(app) as ours, asgi_socket(app) as theirs:
        await subscribed(ours, tenant.keys[Role.VIEWER], await event_cursor(tenant.id))
        await subscribed(
            theirs, other_tenant.keys[Role.VIEWER], await event_cursor(other_tenant.id)
        )
        # when the other workspace records a call
        await record(other_tenant, 1, input_tokens=7)
        # then only its subscriber hears of it, with its totals
        assert (await theirs.next_data())["usageUpdated"]["inputTokens"] == 7
        await ours.expect_silence(0.4)
        # and our recording reaches us with only our totals
        await record(tenant, 1, input_tokens=11)
        pushed = (await ours.next_data())["usageUpdated"]
        assert (pushed["requests"], pushed["inputTokens"]) == (1, 11)


async def test_ai_usage_events_lists_calls_newest_first_with_filters(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given five calls over five hours, two of them in a conversation, one a summary
    conversation = await seed.conversation(tenant)
    start = datetime.now(UTC) - timedelta(hours=6)
    for n in range(5):
        await record(
            tenant,
            n,
            occurred_at=start + timedelta(hours=n),
            operation="summary" if n == 4 else "reply",
            model="anthropic/claude-3-haiku" if n == 1 else HAIKU_3,
            conversation_id=conversation.id if n in (1, 3) else None,
        )
    await record(other_tenant, 99)
    viewer = client.as_(tenant.keys[Role.VIEWER])
    # when the calls are paged two at a time
    seen: list[str] = []
    after = None
    while True:
        page = (await viewer.data(EVENTS, {"first": 2, "after": after}))["aiUsageEvents"]
        seen += [edge["node"]["requestId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then they come newest first, each once, only this workspace's
    assert seen == [f"live-{n}" for n in reversed(range(5))]

    async def ids(where: dict[str, Any]) -> list[str]:
        data = await viewer.data(EVENTS, {"filter": where})
        return [edge["node"]["requestId"] for edge in data["aiUsageEvents"]["edges"]]

    # and the filters narrow them (a model alias matches its model)
    assert await ids({"conversationId": seed.gid("Conversation", conversation.id)}) == [
        "live-3",
        "live-1",
    ]
    assert await ids({"operation": "summary"}) == ["live-4"]
    assert len(await ids({"model": "anthropic/claude-3-haiku"})) == 5
    assert await ids({"model": "gpt-4o"}) == []
    # and a page too large is refused
    body = await viewer.execute(EVENTS, {"first": 1000})
    assert error_codes(body) == ["BAD_USER_INPUT"]
