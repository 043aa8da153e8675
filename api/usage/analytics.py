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
date functions are needed beyond "the UTC date of a timestamp" for events (`_UtcDate`).

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
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from pypika_tortoise import SqlContext
from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Function as SqlFunction
from tortoise.expressions import F, Function
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

import models
from api.core.errors import BadInput
from api.usage import budgets
from api.usage.pricing import TokenCounts, cache_hit_rate
from models.enums import AiState, LeadStatus

MAX_SPAN_DAYS = 400
MAX_TOP = 1000
MAX_GROUPS = 10_000  # without `top`
COST_QUANTUM = Decimal("0.000000000001")


class Dimension(StrEnum):
    """What a summary row is grouped by."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    MODEL = "MODEL"
    PROVIDER = "PROVIDER"
    OPERATION = "OPERATION"
    AI_TYPE = "AI_TYPE"
    USER = "USER"
    CONVERSATION = "CONVERSATION"
    CONTACT = "CONTACT"
    AI_STATE = "AI_STATE"


TIME_DIMENSIONS = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH)
# the dimensions the daily rollup holds (weeks and months are folded from its days)
ROLLUP_COLUMNS = {
    Dimension.DAY: "day",
    Dimension.MODEL: "model_key",
    Dimension.PROVIDER: "provider",
    Dimension.OPERATION: "operation",
    Dimension.AI_TYPE: "ai_type",
}
EVENT_COLUMNS = {
    Dimension.DAY: "utc_day",  # annotated with _UtcDate
    Dimension.MODEL: "model_key",
    Dimension.PROVIDER: "provider",
    Dimension.OPERATION: "operation",
    Dimension.AI_TYPE: "ai_type",
    Dimension.USER: "user_id",
    Dimension.CONVERSATION: "conversation_id",
    Dimension.CONTACT: "contact_id",
    Dimension.AI_STATE: "conversation__ai_state",
}


# --- the UTC date of a timestamp, per dialect -------------------------------------------


class _UtcDateSql(SqlFunction):
    def __init__(self, term: Any, alias: str | None = None) -> None:
        super().__init__("DATE", term, alias=alias)

    def get_function_sql(self, ctx: SqlContext) -> str:
        column = self.get_arg_sql(self.args[0], ctx)
        if ctx.dialect == Dialects.POSTGRESQL:
            return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
        if ctx.dialect == Dialects.SQLITE:
            return f"DATE({column})"  # ISO text with its offset: DATE() gives the UTC date
        raise NotImplementedError(f"no UTC date for {ctx.dialect}")


class _UtcDate(Function):
    """`DATE(ts)` on SQLite, `CAST((ts AT TIME ZONE 'UTC') AS DATE)` on PostgreSQL."""

    database_func = _UtcDateSql


# --- totals -----------------------------------------------------------------------------


@dataclass
class Totals:
    """Sums of usage: requests, tokens by kind, exact cost, latency."""

    requests: int = 0
    unpriced_requests: int = 0
    uncached_input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_pico: int = 0
    latency_sum_ms: int = 0
    latency_count: int = 0

    def add(self, other: "Totals") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def cost_usd(self) -> Decimal:
        return budgets.from_pico(self.cost_pico).quantize(COST_QUANTUM)

    @property
    def total_tokens(self) -> int:
        return (
            self.uncached_input_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
            + self.output_tokens
            + self.reasoning_tokens
        )

    @property
    def cache_hit_rate(self) -> Decimal | None:
        return cache_hit_rate(
            TokenCounts(
                self.uncached_input_tokens,
                self.cache_read_tokens,
                self.cache_write_tokens,
                self.output_tokens,
            )
        )

    @property
    def avg_latency_ms(self) -> float | None:
        return self.latency_sum_ms / self.latency_count if self.latency_count else None


def _int(value: Any) -> int:
    """SUM of a BIGINT is NUMERIC on PostgreSQL (a Decimal here), NULL over no rows."""
    return int(value) if value is not None else 0


# the aggregates of each source, as annotations; `_totals_of` reads them back
def _rollup_aggregates() -> dict[str, Any]:
    return {
        "t_requests": Sum("requests"),
        "t_unpriced": Sum("unpriced_requests"),
        "t_uncached": Sum("uncached_input_tokens"),
        "t_cache_read": Sum("cache_read_tokens"),
        "t_cache_write": Sum("cache_write_tokens"),
        "t_output": Sum("output_tokens"),
        "t_reasoning": Sum("reasoning_tokens"),
        "t_cost_micro": Sum("cost_micro"),
        "t_cost_pico": Sum("cost_pico"),
        "t_latency_sum": Sum("latency_sum_ms"),
        "t_latency_count": Sum("latency_count"),
    }


def _event_aggregates() -> dict[str, Any]:
    return {
        "t_requests": Count("id"),
        "t_priced": Count("cost_pico"),
        "t_uncached": Sum("uncached_input_tokens"),
        "t_cache_read": Sum("cache_read_tokens"),
        "t_cache_write": Sum("cache_write_tokens"),
        "t_output": Sum("output_tokens"),
        "t_reasoning": Sum("reasoning_tokens"),
        "t_cost_micro": Sum(F("cost_pico") / budgets.PICO_PER_MICRO),
        "t_cost_pico": Sum(F("cost_pico") % budgets.PICO_PER_MICRO),
        "t_latency_sum": Sum("latency_ms"),
        "t_latency_count": Count("latency_ms"),
    }


def _totals_of(row: dict[str, Any]) -> Totals:
    requests = _int(row["t_requests"])
    unpriced = _int(row["t_unpriced"]) if "t_unpriced" in row else requests - _int(row["t_priced"])
    return Totals(
        requests=requests,
        unpriced_requests=unpriced,
        uncached_input_tokens=_int(row["t_uncached"]),
        cache_read_tokens=_int(row["t_cache_read"]),
        cache_write_tokens=_int(row["t_cache_write"]),
        output_tokens=_int(row["t_output"]),
        reasoning_tokens=_int(row["t_reasoning"]),
        cost_pico=_int(row["t_cost_micro"]) * budgets.PICO_PER_MICRO + _int(row["t_cost_pico"]),
        latency_sum_ms=_int(row["t_latency_sum"]),
        latency_count=_int(row["t_latency_count"]),
    )


# --- ranges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


def check_range(start: datetime, end: datetime, *, field: str = "range") -> DateRange:
    for name, value in (("from", start), ("to", end)):
        if value.utcoffset() is None:
            raise BadInput(
                f"{field}.{name} needs a time zone (e.g. 2030-01-01T00:00:00Z).",
                field=f"{field}.{name}",
            )
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start >= end:
        raise BadInput(f"{field}.from must be before {field}.to.", field=f"{field}.to")
    if end - start > timedelta(days=MAX_SPAN_DAYS):
        raise BadInput(f"A range spans at most {MAX_SPAN_DAYS} days.", field=f"{field}.to")
    return DateRange(start, end)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _whole_days(period: DateRange) -> tuple[date, date] | None:
    """The whole UTC days inside the range, [first, end), or None if there are none."""
    first = period.start.date()
    if _midnight(first) < period.start:
        first += timedelta(days=1)
    end = period.end.date()
    return (first, end) if first < end else None


# --- grouped sums -------------------------------------------------------------------------

Key = tuple[Any, ...]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


def _normalize(dimension: Dimension, value: Any) -> Any:
    if dimension is Dimension.DAY:
        return _day(value)
    if dimension is Dimension.AI_TYPE:
        return value or None  # "" is "none named"
    if dimension in (Dimension.USER, Dimension.CONVERSATION, Dimension.CONTACT):
        return _uuid(value)
    if dimension is Dimension.AI_STATE:
        return AiState(value) if value is not None else None
    return value


async def _grouped(
    query: QuerySet[Any],
    columns: dict[Dimension, str],
    dimensions: Sequence[Dimension],
    aggregates: dict[str, Any],
) -> list[tuple[Key, Totals]]:
    names = [columns[d] for d in dimensions]
    query = query.annotate(**aggregates)
    if names:
        query = query.group_by(*names)
    rows = await query.values(*names, *aggregates)
    result = []
    for row in rows:
        totals = _totals_of(row)
        if not totals.requests and not names:
            continue  # an aggregate over no rows
        key = tuple(_normalize(d, row[n]) for d, n in zip(dimensions, names, strict=True))
        result.append((key, totals))
    return result


async def _rollup_groups(
    workspace_id: UUID, first: date, end: date, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    query = models.AiUsageDaily.filter(workspace_id=workspace_id, day__gte=first, day__lt=end)
    return await _grouped(query, ROLLUP_COLUMNS, dimensions, _rollup_aggregates())


def events_in(workspace_id: UUID, start: datetime, end: datetime) -> QuerySet[Any]:
    return models.AiUsageEvent.filter(
        workspace_id=workspace_id, occurred_at__gte=start, occurred_at__lt=end
    )


async def _event_groups(
    workspace_id: UUID, start: datetime, end: datetime, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    query = events_in(workspace_id, start, end)
    if Dimension.DAY in dimensions:
        query = query.annotate(utc_day=_UtcDate("occurred_at"))
    return await _grouped(query, EVENT_COLUMNS, dimensions, _event_aggregates())


async def _sql_groups(
    workspace_id: UUID, period: DateRange, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    """Sums grouped by `dimensions` (no WEEK/MONTH: those come from DAY)."""
    days = _whole_days(period)
    if days is None or any(d not in ROLLUP_COLUMNS for d in dimensions):
        return await _event_groups(workspace_id, period.start, period.end, dimensions)
    first, end = days
    groups = await _rollup_groups(workspace_id, first, end, dimensions)
    if period.start < _midnight(first):
        groups += await _event_groups(workspace_id, period.start, _midnight(first), dimensions)
    if _midnight(end) < period.end:
        groups += await _event_groups(workspace_id, _midnight(end), period.end, dimensions)
    return groups


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
    groups = await _sql_groups(workspace_id, period, sql_dimensions)
    summary = Summary(rows=[])
    folded: dict[Key, Totals] = {}
    for key, totals in groups:
        summary.total.add(totals)
        if not dimensions:
            continue
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
    if top is None and len(folded) > MAX_GROUPS:
        raise BadInput(
            f"More than {MAX_GROUPS} groups: pass top (at most {MAX_TOP}) or a shorter range.",
            field="top",
        )
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
    items = sorted(items, key=by_cost)[:top] if top is not None else sorted(items, key=by_time)
    summary.rows = [
        SummaryRow(dict(zip(dimensions, key, strict=True)), totals) for key, totals in items
    ]
    return summary


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
        if not self.response_time_count:
            return None
        return self.response_time_sum_ms / self.response_time_count

    @property
    def cost_per_conversion(self) -> Decimal | None:
        return _per(self.totals.cost_pico, self.conversions)


async def _count_by_model(query: QuerySet[Any], column: str) -> dict[str, int]:
    rows = (
        await query.annotate(n=Count(column, distinct=True))
        .group_by("model_key")
        .values("model_key", "n")
    )
    return {row["model_key"]: _int(row["n"]) for row in rows}


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
            with_messages.messages = _int(found["n"])
            with_messages.response_time_sum_ms = _int(found["rt_sum"])
            with_messages.response_time_count = _int(found["rt_count"])
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
    return _int(rows[0]["n"]) if rows else 0


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
    groups = await _rollup_groups(workspace_id, start, end, [])
    totals = Totals()
    for _, group in groups:
        totals.add(group)
    budget = await budgets.budget_state(workspace_id=workspace_id, now=now)
    percent = None
    if budget.limit_usd is not None:
        if budget.limit_usd:
            percent = (budget.spent_usd * 100 / budget.limit_usd).quantize(
                Decimal("0.01"), ROUND_HALF_EVEN
            )
        else:
            percent = Decimal(100) if budget.spent_usd else Decimal(0)
    return CurrentTotals(period_start=start, totals=totals, budget_used_percent=percent)
