"""Usage analytics, computed in SQL: summaries by time and by dimension, the per-model A/B
view, cost to serve, and the running totals `usageUpdated` pushes.

Sources. Time, model, provider, operation and AI-type groupings read the daily rollup
(`ai_usage_daily`, one row per workspace, UTC day and those keys; index on workspace and
day): a month is a few thousand rows however many calls it holds. A range that does not
start or end at midnight UTC takes its partial first and last day from the events.
Groupings by user, conversation, contact or AI state (and any mix with them) aggregate
`ai_usage_event` over the range (index on workspace and occurred_at). AI_STATE is the
conversation's *current* state, not its state at the time of the call.

Buckets. SQL groups by UTC day; ISO weeks (starting Monday) and calendar months are
folded from days in Python (a range holds at most MAX_SPAN_DAYS days), so no dialect's
date functions are needed beyond "the UTC date of a timestamp" for events
(`aggregates.UtcDate`).

Money. Sums are of integer pico-USD (1e-12 USD), exact on both databases, turned into
Decimal at the end. A SUM of BIGINTs is NUMERIC (exact, unbounded) on PostgreSQL but
raises "integer overflow" on SQLite past 9.2e18 (9.2 million USD), which a workspace's
year can reach. So every money sum is taken in two parts that never get near that:
the whole micro-USD and the pico-USD left (the rollup stores them so, `cost_micro` and
`cost_pico`; an event's single `cost_pico`, at most 5e18 by the token and price bounds,
is split in SQL as `cost_pico / 10^6` and `cost_pico % 10^6`); Python joins them.
Measured on SQLite 3: SUM over three rows of 4e18 raises "integer overflow", while
SUM(x / 1000000) and SUM(x % 1000000) give 12000000000000 and 0, exact; and
`SET s = s + 1e18` on a 9e18 BIGINT silently stores the REAL 1e+19, which is why the
stored counters are split too (tests/usage/test_numbers.py sums 1e19 pico-USD on both
databases). Unpriced calls count as requests and tokens, not cost.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from api.core.errors import BadInput
from api.usage import budgets
from api.usage.aggregates import (
    TIME_DIMENSIONS,
    Dimension,
    Key,
    Totals,
    as_int,
    check_range,
    events_in,
    grouped_sums,
    rollup_groups,
)
from api.usage.pricing import COST_QUANTUM, PERCENT_QUANTUM, mean_ms, rounded_ratio
from models.enums import LeadStatus

MAX_TOP = 1000
MAX_GROUPS = 10_000  # without `top`


def week_of(day: date) -> date:
    """The Monday starting the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass
class SummaryRow:
    keys: dict[Dimension, Any]
    totals: Totals


@dataclass
class Summary:
    rows: list[SummaryRow]
    total: Totals = field(default_factory=Totals)


def _sort_value(value: Any) -> tuple[int, str]:
    return (value is None, str(value) if value is not None else "")


async def usage_summary(
    *,
    workspace_id: UUID,
    start: datetime,
    end: datetime,
    group_by: Iterable[Dimension],
    top: int | None = None,
) -> Summary:
    """The range's usage grouped by `group_by`, and its grand total.

    Rows: without `top`, ordered by their time keys, then by cost (highest first),
    requests and the other keys; with `top`, the `top` groups of highest cost (ties: more
    requests first, then the keys). Without `group_by`, no rows: only the total.
    """
    period = check_range(start, end)
    if top is not None and not 1 <= top <= MAX_TOP:
        raise BadInput(f"top must be between 1 and {MAX_TOP}.", field="top")
    dimensions = list(dict.fromkeys(group_by))
    sql_dimensions = list(
        dict.fromkeys(Dimension.DAY if d in TIME_DIMENSIONS else d for d in dimensions)
    )
    groups = await grouped_sums(workspace_id, period, sql_dimensions)
    summary = Summary(rows=[])
    for _, totals in groups:
        summary.total.add(totals)
    if not dimensions:
        return summary
    folded = _fold(groups, sql_dimensions, dimensions)
    if top is None and len(folded) > MAX_GROUPS:
        raise BadInput(
            f"More than {MAX_GROUPS} groups: pass top (at most {MAX_TOP}) or a shorter range.",
            field="top",
        )
    summary.rows = [
        SummaryRow(dict(zip(dimensions, key, strict=True)), totals)
        for key, totals in _ordered(folded, dimensions, top)
    ]
    return summary


def _fold(
    groups: list[tuple[Key, Totals]],
    sql_dimensions: Sequence[Dimension],
    dimensions: Sequence[Dimension],
) -> dict[Key, Totals]:
    """The SQL groups (by day) summed into the asked dimensions (weeks and months)."""
    folded: dict[Key, Totals] = {}
    for key, totals in groups:
        values = dict(zip(sql_dimensions, key, strict=True))
        row_key = []
        for dimension in dimensions:
            if dimension is Dimension.WEEK:
                row_key.append(week_of(values[Dimension.DAY]))
            elif dimension is Dimension.MONTH:
                row_key.append(month_of(values[Dimension.DAY]))
            else:
                row_key.append(values[dimension])
        folded.setdefault(tuple(row_key), Totals()).add(totals)
    return folded


def _ordered(
    folded: dict[Key, Totals], dimensions: Sequence[Dimension], top: int | None
) -> list[tuple[Key, Totals]]:
    """Without `top`, by time keys, then cost (highest first), requests and the other
    keys; with `top`, the `top` groups of highest cost (ties: requests, then keys)."""
    time_positions = [i for i, d in enumerate(dimensions) if d in TIME_DIMENSIONS]
    other_positions = [i for i, d in enumerate(dimensions) if d not in TIME_DIMENSIONS]

    def by_cost(item: tuple[Key, Totals]) -> tuple[Any, ...]:
        key, totals = item
        return (
            -totals.cost_pico,
            -totals.requests,
            tuple(_sort_value(key[i]) for i in range(len(key))),
        )

    def by_time(item: tuple[Key, Totals]) -> tuple[Any, ...]:
        key, totals = item
        return (
            tuple(_sort_value(key[i]) for i in time_positions),
            -totals.cost_pico,
            -totals.requests,
            tuple(_sort_value(key[i]) for i in other_positions),
        )

    items = list(folded.items())
    return sorted(items, key=by_cost)[:top] if top is not None else sorted(items, key=by_time)


# --- the A/B view and cost to serve ----------------------------------------------------


def _per(cost_pico: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(cost_pico) / count).scaleb(-12).quantize(COST_QUANTUM, ROUND_HALF_EVEN)


@dataclass
class ModelStats:
    model: str
    provider: str
    totals: Totals = field(default_factory=Totals)
    conversations: int = 0
    messages: int = 0
    response_time_sum_ms: int = 0
    response_time_count: int = 0
    conversions: int = 0

    @property
    def avg_response_time_ms(self) -> float | None:
        return mean_ms(self.response_time_sum_ms, self.response_time_count)

    @property
    def cost_per_conversion(self) -> Decimal | None:
        return _per(self.totals.cost_pico, self.conversions)


async def _count_by_model(query: QuerySet[Any], column: str) -> dict[str, int]:
    rows = (
        await query.annotate(n=Count(column, distinct=True))
        .group_by("model_key")
        .values("model_key", "n")
    )
    return {row["model_key"]: as_int(row["n"]) for row in rows}


async def model_comparison(
    *, workspace_id: UUID, start: datetime, end: datetime
) -> list[ModelStats]:
    """Per model over the range (highest cost first): usage totals; conversations and
    chat messages it worked on; the average response time of those messages; and
    conversions: contacts whose lead status is now CONVERTED and who had usage of the
    model in the range (directly or through their conversations) — a contact served by
    two models counts for both."""
    period = check_range(start, end)
    summary = await usage_summary(
        workspace_id=workspace_id,
        start=period.start,
        end=period.end,
        group_by=[Dimension.MODEL, Dimension.PROVIDER],
    )
    stats: dict[str, ModelStats] = {}
    for row in summary.rows:
        model, provider = row.keys[Dimension.MODEL], row.keys[Dimension.PROVIDER]
        entry = stats.setdefault(model, ModelStats(model=model, provider=provider))
        entry.provider = max(entry.provider, provider)
        entry.totals.add(row.totals)
    events = events_in(workspace_id, period.start, period.end)
    conversations = await _count_by_model(
        events.filter(conversation_id__isnull=False), "conversation_id"
    )
    conversions = await _count_by_model(
        events.filter(contact__lead_status=LeadStatus.CONVERTED), "contact_id"
    )
    messages = (
        await events.filter(message_id__isnull=False)
        .annotate(
            n=Count("message_id", distinct=True),
            rt_sum=Sum("message__response_time_ms"),
            rt_count=Count("message__response_time_ms"),
        )
        .group_by("model_key")
        .values("model_key", "n", "rt_sum", "rt_count")
    )
    for model, entry in stats.items():
        entry.conversations = conversations.get(model, 0)
        entry.conversions = conversions.get(model, 0)
    for found in messages:
        if (with_messages := stats.get(found["model_key"])) is not None:
            with_messages.messages = as_int(found["n"])
            with_messages.response_time_sum_ms = as_int(found["rt_sum"])
            with_messages.response_time_count = as_int(found["rt_count"])
    return sorted(stats.values(), key=lambda s: (-s.totals.cost_pico, -s.totals.requests, s.model))


@dataclass
class CostToServe:
    totals: Totals
    conversations: int
    qualified_leads: int
    conversions: int

    @property
    def per_conversation(self) -> Decimal | None:
        return _per(self.totals.cost_pico, self.conversations)

    @property
    def per_qualified_lead(self) -> Decimal | None:
        return _per(self.totals.cost_pico, self.qualified_leads)

    @property
    def per_conversion(self) -> Decimal | None:
        return _per(self.totals.cost_pico, self.conversions)


async def _distinct(query: QuerySet[Any], column: str) -> int:
    # grouped by the (one) workspace: with a joined filter and no GROUP BY, Tortoise would
    # group by every column of the event
    rows = await query.annotate(n=Count(column, distinct=True)).group_by("workspace_id").values("n")
    return as_int(rows[0]["n"]) if rows else 0


async def cost_to_serve(*, workspace_id: UUID, start: datetime, end: datetime) -> CostToServe:
    """The range's AI cost divided by the conversations that had usage, by the qualified
    leads (contacts now QUALIFIED or CONVERTED) that had usage, and by the conversions
    (contacts now CONVERTED) that had usage; usage of a contact counts directly or
    through its conversations."""
    period = check_range(start, end)
    summary = await usage_summary(
        workspace_id=workspace_id, start=period.start, end=period.end, group_by=[]
    )
    events = events_in(workspace_id, period.start, period.end)
    return CostToServe(
        totals=summary.total,
        conversations=await _distinct(
            events.filter(conversation_id__isnull=False), "conversation_id"
        ),
        qualified_leads=await _distinct(
            events.filter(contact__lead_status__in=[LeadStatus.QUALIFIED, LeadStatus.CONVERTED]),
            "contact_id",
        ),
        conversions=await _distinct(
            events.filter(contact__lead_status=LeadStatus.CONVERTED), "contact_id"
        ),
    )


# --- live totals --------------------------------------------------------------------------


@dataclass
class CurrentTotals:
    """This calendar month's (UTC) totals and how much of the budget they used."""

    period_start: date
    totals: Totals
    budget_used_percent: Decimal | None


async def current_totals(*, workspace_id: UUID, now: datetime | None = None) -> CurrentTotals:
    now = now or datetime.now(UTC)
    start = budgets.period_start_of(now)
    end = budgets.period_end_of(start)
    groups = await rollup_groups(workspace_id, start, end, [])
    totals = Totals()
    for _, group in groups:
        totals.add(group)
    budget = await budgets.budget_state(workspace_id=workspace_id, now=now)
    percent = None
    if budget.limit_usd is not None:
        if budget.limit_usd:
            percent = rounded_ratio(budget.spent_usd * 100, budget.limit_usd, PERCENT_QUANTUM)
        else:
            percent = Decimal(100 if budget.spent_usd else 0).quantize(PERCENT_QUANTUM)
    return CurrentTotals(period_start=start, totals=totals, budget_used_percent=percent)
