"""Monthly budgets: SOFT thresholds announced once each, HARD reservations (reserve,
settle, release, expire), QUOTA_EXCEEDED, free models never blocked, and the race of two
processes reserving against one PostgreSQL database."""

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import models
from api.core.errors import QuotaExceeded
from api.usage import budgets, reservations
from models.enums import Role
from models.usage import BudgetMode, ReservationStatus
from tests.conftest import REPO, Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.usage.helpers import (
    BUDGET,
    RELEASE,
    RESERVE,
    SEA_LION,
    SET_BUDGET,
    haiku_call,
    money,
    record,
    usage_rows,
)

# Claude 3 Haiku, 1000 input and 1000 output tokens at most: the dearest input price is the
# 1-hour cache write, $0.50, so 1000*0.50 + 1000*1.25 = 500 + 1250 = 1750 per million
WORST_CASE = Decimal("0.00175")
RESERVE_HAIKU = {
    "model": "claude-3-haiku-20240307",
    "maxInputTokens": 1000,
    "maxOutputTokens": 1000,
}


async def set_budget(client: GraphQLClient, tenant: Tenant, amount: str, mode: str) -> None:
    data = await client.as_(tenant.keys[Role.ADMIN]).data(
        SET_BUDGET, {"input": {"amountUsd": amount, "mode": mode}}
    )
    assert data["setAiBudget"]["__typename"] == "SetAiBudgetPayload"


async def test_soft_budget_announces_50_80_100_percent_once_each(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a SOFT budget of $0.00995: each example call ($0.000995) is 10 %
    await set_budget(client, tenant, "0.00995", "SOFT")

    # when 12 calls are recorded (to 120 %)
    for _ in range(12):
        assert (await record(agent, **haiku_call()))["__typename"] == "RecordAiUsagePayload"

    # then thresholds were announced once each, at the 5th, 8th and 10th call
    announced = await models.Event.filter(workspace_id=tenant.id, type="budget.threshold").order_by(
        "seq"
    )
    assert [e.payload["threshold"] for e in announced] == [50, 80, 100]
    assert [Decimal(str(e.payload["spentUsd"])) for e in announced] == [
        Decimal("0.004975"),  # 5 * 0.000995
        Decimal("0.00796"),  # 8 * 0.000995
        Decimal("0.00995"),  # 10 * 0.000995
    ]
    # and nothing was refused: spent is 12 * 0.000995 = 0.01194
    budget = (await agent.data(BUDGET))["aiBudget"]
    assert money(budget["spentUsd"]) == Decimal("0.01194")
    assert money(budget["remainingUsd"]) == 0
    assert budget["mode"] == "SOFT"


async def test_hard_budget_reserves_settles_and_releases(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a HARD budget with room for two worst cases: 2 * 0.00175 = 0.0035
    await set_budget(client, tenant, "0.0035", "HARD")

    # when three reservations are asked for
    first, second, third = [
        (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"] for _ in range(3)
    ]

    # then two are granted at the worst case and the third is refused
    assert money(first["reservation"]["amountUsd"]) == WORST_CASE
    assert money(second["reservation"]["amountUsd"]) == WORST_CASE
    assert (third["__typename"], third["code"]) == ("QuotaExceededError", "QUOTA_EXCEEDED")
    budget = (await agent.data(BUDGET))["aiBudget"]
    assert (money(budget["reservedUsd"]), money(budget["remainingUsd"])) == (
        Decimal("0.0035"),
        Decimal(0),
    )

    # when the first call is recorded with its reservation (actual cost $0.000995)
    reservation_id = first["reservation"]["id"]
    usage = (await record(agent, **haiku_call(reservationId=reservation_id)))["usage"]
    assert usage["reservationId"] == reservation_id

    # then it is settled: spent 0.000995, reserved 0.00175 (the second), remaining
    # 0.0035 - 0.000995 - 0.00175 = 0.000755 — less than a worst case
    budget = (await agent.data(BUDGET))["aiBudget"]
    assert (money(budget["spentUsd"]), money(budget["reservedUsd"])) == (
        Decimal("0.000995"),
        WORST_CASE,
    )
    assert money(budget["remainingUsd"]) == Decimal("0.000755")
    refused = (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"]
    assert refused["__typename"] == "QuotaExceededError"
    # and a reservation settles only once
    twice = await record(agent, **haiku_call(reservationId=reservation_id))
    assert (twice["__typename"], twice["field"]) == ("ConflictError", "reservationId")

    # when the second is released unused, then a new reservation fits again
    released = (
        await agent.data(RELEASE, {"input": {"reservationId": second["reservation"]["id"]}})
    )["releaseAiBudget"]
    assert released["reservation"]["status"] == "RELEASED"
    again = (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"]
    assert again["__typename"] == "ReserveAiBudgetPayload"


async def test_a_call_made_past_a_hard_budget_is_recorded_over_budget_and_blocks_reserving(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a HARD budget of $0.0015: one example call ($0.000995) fits, two do not
    await set_budget(client, tenant, "0.0015", "HARD")
    first = await record(agent, **haiku_call())
    assert (first["__typename"], first["usage"]["overBudget"]) == ("RecordAiUsagePayload", False)

    # when a second call, made without a reservation, is recorded
    result = await record(agent, **haiku_call())

    # then it is recorded (the money was spent), marked over budget, and counted
    assert (result["__typename"], result["usage"]["overBudget"]) == ("RecordAiUsagePayload", True)
    assert len(await usage_rows(tenant.id)) == 2
    budget = (await agent.data(BUDGET))["aiBudget"]
    assert money(budget["spentUsd"]) == Decimal("0.001990")
    assert money(budget["remainingUsd"]) == 0
    # and announced on the event stream, naming the call and the overshoot
    exceeded = await models.Event.filter(workspace_id=tenant.id, type="budget.exceeded")
    assert [e.payload["usageId"] for e in exceeded] == [str((await usage_rows(tenant.id))[1].id)]
    assert Decimal(exceeded[0].payload["overByUsd"]) == Decimal("0.00049")
    # and the next call may not start: reserving fails until the budget is raised
    refused = (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"]
    assert (refused["__typename"], refused["code"]) == ("QuotaExceededError", "QUOTA_EXCEEDED")
    await set_budget(client, tenant, "1", "HARD")
    granted = (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"]
    assert granted["__typename"] == "ReserveAiBudgetPayload"


async def test_a_call_within_a_soft_budget_or_none_is_never_over_budget(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a SOFT budget far exceeded
    await set_budget(client, tenant, "0.0001", "SOFT")
    # when calls are recorded past it
    results = [await record(agent, **haiku_call()) for _ in range(2)]
    # then they are recorded and not marked (SOFT budgets only announce thresholds)
    assert [r["usage"]["overBudget"] for r in results] == [False, False]
    assert not await models.Event.filter(workspace_id=tenant.id, type="budget.exceeded")


async def test_a_free_model_is_never_blocked(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # given an exhausted HARD budget of 0
    await set_budget(client, tenant, "0", "HARD")
    refused = (await agent.data(RESERVE, {"input": RESERVE_HAIKU}))["reserveAiBudget"]
    assert refused["__typename"] == "QuotaExceededError"

    # when a free (self-hosted) model is reserved and recorded
    reserved = (
        await agent.data(
            RESERVE,
            {"input": {"model": SEA_LION, "maxInputTokens": 10**6, "maxOutputTokens": 10**5}},
        )
    )["reserveAiBudget"]
    recorded = await record(
        agent,
        model=SEA_LION,
        operation="reply",
        inputTokens=1000,
        outputTokens=500,
        inputTokensIncludeCache=False,
        reservationId=reserved["reservation"]["id"],
    )

    # then both go through at 0
    assert money(reserved["reservation"]["amountUsd"]) == 0
    assert money(recorded["usage"]["costUsd"]) == 0


async def test_unsettled_reservations_expire_and_are_released(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a HARD budget with room for one worst case, reserved with a 60 s lifetime
    await set_budget(client, tenant, "0.00175", "HARD")
    now = datetime.now(UTC)
    held = await reservations.reserve_budget(
        workspace_id=tenant.id,
        model_name="claude-3-haiku",
        max_input_tokens=1000,
        max_output_tokens=1000,
        ttl_seconds=60,
        now=now,
    )
    with pytest.raises(QuotaExceeded):
        await reservations.reserve_budget(
            workspace_id=tenant.id,
            model_name="claude-3-haiku",
            max_input_tokens=1000,
            max_output_tokens=1000,
            now=now + timedelta(seconds=30),
        )

    # when a reservation is asked for after the first expired
    later = now + timedelta(seconds=61)
    again = await reservations.reserve_budget(
        workspace_id=tenant.id,
        model_name="claude-3-haiku",
        max_input_tokens=1000,
        max_output_tokens=1000,
        now=later,
    )

    # then the expired one was released first (lazily) and the new one granted
    assert (await models.AiBudgetReservation.get(id=held.id)).status is ReservationStatus.EXPIRED
    assert again.status is ReservationStatus.ACTIVE
    period = await models.AiBudgetPeriod.get(workspace_id=tenant.id)
    assert period.reserved_pico == budgets.to_pico(WORST_CASE)
    # and the job function releases the rest once they expire, once
    assert await reservations.release_expired(now=later + timedelta(hours=1)) == 1
    assert await reservations.release_expired(now=later + timedelta(hours=1)) == 0
    assert (await models.AiBudgetPeriod.get(workspace_id=tenant.id)).reserved_pico == 0


async def test_budget_needs_admin_and_validates(
    client: GraphQLClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    # when an AGENT sets a budget, then FORBIDDEN
    body = await agent.execute(SET_BUDGET, {"input": {"amountUsd": "10", "mode": "HARD"}})
    assert error_codes(body) == ["FORBIDDEN"]
    # when an ADMIN sets a negative one, then BAD_USER_INPUT on amountUsd
    admin = client.as_(tenant.keys[Role.ADMIN])
    data = await admin.data(SET_BUDGET, {"input": {"amountUsd": "-1", "mode": "HARD"}})
    assert data["setAiBudget"] == {
        "__typename": "ValidationError",
        "code": "BAD_USER_INPUT",
        "field": "amountUsd",
        "message": data["setAiBudget"]["message"],
    }
    # and without a budget the query says so
    budget = (await agent.data(BUDGET))["aiBudget"]
    assert (budget["limitUsd"], budget["mode"], budget["remainingUsd"]) == (None, None, None)


async def test_concurrent_first_budgets_all_succeed_and_leave_one_setting(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # when five admins set the workspace's first budget at the same moment
    admin = client.as_(tenant.keys[Role.ADMIN])
    results = await asyncio.gather(
        *(
            admin.data(SET_BUDGET, {"input": {"amountUsd": str(10 + n), "mode": "HARD"}})
            for n in range(5)
        )
    )
    # then none fails, and one setting remains, one of theirs
    assert {r["setAiBudget"]["__typename"] for r in results} == {"SetAiBudgetPayload"}
    settings = await models.AiBudget.filter(workspace_id=tenant.id)
    assert len(settings) == 1
    assert settings[0].limit_pico in {budgets.to_pico(Decimal(10 + n)) for n in range(5)}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # PostgreSQL only
async def test_concurrent_reservations_from_two_processes_never_overshoot(
    database_url: str, tenant: Tenant
) -> None:
    # given a HARD budget of $0.035: floor(0.035 / 0.00175) = 20 worst cases
    await budgets.set_budget(
        workspace_id=tenant.id, amount_usd=Decimal("0.035"), mode=BudgetMode.HARD
    )
    start_at = time.time() + 2

    # when two processes each ask for 25 reservations at once
    def race() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.usage.reserve_race",
                database_url,
                str(tenant.id),
                "25",
                str(start_at),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    processes = [race(), race()]
    outputs = []
    for process in processes:
        stdout, stderr = await asyncio.to_thread(process.communicate, timeout=120)
        assert process.returncode == 0, stderr
        outputs.append(json.loads(stdout))

    # then exactly 20 were granted (each 1_750_000_000 pico-USD), 30 refused
    granted = [int(amount) for out in outputs for amount in out["granted"]]
    assert len(granted) == 20
    assert sum(out["refused"] for out in outputs) == 30
    assert sum(granted) <= budgets.to_pico(Decimal("0.035"))
    assert sum(granted) == 20 * budgets.to_pico(WORST_CASE)
    period = await models.AiBudgetPeriod.get(workspace_id=tenant.id)
    assert period.reserved_pico == sum(granted)
    assert await models.AiBudgetReservation.filter(workspace_id=tenant.id).count() == 20
