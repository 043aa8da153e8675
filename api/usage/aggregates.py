"""The sums usage analytics is built from: the dimensions a sum is grouped by, the
totals of a group, date ranges, and grouped SQL sums that read the daily rollup for whole
UTC days and the events for the rest (api/usage/analytics.py explains the sources and
how money sums stay exact on both databases).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
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
from api.core.validation import utc_time
from api.usage import budgets
from api.usage.pricing import COST_QUANTUM, TokenCounts, cache_hit_rate, mean_ms
from models.enums import AiState

MAX_SPAN_DAYS = 400


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
    Dimension.DAY: "utc_day",  # annotated with UtcDate
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


class UtcDate(Function):
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

    def negated(self) -> "Totals":
        """What taking these sums away adds (a rollup row moved to another key)."""
        return Totals(**{name: -value for name, value in asdict(self).items()})

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
        return mean_ms(self.latency_sum_ms, self.latency_count)


def as_int(value: Any) -> int:
    """SUM of a BIGINT is NUMERIC on PostgreSQL (a Decimal here), NULL over no rows."""
    return int(value) if value is not None else 0


# the aggregates of each source, as annotations; `totals_of` reads them back
def rollup_aggregates() -> dict[str, Any]:
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


def event_aggregates() -> dict[str, Any]:
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


def totals_of(row: dict[str, Any]) -> Totals:
    requests = as_int(row["t_requests"])
    unpriced = (
        as_int(row["t_unpriced"]) if "t_unpriced" in row else requests - as_int(row["t_priced"])
    )
    return Totals(
        requests=requests,
        unpriced_requests=unpriced,
        uncached_input_tokens=as_int(row["t_uncached"]),
        cache_read_tokens=as_int(row["t_cache_read"]),
        cache_write_tokens=as_int(row["t_cache_write"]),
        output_tokens=as_int(row["t_output"]),
        reasoning_tokens=as_int(row["t_reasoning"]),
        cost_pico=as_int(row["t_cost_micro"]) * budgets.PICO_PER_MICRO + as_int(row["t_cost_pico"]),
        latency_sum_ms=as_int(row["t_latency_sum"]),
        latency_count=as_int(row["t_latency_count"]),
    )


# --- ranges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """[start, end) in UTC."""

    start: datetime
    end: datetime


def check_range(start: datetime, end: datetime, *, field: str = "period") -> DateRange:
    start, end = utc_time(start, field=f"{field}.start"), utc_time(end, field=f"{field}.end")
    if start >= end:
        raise BadInput(f"{field}.start must be before {field}.end.", field=f"{field}.end")
    if end - start > timedelta(days=MAX_SPAN_DAYS):
        raise BadInput(f"A period spans at most {MAX_SPAN_DAYS} days.", field=f"{field}.end")
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
        totals = totals_of(row)
        if not totals.requests and not names:
            continue  # an aggregate over no rows
        key = tuple(_normalize(d, row[n]) for d, n in zip(dimensions, names, strict=True))
        result.append((key, totals))
    return result


async def rollup_groups(
    workspace_id: UUID, first: date, end: date, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    query = models.AiUsageDaily.filter(workspace_id=workspace_id, day__gte=first, day__lt=end)
    return await _grouped(query, ROLLUP_COLUMNS, dimensions, rollup_aggregates())


def events_in(workspace_id: UUID, start: datetime, end: datetime) -> QuerySet[Any]:
    return models.AiUsageEvent.filter(
        workspace_id=workspace_id, occurred_at__gte=start, occurred_at__lt=end
    )


async def _event_groups(
    workspace_id: UUID, start: datetime, end: datetime, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    query = events_in(workspace_id, start, end)
    if Dimension.DAY in dimensions:
        query = query.annotate(utc_day=UtcDate("occurred_at"))
    return await _grouped(query, EVENT_COLUMNS, dimensions, event_aggregates())


async def grouped_sums(
    workspace_id: UUID, period: DateRange, dimensions: Sequence[Dimension]
) -> list[tuple[Key, Totals]]:
    """Sums grouped by `dimensions` (no WEEK/MONTH: those come from DAY)."""
    days = _whole_days(period)
    if days is None or any(d not in ROLLUP_COLUMNS for d in dimensions):
        return await _event_groups(workspace_id, period.start, period.end, dimensions)
    first, end = days
    groups = await rollup_groups(workspace_id, first, end, dimensions)
    if period.start < _midnight(first):
        groups += await _event_groups(workspace_id, period.start, _midnight(first), dimensions)
    if _midnight(end) < period.end:
        groups += await _event_groups(workspace_id, _midnight(end), period.end, dimensions)
    return groups
