"""GraphQL types of AI usage: the model catalog, usage events, budgets, and the list
arguments; mutation inputs and results are in api.usage.payloads, analytics in
api.usage.analytics_types."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import strawberry
from strawberry import relay

import models
from api.core.context import Info
from api.core.ids import encode_id
from api.core.nodes import ModelNode, load_node_named, type_named
from api.core.rows import from_row
from api.core.scalars import Long
from api.core.validation import MAX_SEARCH, column, limit
from api.tenancy.types import User
from api.usage import budgets, catalog, rollups
from api.usage.loaders import (
    AiModelByIdLoader,
    AiModelPriceByIdLoader,
    AiUsageEventByIdLoader,
    AliasesByModelLoader,
    CurrentPriceByModelLoader,
)
from api.usage.pricing import PriceTier
from models.usage import GLOBAL_SCOPE, BudgetMode, ReservationStatus

# The inbox stands on usage (a sent AI message records its usage in the same transaction),
# so usage shows the inbox's objects by their GraphQL names and never imports the inbox.
INBOX_TYPES = "api.inbox.types"
CONVERSATION = type_named("Conversation", INBOX_TYPES)
CONTACT = type_named("Contact", INBOX_TYPES)
CHAT_MESSAGE = type_named("ChatMessage", INBOX_TYPES)
AI_STATE = type_named("AiState", INBOX_TYPES)

# The GraphQL enums are the models' enums, described for the schema; the names here are
# type aliases (not variables) so that fields annotated with them type-check.
strawberry.enum(
    BudgetMode,
    description="SOFT: record every call and announce 50/80/100 %; HARD: refuse calls "
    "that would overshoot (reserve first with reserveAiBudget).",
)
strawberry.enum(
    ReservationStatus,
    description="Where a budget reservation stands.",
)
AiBudgetMode: TypeAlias = BudgetMode
AiBudgetReservationStatus: TypeAlias = ReservationStatus


@strawberry.type(
    description="Long-context prices: in force for a call whose prompt (every input token: "
    "uncached, cache reads and cache writes) has more than aboveTokens tokens; then every "
    "token of the call is billed at these prices (a null price: the base price of that kind)."
)
class AiModelPriceTier:
    above_tokens: int = strawberry.field(description="The prompt size it applies above.")
    input_per_mtok: Decimal | None = strawberry.field(description="Uncached input tokens.")
    output_per_mtok: Decimal | None = strawberry.field(description="Output tokens.")
    cache_read_per_mtok: Decimal | None = strawberry.field(description="Cache reads.")
    cache_write_per_mtok: Decimal | None = strawberry.field(description="Cache writes.")
    cache_write_1h_per_mtok: Decimal | None = strawberry.field(description="1-hour cache writes.")
    reasoning_per_mtok: Decimal | None = strawberry.field(description="Reasoning tokens.")

    @classmethod
    def from_tier(cls, tier: PriceTier) -> "AiModelPriceTier":
        return from_row(cls, tier, **tier.prices())


@strawberry.type(description="One version of a model's prices, in USD per million tokens.")
class AiModelPrice:
    id: strawberry.ID = strawberry.field(description="Global ID of the price version.")
    effective_from: datetime = strawberry.field(
        description="In force for calls from this time until the next version."
    )
    input_per_mtok: Decimal = strawberry.field(description="Uncached input tokens.")
    output_per_mtok: Decimal = strawberry.field(description="Output tokens.")
    cache_read_per_mtok: Decimal | None = strawberry.field(
        description="Tokens read from the prompt cache (null: billed as input)."
    )
    cache_write_per_mtok: Decimal | None = strawberry.field(
        description="Tokens written to the (5-minute) cache (null: billed as input)."
    )
    cache_write_1h_per_mtok: Decimal | None = strawberry.field(
        description="Tokens written to the 1-hour cache (null: the cache-write price)."
    )
    reasoning_per_mtok: Decimal | None = strawberry.field(
        description="Reasoning (thinking) tokens (null: the output price)."
    )
    tiers: list[AiModelPriceTier] = strawberry.field(
        description="Long-context tiers by ascending threshold (empty: one price for all)."
    )
    workspace_override: bool = strawberry.field(
        description="True for your workspace's negotiated rate, false for the list price."
    )
    source: str = strawberry.field(description="Where it came from: default, litellm or admin.")

    @classmethod
    def from_model(cls, row: models.AiModelPrice) -> "AiModelPrice":
        return from_row(
            cls,
            row,
            id=strawberry.ID(encode_id("AiModelPrice", row.id)),
            tiers=[AiModelPriceTier.from_tier(t) for t in catalog.tiers_of(row.tiers or [])],
            workspace_override=row.workspace_id is not None,
        )


@strawberry.type(description="An LLM in the price catalog.")
class AiModel(ModelNode):
    loader_class = AiModelByIdLoader
    id: relay.NodeID[str]
    model_id: str = strawberry.field(
        description="The id usage reports name, e.g. `claude-haiku-4-5-20251001`."
    )
    provider: str = strawberry.field(description="Who serves it, e.g. anthropic, openai.")
    display_name: str = strawberry.field(description="A readable name.")
    context_window: int | None = strawberry.field(description="Most input tokens, if known.")
    max_output_tokens: int | None = strawberry.field(description="Most output tokens, if known.")
    capabilities: list[str] = strawberry.field(
        description="What it supports, e.g. vision, prompt_caching, function_calling."
    )
    enabled: bool = strawberry.field(description="Offered to bot workers.")
    workspace_owned: bool = strawberry.field(
        description="Your workspace's own model (addAiModel), not the shared catalog's."
    )
    _key: strawberry.Private[Any]

    @strawberry.field(description="Other names usage reports may give it.")
    async def aliases(self, info: Info) -> list[str]:
        return list(await info.context.loader(AliasesByModelLoader).load(self._key) or [])

    @strawberry.field(description="The price in force now for your workspace (or null).")
    async def price(self, info: Info) -> AiModelPrice | None:
        row = await info.context.loader(CurrentPriceByModelLoader).load(self._key)
        return AiModelPrice.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.AiModel) -> "AiModel":
        return from_row(
            cls,
            row,
            id=str(row.id),
            model_id=row.key,
            capabilities=list(row.capabilities),
            workspace_owned=row.scope != GLOBAL_SCOPE,
            _key=row.id,
        )


@strawberry.type(description="One metered LLM call, with its exact cost.")
class AiUsageEvent(ModelNode):
    loader_class = AiUsageEventByIdLoader
    id: relay.NodeID[str]
    model: str = strawberry.field(description="The model name as reported.")
    model_id: str = strawberry.field(
        description="The catalog model it resolved to (the reported name while unknown)."
    )
    priced: bool = strawberry.field(
        description="False while the model or its price is unknown (costUsd is then null)."
    )
    operation: str = strawberry.field(description="What the call was for, e.g. reply.")
    ai_type: str | None = strawberry.field(description="The bot role, e.g. MOUTH, BRAIN.")
    uncached_input_tokens: int = strawberry.field(description="Input tokens not from cache.")
    cache_read_tokens: int = strawberry.field(description="Input tokens read from the cache.")
    cache_write_tokens: int = strawberry.field(
        description="Input tokens written to the cache (all TTLs)."
    )
    cache_write_1h_tokens: int = strawberry.field(
        description="The part of cacheWriteTokens written with a 1-hour TTL."
    )
    output_tokens: int = strawberry.field(
        description="Visible output tokens (reasoning apart, in reasoningTokens)."
    )
    reasoning_tokens: int = strawberry.field(
        description="Reasoning (thinking) tokens, billed at the reasoning or output price."
    )
    total_tokens: Long = strawberry.field(
        description="All tokens: input of each kind, output and reasoning."
    )
    input_tokens_include_cache: bool = strawberry.field(
        description="The convention of the report: true when its inputTokens included the "
        "cached tokens (OpenAI style)."
    )
    output_tokens_include_reasoning: bool = strawberry.field(
        description="The convention of the report: true when its outputTokens included the "
        "reasoning tokens (OpenAI, Anthropic), false when beside it (Gemini)."
    )
    price_tier_above_tokens: int | None = strawberry.field(
        description="The long-context tier it was priced at (its threshold; null: the base "
        "prices, or unpriced)."
    )
    over_budget: bool = strawberry.field(
        description="Recorded past the workspace's HARD monthly budget (the call was made "
        "without a covering reservation): later reservations fail until the budget is "
        "raised or the month ends."
    )
    cost_usd: Decimal | None = strawberry.field(
        description="Exact cost in USD (12 decimal places); null while unpriced."
    )
    cache_hit_rate: Decimal | None = strawberry.field(
        description="cacheRead / (uncached + cacheRead + cacheWrite), a 0–1 rate rounded "
        "half-even to 4 decimal places; null without input."
    )
    latency_ms: int | None = strawberry.field(description="How long the call took.")
    request_id: str | None = strawberry.field(description="The idempotency key it came with.")
    occurred_at: datetime = strawberry.field(description="When the call happened.")
    recorded_at: datetime = strawberry.field(description="When Parley recorded it.")
    reservation_id: strawberry.ID | None = strawberry.field(
        description="The budget reservation it settled, if any."
    )
    _model_pk: strawberry.Private[Any]
    _price_id: strawberry.Private[Any]
    _conversation_id: strawberry.Private[Any]
    _contact_id: strawberry.Private[Any]
    _message_id: strawberry.Private[Any]
    _user_id: strawberry.Private[Any]

    @strawberry.field(description="The catalog model, once known.")
    async def ai_model(self, info: Info) -> AiModel | None:
        return await AiModel.load(info, self._model_pk)

    @strawberry.field(description="The price version it was priced with (null while unpriced).")
    async def price_version(self, info: Info) -> AiModelPrice | None:
        if self._price_id is None:
            return None
        row = await info.context.loader(AiModelPriceByIdLoader).load(self._price_id)
        return AiModelPrice.from_model(row) if row else None

    @strawberry.field(
        description="The conversation it was for, if any.", graphql_type=CONVERSATION | None
    )
    async def conversation(self, info: Info) -> Any:
        return await load_node_named(info, "Conversation", self._conversation_id)

    @strawberry.field(description="The contact it was for, if any.", graphql_type=CONTACT | None)
    async def contact(self, info: Info) -> Any:
        return await load_node_named(info, "Contact", self._contact_id)

    @strawberry.field(
        description="The chat message it produced, if any.", graphql_type=CHAT_MESSAGE | None
    )
    async def chat_message(self, info: Info) -> Any:
        return await load_node_named(info, "ChatMessage", self._message_id)

    @strawberry.field(description="The member it was made for, if any.")
    async def user(self, info: Info) -> User | None:
        return await User.load(info, self._user_id)

    @classmethod
    def from_model(cls, row: models.AiUsageEvent) -> "AiUsageEvent":
        return from_row(
            cls,
            row,
            id=str(row.id),
            model=row.reported_model,
            model_id=row.model_key,
            priced=row.cost_usd is not None,
            ai_type=row.ai_type or None,
            price_tier_above_tokens=row.price_tier_above,
            cache_hit_rate=rollups.hit_rate(row),
            recorded_at=row.created_at,
            reservation_id=strawberry.ID(encode_id("AiBudgetReservation", row.reservation_id))
            if row.reservation_id
            else None,
            _model_pk=row.model_id,
            _price_id=row.price_id,
            _conversation_id=row.conversation_id,
            _contact_id=row.contact_id,
            _message_id=row.message_id,
            _user_id=row.user_id,
        )


@strawberry.type(description="This month's AI budget of the workspace (UTC months).")
class AiBudget:
    limit_usd: Decimal | None = strawberry.field(description="The monthly budget; null: none.")
    mode: AiBudgetMode | None = strawberry.field(description="SOFT or HARD; null without a budget.")
    spent_usd: Decimal = strawberry.field(description="Recorded cost this month.")
    reserved_usd: Decimal = strawberry.field(description="Held by unsettled reservations.")
    remaining_usd: Decimal | None = strawberry.field(
        description="limit - spent - reserved (never below 0); null without a budget."
    )
    period_start: date = strawberry.field(description="The first day of the month.")
    period_end: date = strawberry.field(description="The first day of the next month.")

    @classmethod
    def from_state(cls, state: budgets.BudgetState) -> "AiBudget":
        return from_row(cls, state)


@strawberry.type(description="Worst-case cost held against the budget for one call.")
class AiBudgetReservation:
    id: strawberry.ID = strawberry.field(
        description="Pass it as reservationId when recording the call."
    )
    model_id: str = strawberry.field(description="The catalog model reserved for.")
    amount_usd: Decimal = strawberry.field(description="The amount held.")
    status: AiBudgetReservationStatus = strawberry.field(
        description="Active until settled, released or expired."
    )
    expires_at: datetime = strawberry.field(description="When an unsettled hold is released.")

    @classmethod
    def from_model(cls, row: models.AiBudgetReservation) -> "AiBudgetReservation":
        return from_row(
            cls,
            row,
            id=strawberry.ID(encode_id("AiBudgetReservation", row.id)),
            model_id=row.model_key,
            amount_usd=budgets.from_pico(row.amount_pico),
        )


# --- list arguments ------------------------------------------------------------------------------


# Bounds of text inputs, from the columns they are stored in (api.core.validation).
MODEL_ID = column(models.AiModel, "key")
PROVIDER = column(models.AiModel, "provider")
REPORTED_MODEL = column(models.AiUsageEvent, "reported_model")
OPERATION = column(models.AiUsageEvent, "operation")
MAX_CAPABILITY = 64


@strawberry.input(description="Narrow the model catalog.")
class AiModelFilter:
    search: str | None = strawberry.field(
        default=None,
        description="The id or display name contains this.",
        metadata=limit(MAX_SEARCH),
    )
    provider: str | None = strawberry.field(
        default=None, description="Only this provider.", metadata=PROVIDER
    )


@strawberry.input(description="Narrow the list of usage events (all when omitted).")
class AiUsageEventFilter:
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only calls for this conversation."
    )
    model: str | None = strawberry.field(
        default=None,
        description="Only calls of this model (its id or an alias).",
        metadata=REPORTED_MODEL,
    )
    operation: str | None = strawberry.field(
        default=None, description="Only this operation.", metadata=OPERATION
    )
