"""GraphQL inputs and results of the usage mutations."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

import models
from api.core.error_types import (
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    UsageNotRecordedError,
    ValidationError,
)
from api.core.validation import column, limit
from api.usage import recording
from api.usage.types import (
    MAX_CAPABILITY,
    MODEL_ID,
    OPERATION,
    PROVIDER,
    REPORTED_MODEL,
    AiBudget,
    AiBudgetMode,
    AiBudgetReservation,
    AiModel,
    AiModelPrice,
    AiUsageEvent,
)

# --- inputs ---------------------------------------------------------------------------


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
