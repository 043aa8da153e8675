"""GraphQL types of usage analytics: summaries, model comparison, cost to serve."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import strawberry

from api.core.context import Info
from api.core.ids import encode_id
from api.core.nodes import load_node_named
from api.core.rows import from_row
from api.core.scalars import Long
from api.tenancy.types import User
from api.usage import analytics
from api.usage.types import (
    AI_STATE,
    CONTACT,
    CONVERSATION,
)
from models.enums import AiState

# --- analytics ------------------------------------------------------------------------------


strawberry.enum(
    analytics.Dimension,
    name="UsageDimension",
    description="What usageSummary groups by. DAY, WEEK (ISO, from Monday) and MONTH are "
    "UTC; AI_STATE is the conversation's current state.",
)
UsageDimension: TypeAlias = analytics.Dimension


@strawberry.input(description="A period of time: start inclusive, end exclusive, with time zones.")
class DateRangeInput:
    # start/end, not from/to: generated Python clients would have to rename `from`, a keyword
    start: datetime = strawberry.field(description="Start (inclusive).")
    end: datetime = strawberry.field(description="End (exclusive); at most 400 days after start.")


@strawberry.type(
    description="Sums of AI usage: requests, tokens by kind, exact cost. usageSummary and "
    "the analytics fill the sums; usageUpdated also fills cursor, periodStart and "
    "budgetUsedPercent (null elsewhere)."
)
class UsageTotals:
    requests: Long = strawberry.field(description="Recorded LLM calls.")
    unpriced_requests: Long = strawberry.field(
        description="Calls not priced yet (unknown model or price); they add no cost."
    )
    input_tokens: Long = strawberry.field(
        description="Uncached input tokens only: cache reads and writes are counted apart."
    )
    output_tokens: Long = strawberry.field(
        description="Visible output tokens (reasoning apart, in reasoningTokens)."
    )
    reasoning_tokens: Long = strawberry.field(description="Reasoning (thinking) tokens.")
    cache_read_tokens: Long = strawberry.field(description="Input tokens read from the cache.")
    cache_write_tokens: Long = strawberry.field(
        description="Input tokens written to the cache (all TTLs)."
    )
    total_tokens: Long = strawberry.field(
        description="All tokens: input of each kind, output and reasoning."
    )
    cost_usd: Decimal = strawberry.field(description="Exact cost in USD of the priced calls.")
    cache_hit_rate: Decimal | None = strawberry.field(
        description="cacheRead / (input + cacheRead + cacheWrite), a 0–1 rate rounded "
        "half-even to 4 decimal places; null without input tokens."
    )
    avg_latency_ms: float | None = strawberry.field(
        description="Mean latency (ms, rounded half-even to 0.1) of the calls that reported "
        "one; null if none did."
    )
    cursor: str | None = strawberry.field(
        default=None,
        description="usageUpdated: resume with `usageUpdated(after:)` from here (a cursor "
        "of the workspace's event stream, as inboxEvents'); null elsewhere.",
    )
    period_start: date | None = strawberry.field(
        default=None,
        description="usageUpdated: the first day of the calendar month (UTC) summed.",
    )
    budget_used_percent: Decimal | None = strawberry.field(
        default=None,
        description="usageUpdated: the month's budget spent, in percent (rounded half-even "
        "to 2 decimal places); "
        "null without a budget.",
    )

    @classmethod
    def from_totals(
        cls,
        totals: analytics.Totals,
        *,
        cursor: str | None = None,
        period_start: date | None = None,
        budget_used_percent: Decimal | None = None,
    ) -> "UsageTotals":
        return from_row(
            cls,
            totals,
            input_tokens=totals.uncached_input_tokens,
            cursor=cursor,
            period_start=period_start,
            budget_used_percent=budget_used_percent,
        )


@strawberry.type(
    description="One group of usageSummary: its keys (null for a dimension not grouped by, "
    "or for calls without one, e.g. no conversation) and its totals."
)
class UsageSummaryRow:
    day: date | None = strawberry.field(description="DAY: the UTC day.")
    week: date | None = strawberry.field(description="WEEK: the Monday starting the ISO week.")
    month: date | None = strawberry.field(description="MONTH: the first day of the month.")
    model: str | None = strawberry.field(description="MODEL: the catalog model id.")
    provider: str | None = strawberry.field(
        description="PROVIDER: e.g. anthropic (empty for unknown models)."
    )
    operation: str | None = strawberry.field(description="OPERATION: e.g. reply.")
    ai_type: str | None = strawberry.field(description="AI_TYPE: the bot role, e.g. MOUTH.")
    ai_state: AiState | None = strawberry.field(
        description="AI_STATE: the conversation's current AI state.", graphql_type=AI_STATE | None
    )
    user_id: strawberry.ID | None = strawberry.field(description="USER: the member's global ID.")
    conversation_id: strawberry.ID | None = strawberry.field(
        description="CONVERSATION: the conversation's global ID."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        description="CONTACT: the contact's global ID."
    )
    totals: UsageTotals = strawberry.field(description="The group's sums.")
    _keys: strawberry.Private[dict[analytics.Dimension, Any]]

    @strawberry.field(description="USER: the member.")
    async def user(self, info: Info) -> User | None:
        key = self._keys.get(analytics.Dimension.USER)
        if key is None:
            return None
        return await User.load(info, key)

    @strawberry.field(
        description="CONVERSATION: the conversation.", graphql_type=CONVERSATION | None
    )
    async def conversation(self, info: Info) -> Any:
        key = self._keys.get(analytics.Dimension.CONVERSATION)
        return await load_node_named(info, "Conversation", key)

    @strawberry.field(description="CONTACT: the contact.", graphql_type=CONTACT | None)
    async def contact(self, info: Info) -> Any:
        key = self._keys.get(analytics.Dimension.CONTACT)
        return await load_node_named(info, "Contact", key)

    @classmethod
    def from_row(cls, row: analytics.SummaryRow) -> "UsageSummaryRow":
        keys, D = row.keys, analytics.Dimension

        def gid(type_name: str, dimension: analytics.Dimension) -> strawberry.ID | None:
            key = keys.get(dimension)
            return strawberry.ID(encode_id(type_name, key)) if key is not None else None

        return cls(
            day=keys.get(D.DAY),
            week=keys.get(D.WEEK),
            month=keys.get(D.MONTH),
            model=keys.get(D.MODEL),
            provider=keys.get(D.PROVIDER),
            operation=keys.get(D.OPERATION),
            ai_type=keys.get(D.AI_TYPE),
            ai_state=keys.get(D.AI_STATE),
            user_id=gid("User", D.USER),
            conversation_id=gid("Conversation", D.CONVERSATION),
            contact_id=gid("Contact", D.CONTACT),
            totals=UsageTotals.from_totals(row.totals),
            _keys=keys,
        )


@strawberry.type(description="AI usage of a range, grouped, with the grand total.")
class UsageSummary:
    rows: list[UsageSummaryRow] = strawberry.field(
        description="The groups: by time first (then highest cost) or, with `top`, the "
        "costliest first. None without groupBy."
    )
    total: UsageTotals = strawberry.field(description="Everything in the range.")

    @classmethod
    def from_summary(cls, summary: analytics.Summary) -> "UsageSummary":
        return cls(
            rows=[UsageSummaryRow.from_row(row) for row in summary.rows],
            total=UsageTotals.from_totals(summary.total),
        )


@strawberry.type(description="One model's results over a range: the A/B view of models.")
class ModelComparisonRow:
    model: str = strawberry.field(description="The catalog model id.")
    provider: str = strawberry.field(description="Who serves it (empty for unknown models).")
    totals: UsageTotals = strawberry.field(description="Its usage: requests, tokens, cost.")
    conversations: int = strawberry.field(
        description="Conversations with usage of the model in the range."
    )
    messages: int = strawberry.field(
        description="Chat messages the model produced in the range (usage with a message)."
    )
    avg_response_time_ms: float | None = strawberry.field(
        description="Mean responseTimeMs of those messages (rounded half-even to 0.1 ms); "
        "null if none has one."
    )
    conversions: int = strawberry.field(
        description="Contacts whose lead status is now CONVERTED and who had usage of the "
        "model in the range (directly or through their conversations). A contact served "
        "by two models counts for each."
    )
    cost_per_conversion: Decimal | None = strawberry.field(
        description="costUsd / conversions (12 decimal places); null without conversions."
    )

    @classmethod
    def from_stats(cls, stats: analytics.ModelStats) -> "ModelComparisonRow":
        return from_row(cls, stats, totals=UsageTotals.from_totals(stats.totals))


@strawberry.type(
    description="AI cost per unit of business over a range. Counts are of what had AI "
    "usage in the range; lead statuses are the contacts' current ones."
)
class CostToServe:
    total: UsageTotals = strawberry.field(description="All usage in the range.")
    conversations: int = strawberry.field(description="Conversations with usage.")
    qualified_leads: int = strawberry.field(
        description="Contacts now QUALIFIED or CONVERTED with usage (directly or through "
        "their conversations)."
    )
    conversions: int = strawberry.field(description="Contacts now CONVERTED with usage.")
    cost_per_conversation: Decimal | None = strawberry.field(
        description="total.costUsd / conversations; null when 0."
    )
    cost_per_qualified_lead: Decimal | None = strawberry.field(
        description="total.costUsd / qualifiedLeads; null when 0."
    )
    cost_per_conversion: Decimal | None = strawberry.field(
        description="total.costUsd / conversions; null when 0."
    )

    @classmethod
    def from_result(cls, result: analytics.CostToServe) -> "CostToServe":
        return from_row(
            cls,
            result,
            total=UsageTotals.from_totals(result.totals),
            cost_per_conversation=result.per_conversation,
            cost_per_qualified_lead=result.per_qualified_lead,
            cost_per_conversion=result.per_conversion,
        )
