"""GraphQL types of AI usage: the model catalog, usage events, budgets; inputs and results."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry import relay

import models
from api.core.context import Info
from api.core.error_types import (
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    UsageNotRecordedError,
    ValidationError,
)
from api.core.ids import encode_id
from api.core.nodes import ModelNode, load_node_named, type_named
from api.core.rows import from_row
from api.core.scalars import Long
from api.core.validation import MAX_SEARCH, column, limit
from api.tenancy.types import User
from api.usage import analytics, budgets, catalog, recording, rollups
from api.usage.loaders import (
    AiModelByIdLoader,
    AiModelPriceByIdLoader,
    AiUsageEventByIdLoader,
    AliasesByModelLoader,
    CurrentPriceByModelLoader,
)
from api.usage.pricing import PriceTier
from models.enums import AiState
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
        description="cacheRead / (uncached + cacheRead + cacheWrite); null without input."
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


# --- inputs ------------------------------------------------------------------------------


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


@strawberry.input(description="One LLM call as a bot worker reports it.")
class RecordAiUsageInput:
    model: str = strawberry.field(
        description="The model's id or one of its aliases.", metadata=REPORTED_MODEL
    )
    operation: str = strawberry.field(
        description="What it was for: reply, lead_scoring …", metadata=OPERATION
    )
    input_tokens_include_cache: bool = strawberry.field(
        description="True when inputTokens includes the cached tokens (OpenAI style); false "
        "when cache reads and writes are reported beside it (Anthropic style)."
    )
    ai_type: str | None = strawberry.field(
        default=None,
        description="The bot role: MOUTH …",
        metadata=column(models.AiUsageEvent, "ai_type"),
    )
    input_tokens: int = strawberry.field(
        default=0, description="Input tokens as reported (each count at most 100,000,000)."
    )
    output_tokens: int = strawberry.field(default=0, description="Output tokens.")
    cache_read_tokens: int = strawberry.field(default=0, description="Cache-read tokens.")
    cache_write_tokens: int = strawberry.field(default=0, description="Cache-write tokens.")
    cache_write_1h_tokens: int = strawberry.field(
        default=0, description="The part of cacheWriteTokens written with a 1-hour TTL."
    )
    reasoning_tokens: int = strawberry.field(
        default=0,
        description="Reasoning (thinking) tokens: OpenAI reasoning_tokens, Gemini "
        "thoughtsTokenCount, Anthropic thinking.",
    )
    output_tokens_include_reasoning: bool = strawberry.field(
        default=True,
        description="True when outputTokens includes reasoningTokens (OpenAI "
        "completion_tokens, Anthropic output_tokens); false when they are reported beside "
        "it (Gemini candidatesTokenCount).",
    )
    latency_ms: int | None = strawberry.field(default=None, description="How long it took.")
    request_id: str | None = strawberry.field(
        default=None,
        description="Idempotency key: the same id with the same numbers is recorded once; "
        "with different numbers it is a CONFLICT.",
        metadata=column(models.AiUsageEvent, "request_id"),
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (default now)."
    )
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The conversation it was for."
    )
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The chat message it produced."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="The contact it was for (default: the conversation's)."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member it was made for."
    )
    reservation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The budget reservation this call settles."
    )


@strawberry.input(description="Many LLM calls at once (at most 1000).")
class RecordAiUsageBatchInput:
    events: list[RecordAiUsageInput] = strawberry.field(description="The calls, in order.")


@strawberry.input(description="Hold the worst-case cost of a call before making it.")
class ReserveAiBudgetInput:
    model: str = strawberry.field(
        description="The model's id or one of its aliases.",
        metadata=column(models.AiBudgetReservation, "model_key"),
    )
    max_input_tokens: int = strawberry.field(description="The most input tokens it can use.")
    max_output_tokens: int = strawberry.field(description="The most output tokens it can use.")
    ttl_seconds: int | None = strawberry.field(
        default=None, description="Released unless settled within this (default 600, max 3600)."
    )


@strawberry.input(description="Give back a reservation whose call was not made.")
class ReleaseAiBudgetInput:
    reservation_id: strawberry.ID = strawberry.field(description="The reservation.")


@strawberry.input(description="Set the workspace's monthly AI budget.")
class SetAiBudgetInput:
    amount_usd: Decimal = strawberry.field(description="USD a calendar month (UTC).")
    mode: AiBudgetMode = strawberry.field(
        description="SOFT (announce thresholds) or HARD (refuse overshoot)."
    )


@strawberry.input(description="Prices in USD per million tokens.")
class AiModelPricesInput:
    input_per_mtok: Decimal = strawberry.field(description="Uncached input tokens.")
    output_per_mtok: Decimal = strawberry.field(description="Output tokens.")
    cache_read_per_mtok: Decimal | None = strawberry.field(
        default=None, description="Cache reads (null: the input price)."
    )
    cache_write_per_mtok: Decimal | None = strawberry.field(
        default=None, description="Cache writes (null: the input price)."
    )
    cache_write_1h_per_mtok: Decimal | None = strawberry.field(
        default=None, description="1-hour cache writes (null: the cache-write price)."
    )
    reasoning_per_mtok: Decimal | None = strawberry.field(
        default=None, description="Reasoning tokens (null: the output price)."
    )
    tiers: list["AiModelPriceTierInput"] = strawberry.field(
        default_factory=list,
        description="Long-context tiers (prompt above a threshold: other prices).",
    )


@strawberry.input(description="Prices for prompts above a threshold (null: the base price).")
class AiModelPriceTierInput:
    above_tokens: int = strawberry.field(description="Prompts with more input tokens than this.")
    input_per_mtok: Decimal | None = strawberry.field(default=None, description="Input.")
    output_per_mtok: Decimal | None = strawberry.field(default=None, description="Output.")
    cache_read_per_mtok: Decimal | None = strawberry.field(default=None, description="Cache reads.")
    cache_write_per_mtok: Decimal | None = strawberry.field(
        default=None, description="Cache writes."
    )
    cache_write_1h_per_mtok: Decimal | None = strawberry.field(
        default=None, description="1-hour cache writes."
    )
    reasoning_per_mtok: Decimal | None = strawberry.field(
        default=None, description="Reasoning tokens."
    )


@strawberry.input(description="Add your workspace's own model (self-hosted, fine-tuned …).")
class AddAiModelInput:
    model_id: str = strawberry.field(
        description="The id usage reports will name.", metadata=MODEL_ID
    )
    provider: str = strawberry.field(description="Who serves it.", metadata=PROVIDER)
    prices: AiModelPricesInput = strawberry.field(description="Its prices.")
    display_name: str | None = strawberry.field(
        default=None,
        description="A readable name.",
        metadata=column(models.AiModel, "display_name"),
    )
    context_window: int | None = strawberry.field(default=None, description="Most input tokens.")
    max_output_tokens: int | None = strawberry.field(
        default=None, description="Most output tokens."
    )
    capabilities: list[str] = strawberry.field(
        default_factory=list, description="Features.", metadata=limit(MAX_CAPABILITY)
    )
    aliases: list[str] = strawberry.field(
        default_factory=list,
        description="Other names.",
        metadata=column(models.AiModelAlias, "alias"),
    )
    effective_from: datetime | None = strawberry.field(
        default=None, description="Prices in force from (default: for all usage, past too)."
    )


@strawberry.input(description="A new price version for your workspace (a negotiated rate).")
class SetAiModelPriceInput:
    model_id: str = strawberry.field(
        description="The model's id or one of its aliases.", metadata=MODEL_ID
    )
    prices: AiModelPricesInput = strawberry.field(description="The prices.")
    effective_from: datetime | None = strawberry.field(
        default=None, description="In force from (default now)."
    )


# --- payloads and results -------------------------------------------------------------------


@strawberry.enum(description="Why a recorded call has no cost yet.")
class UnpricedReason(Enum):
    UNKNOWN_MODEL = "UNKNOWN_MODEL"
    NO_PRICE = "NO_PRICE"


@strawberry.type(description="The recorded call.")
class RecordAiUsagePayload:
    usage: AiUsageEvent = strawberry.field(description="The usage event.")
    created: bool = strawberry.field(
        description="False when its requestId was recorded before (the first record)."
    )
    unpriced_reason: UnpricedReason | None = strawberry.field(
        default=None,
        description="Why it is unpriced: UNKNOWN_MODEL (no model of the catalog or your "
        "workspace has this id or alias: see suggestedModels) or NO_PRICE (the model has "
        "no price in force at occurredAt); null when priced. It is priced later by "
        "`parley pricing reprice` or addAiModel / setAiModelPrice.",
    )
    suggested_models: list[str] = strawberry.field(
        default_factory=list,
        description="UNKNOWN_MODEL: the closest known model ids and aliases, best first.",
    )

    @classmethod
    def from_recorded(cls, recorded: recording.Recorded) -> "RecordAiUsagePayload":
        priced = recorded.priced
        reason = priced.unpriced_reason if priced and recorded.created else None
        return cls(
            usage=AiUsageEvent.from_model(recorded.event),
            created=recorded.created,
            unpriced_reason=UnpricedReason(reason) if reason else None,
            suggested_models=list(priced.suggestions) if priced and reason else [],
        )


RecordAiUsageResult = Annotated[
    RecordAiUsagePayload
    | ValidationError
    | NotFoundError
    | ConflictError
    | QuotaExceededError
    | UsageNotRecordedError,
    strawberry.union("RecordAiUsageResult", description="The usage event, or why not."),
]


@strawberry.type(description="One result per reported call, in input order.")
class RecordAiUsageBatchPayload:
    results: list[RecordAiUsageResult] = strawberry.field(
        description="Each call's usage event or error (calls are independent)."
    )
    recorded: int = strawberry.field(description="How many calls were recorded (or found).")
    failed: int = strawberry.field(description="How many calls failed.")


RecordAiUsageBatchResult = Annotated[
    RecordAiUsageBatchPayload | ValidationError,
    strawberry.union("RecordAiUsageBatchResult", description="Per-call results, or why not."),
]


@strawberry.type(description="The reservation made.")
class ReserveAiBudgetPayload:
    reservation: AiBudgetReservation = strawberry.field(description="The hold.")


ReserveAiBudgetResult = Annotated[
    ReserveAiBudgetPayload | ValidationError | NotFoundError | QuotaExceededError,
    strawberry.union("ReserveAiBudgetResult", description="The reservation, or why not."),
]


@strawberry.type(description="The reservation released.")
class ReleaseAiBudgetPayload:
    reservation: AiBudgetReservation = strawberry.field(description="The released hold.")


ReleaseAiBudgetResult = Annotated[
    ReleaseAiBudgetPayload | ValidationError | NotFoundError | ConflictError,
    strawberry.union("ReleaseAiBudgetResult", description="The reservation, or why not."),
]


@strawberry.type(description="The budget set.")
class SetAiBudgetPayload:
    budget: AiBudget = strawberry.field(description="This month's budget.")


SetAiBudgetResult = Annotated[
    SetAiBudgetPayload | ValidationError,
    strawberry.union("SetAiBudgetResult", description="The budget, or why not."),
]


@strawberry.type(description="The model added.")
class AddAiModelPayload:
    ai_model: AiModel = strawberry.field(description="The new model.")
    repriced_events: int = strawberry.field(
        description="Unpriced usage events of the workspace priced by it."
    )


AddAiModelResult = Annotated[
    AddAiModelPayload | ValidationError | ConflictError,
    strawberry.union("AddAiModelResult", description="The model, or why not."),
]


@strawberry.type(description="The price version added.")
class SetAiModelPricePayload:
    ai_model: AiModel = strawberry.field(description="The model.")
    price: AiModelPrice = strawberry.field(description="The new price version.")
    repriced_events: int = strawberry.field(
        description="Unpriced usage events of the workspace priced by it."
    )


SetAiModelPriceResult = Annotated[
    SetAiModelPricePayload | ValidationError | NotFoundError,
    strawberry.union("SetAiModelPriceResult", description="The price, or why not."),
]

# --- analytics ------------------------------------------------------------------------------


strawberry.enum(
    analytics.Dimension,
    name="UsageDimension",
    description="What usageSummary groups by. DAY, WEEK (ISO, from Monday) and MONTH are "
    "UTC; AI_STATE is the conversation's current state.",
)
UsageDimension: TypeAlias = analytics.Dimension


@strawberry.input(description="A time range: from inclusive, to exclusive, with time zones.")
class DateRangeInput:
    from_: datetime = strawberry.field(name="from", description="Start (inclusive).")
    to: datetime = strawberry.field(description="End (exclusive); at most 400 days after from.")


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
        description="cacheRead / (input + cacheRead + cacheWrite); null without input tokens."
    )
    avg_latency_ms: float | None = strawberry.field(
        description="Mean latency of the calls that reported one; null if none did."
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
        description="usageUpdated: the month's budget spent, in percent (2 decimal places); "
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
        description="Mean responseTimeMs of those messages; null if none has one."
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
