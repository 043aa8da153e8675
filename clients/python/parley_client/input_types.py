from datetime import datetime
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import Field, PlainSerializer

from .base_model import BaseModel
from .enums import (
    AiState,
    BudgetMode,
    Channel,
    ConversationStatus,
    InboxEventType,
    LeadStatus,
    LeadTemperature,
    MessageRole,
    Priority,
    Role,
)
from .parley_client_scalars import (
    JSONValue,
    serialize_datetime,
    serialize_decimal,
)


class AcceptInvitationInput(BaseModel):
    """Accept an invitation to your e-mail."""

    invitation_id: str = Field(alias="invitationId")
    "The invitation to accept."


class AddAiModelInput(BaseModel):
    """Add your workspace's own model (self-hosted, fine-tuned …)."""

    model_id: str = Field(alias="modelId")
    "The id usage reports will name."
    provider: str
    "Who serves it."
    prices: "AiModelPricesInput"
    "Its prices."
    display_name: Optional[str] = Field(alias="displayName", default=None)
    "A readable name."
    context_window: Optional[int] = Field(alias="contextWindow", default=None)
    "Most input tokens."
    max_output_tokens: Optional[int] = Field(alias="maxOutputTokens", default=None)
    "Most output tokens."
    capabilities: list[str] = Field(default_factory=lambda: [])
    "Features."
    aliases: list[str] = Field(default_factory=lambda: [])
    "Other names."
    effective_from: Optional[
        Annotated[datetime, PlainSerializer(serialize_datetime)]
    ] = Field(alias="effectiveFrom", default=None)
    "Prices in force from (default: for all usage, past too)."


class AiModelFilter(BaseModel):
    """Narrow the model catalog."""

    search: Optional[str] = None
    "The id or display name contains this."
    provider: Optional[str] = None
    "Only this provider."


class AiModelPriceTierInput(BaseModel):
    """Prices for prompts above a threshold (null: the base price)."""

    above_tokens: int = Field(alias="aboveTokens")
    "Prompts with more input tokens than this."
    input_per_mtok: Optional[Annotated[Decimal, PlainSerializer(serialize_decimal)]] = (
        Field(alias="inputPerMtok", default=None)
    )
    "Input."
    output_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="outputPerMtok", default=None)
    "Output."
    cache_read_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheReadPerMtok", default=None)
    "Cache reads."
    cache_write_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheWritePerMtok", default=None)
    "Cache writes."
    cache_write_1_h_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheWrite1hPerMtok", default=None)
    "1-hour cache writes."
    reasoning_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="reasoningPerMtok", default=None)
    "Reasoning tokens."


class AiModelPricesInput(BaseModel):
    """Prices in USD per million tokens."""

    input_per_mtok: Annotated[Decimal, PlainSerializer(serialize_decimal)] = Field(
        alias="inputPerMtok"
    )
    "Uncached input tokens."
    output_per_mtok: Annotated[Decimal, PlainSerializer(serialize_decimal)] = Field(
        alias="outputPerMtok"
    )
    "Output tokens."
    cache_read_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheReadPerMtok", default=None)
    "Cache reads (null: the input price)."
    cache_write_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheWritePerMtok", default=None)
    "Cache writes (null: the input price)."
    cache_write_1_h_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="cacheWrite1hPerMtok", default=None)
    "1-hour cache writes (null: the cache-write price)."
    reasoning_per_mtok: Optional[
        Annotated[Decimal, PlainSerializer(serialize_decimal)]
    ] = Field(alias="reasoningPerMtok", default=None)
    "Reasoning tokens (null: the output price)."
    tiers: list["AiModelPriceTierInput"] = Field(default_factory=lambda: [])
    "Long-context tiers (prompt above a threshold: other prices)."


class AiUsageEventFilter(BaseModel):
    """Narrow the list of usage events (all when omitted)."""

    conversation_id: Optional[str] = Field(alias="conversationId", default=None)
    "Only calls for this conversation."
    model: Optional[str] = None
    "Only calls of this model (its id or an alias)."
    operation: Optional[str] = None
    "Only this operation."


class ArchiveConversationInput(BaseModel):
    """Archive or unarchive a conversation."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    archived: bool = True
    "False unarchives."


class AssignConversationInput(BaseModel):
    """Assign a conversation to a member, or unassign it."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    assignee_id: Optional[str] = Field(alias="assigneeId", default=None)
    "The member (a User id); null unassigns."


class ContactFilter(BaseModel):
    """Narrow the contact list."""

    lead_status: Optional[LeadStatus] = Field(alias="leadStatus", default=None)
    "Only this lead status."
    search: Optional[str] = None
    "Name, e-mail or phone contains this."


class ConversationFilter(BaseModel):
    """Narrow the conversation list; all given conditions apply."""

    status: Optional[ConversationStatus] = None
    "Only this status."
    assignee_id: Optional[str] = Field(alias="assigneeId", default=None)
    "Only those assigned to this user."
    unassigned: bool = False
    "Only unassigned ones."
    channel: Optional[Channel] = None
    "Only this channel."
    ai_state: Optional[AiState] = Field(alias="aiState", default=None)
    "Only this AI state."
    label: Optional[str] = None
    "Only with this label."
    contact_id: Optional[str] = Field(alias="contactId", default=None)
    "Only with this contact."
    archived: Optional[bool] = False
    "Archived ones (true), live ones (false, default), or both."
    search: Optional[str] = None
    "Title or contact name contains this."


class CreateApiKeyInput(BaseModel):
    """A new API key."""

    name: str
    "What the key is for."
    role: Role = Role.AGENT
    "What the key may do (at most your own role)."


class CreateContactInput(BaseModel):
    """A new contact."""

    name: str
    "Display name."
    phone: Optional[str] = None
    "Phone, E.164 (+62…)."
    email: Optional[str] = None
    "E-mail."
    handles: Optional[JSONValue] = None
    "Channel handles."
    lead_status: Optional[LeadStatus] = Field(alias="leadStatus", default=None)
    "Lead status (NEW if not given)."
    lead_score: Optional[int] = Field(alias="leadScore", default=None)
    "Score 0–100."
    lead_temperature: Optional[LeadTemperature] = Field(
        alias="leadTemperature", default=None
    )
    "Temperature."
    attributes: Optional[JSONValue] = None
    "Custom attributes."
    labels: Optional[list[str]] = None
    "Labels."


class DateRangeInput(BaseModel):
    """A period of time: start inclusive, end exclusive, with time zones."""

    start: Annotated[datetime, PlainSerializer(serialize_datetime)]
    "Start (inclusive)."
    end: Annotated[datetime, PlainSerializer(serialize_datetime)]
    "End (exclusive); at most 400 days after start."


class DeclineInvitationInput(BaseModel):
    """Turn down an invitation to your e-mail."""

    invitation_id: str = Field(alias="invitationId")
    "The invitation to decline."


class HandoffConversationInput(BaseModel):
    """Hand a conversation over from the bot to humans."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    reason: str
    "Why the bot hands over."
    assignee_id: Optional[str] = Field(alias="assigneeId", default=None)
    "A member to assign it to."


class InboxEventFilter(BaseModel):
    """Which inbox events to receive (all when omitted)."""

    types: Optional[list[InboxEventType]] = None
    "Only these kinds of change."
    conversation_id: Optional[str] = Field(alias="conversationId", default=None)
    "Only changes of this conversation."


class InviteMemberInput(BaseModel):
    """Invite an e-mail address to the workspace."""

    email: str
    "The e-mail to invite."
    role: Role = Role.AGENT
    "The role it grants (at most your own)."


class LabelConversationInput(BaseModel):
    """Add and remove labels."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    add: list[str] = Field(default_factory=lambda: [])
    "Labels to add."
    remove: list[str] = Field(default_factory=lambda: [])
    "Labels to remove."


class LoginInput(BaseModel):
    """Sign in with e-mail and password."""

    email: str
    "The user's e-mail."
    password: str
    "The user's password."
    workspace_id: Optional[str] = Field(alias="workspaceId", default=None)
    "Which workspace, for users of several."


class MessageUsageInput(BaseModel):
    """Token usage of an AI message, recorded as an AI usage event with it (priced by Parley; a usage without a model is recorded as model `unknown`)."""

    model: Optional[str] = None
    "The LLM's id."
    input_tokens: int = Field(alias="inputTokens", default=0)
    "Input tokens as reported."
    output_tokens: int = Field(alias="outputTokens", default=0)
    "Output tokens."
    cache_read_tokens: int = Field(alias="cacheReadTokens", default=0)
    "Cache-read tokens."
    cache_write_tokens: int = Field(alias="cacheWriteTokens", default=0)
    "Cache-write tokens."
    reasoning_tokens: int = Field(alias="reasoningTokens", default=0)
    "Reasoning (thinking) tokens (see RecordAiUsageInput)."
    output_tokens_include_reasoning: bool = Field(
        alias="outputTokensIncludeReasoning", default=True
    )
    "True when outputTokens includes reasoningTokens (OpenAI, Anthropic); false when beside it (Gemini)."
    input_tokens_include_cache: bool = Field(alias="inputTokensIncludeCache")
    "Required, as in RecordAiUsageInput (providers disagree): true when inputTokens includes the cached tokens (OpenAI style); false when cache reads and writes are reported beside it (Anthropic style)."
    latency_ms: Optional[int] = Field(alias="latencyMs", default=None)
    "How long the call took, in milliseconds (the usage event's latencyMs; ChatMessage.responseTimeMs)."
    cache_write_1_h_tokens: int = Field(alias="cacheWrite1hTokens", default=0)
    "The part of cacheWriteTokens written with a 1-hour TTL."
    operation: str = "reply"
    "What the call was for (the usage event's operation)."
    ai_type: Optional[str] = Field(alias="aiType", default=None)
    "The bot role: MOUTH …"
    request_id: Optional[str] = Field(alias="requestId", default=None)
    "Idempotency key: sending again with it returns the first message."
    occurred_at: Optional[Annotated[datetime, PlainSerializer(serialize_datetime)]] = (
        Field(alias="occurredAt", default=None)
    )
    "When the call happened (default now)."
    reservation_id: Optional[str] = Field(alias="reservationId", default=None)
    "The budget reservation this call settles."


class RecordAiUsageBatchInput(BaseModel):
    """Many LLM calls at once (at most 1000)."""

    events: list["RecordAiUsageInput"]
    "The calls, in order."


class RecordAiUsageInput(BaseModel):
    """One LLM call as a bot worker reports it."""

    model: str
    "The model's id or one of its aliases."
    operation: str
    "What it was for: reply, lead_scoring …"
    input_tokens_include_cache: bool = Field(alias="inputTokensIncludeCache")
    "True when inputTokens includes the cached tokens (OpenAI style); false when cache reads and writes are reported beside it (Anthropic style)."
    ai_type: Optional[str] = Field(alias="aiType", default=None)
    "The bot role: MOUTH …"
    input_tokens: int = Field(alias="inputTokens", default=0)
    "Input tokens as reported (each count at most 100,000,000)."
    output_tokens: int = Field(alias="outputTokens", default=0)
    "Output tokens."
    cache_read_tokens: int = Field(alias="cacheReadTokens", default=0)
    "Cache-read tokens."
    cache_write_tokens: int = Field(alias="cacheWriteTokens", default=0)
    "Cache-write tokens."
    cache_write_1_h_tokens: int = Field(alias="cacheWrite1hTokens", default=0)
    "The part of cacheWriteTokens written with a 1-hour TTL."
    reasoning_tokens: int = Field(alias="reasoningTokens", default=0)
    "Reasoning (thinking) tokens: OpenAI reasoning_tokens, Gemini thoughtsTokenCount, Anthropic thinking."
    output_tokens_include_reasoning: bool = Field(
        alias="outputTokensIncludeReasoning", default=True
    )
    "True when outputTokens includes reasoningTokens (OpenAI completion_tokens, Anthropic output_tokens); false when they are reported beside it (Gemini candidatesTokenCount)."
    latency_ms: Optional[int] = Field(alias="latencyMs", default=None)
    "How long it took."
    request_id: Optional[str] = Field(alias="requestId", default=None)
    "Idempotency key: the same id with the same numbers is recorded once; with different numbers it is a CONFLICT."
    occurred_at: Optional[Annotated[datetime, PlainSerializer(serialize_datetime)]] = (
        Field(alias="occurredAt", default=None)
    )
    "When it happened (default now)."
    conversation_id: Optional[str] = Field(alias="conversationId", default=None)
    "The conversation it was for."
    message_id: Optional[str] = Field(alias="messageId", default=None)
    "The chat message it produced."
    contact_id: Optional[str] = Field(alias="contactId", default=None)
    "The contact it was for (default: the conversation's)."
    user_id: Optional[str] = Field(alias="userId", default=None)
    "The member it was made for."
    reservation_id: Optional[str] = Field(alias="reservationId", default=None)
    "The budget reservation this call settles."


class ReleaseAiBudgetInput(BaseModel):
    """Give back a reservation whose call was not made."""

    reservation_id: str = Field(alias="reservationId")
    "The reservation."


class ReserveAiBudgetInput(BaseModel):
    """Hold the worst-case cost of a call before making it."""

    model: str
    "The model's id or one of its aliases."
    max_input_tokens: int = Field(alias="maxInputTokens")
    "The most input tokens it can use."
    max_output_tokens: int = Field(alias="maxOutputTokens")
    "The most output tokens it can use."
    ttl_seconds: Optional[int] = Field(alias="ttlSeconds", default=None)
    "Released unless settled within this (default 600, max 3600)."


class RevokeApiKeyInput(BaseModel):
    """Revoke an API key."""

    api_key_id: str = Field(alias="apiKeyId")
    "The key to revoke."


class RevokeInvitationInput(BaseModel):
    """Withdraw a pending invitation of the workspace."""

    invitation_id: str = Field(alias="invitationId")
    "The invitation to withdraw."


class SendMessageInput(BaseModel):
    """Append a message to a conversation."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    role: MessageRole
    "Who writes it."
    content: str
    "The text."
    usage: Optional["MessageUsageInput"] = None
    "Token usage, for AI messages."
    metadata: Optional[JSONValue] = None
    "Free-form metadata."


class SetAiBudgetInput(BaseModel):
    """Set the workspace's monthly AI budget."""

    amount_usd: Annotated[Decimal, PlainSerializer(serialize_decimal)] = Field(
        alias="amountUsd"
    )
    "USD a calendar month (UTC)."
    mode: BudgetMode
    "SOFT (announce thresholds) or HARD (refuse overshoot)."


class SetAiModelPriceInput(BaseModel):
    """A new price version for your workspace (a negotiated rate)."""

    model_id: str = Field(alias="modelId")
    "The model's id or one of its aliases."
    prices: "AiModelPricesInput"
    "The prices."
    effective_from: Optional[
        Annotated[datetime, PlainSerializer(serialize_datetime)]
    ] = Field(alias="effectiveFrom", default=None)
    "In force from (default now)."


class SetConversationAiStateInput(BaseModel):
    """Move the bot to another stage."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    ai_state: AiState = Field(alias="aiState")
    "The new stage."


class SetConversationStatusInput(BaseModel):
    """Change a conversation's status."""

    conversation_id: str = Field(alias="conversationId")
    "The conversation."
    status: ConversationStatus
    "The new status."
    snoozed_until: Optional[
        Annotated[datetime, PlainSerializer(serialize_datetime)]
    ] = Field(alias="snoozedUntil", default=None)
    "Required for SNOOZED: when it wakes."


class SignUpInput(BaseModel):
    """Create your account with the code of an invitation."""

    code: str
    "The invitation's sign-up code."
    email: str
    "The e-mail the invitation was made for."
    name: str
    "Your full name."
    password: str
    "Your password (8 characters or more)."


class StartConversationInput(BaseModel):
    """Start a conversation with a contact."""

    contact_id: str = Field(alias="contactId")
    "The contact."
    channel: Channel
    "The channel."
    title: Optional[str] = None
    "Subject line."
    priority: Priority = Priority.NORMAL
    "Urgency."
    labels: Optional[list[str]] = None
    "Labels."
    assignee_id: Optional[str] = Field(alias="assigneeId", default=None)
    "A member to assign it to."


class SwitchWorkspaceInput(BaseModel):
    """Continue in another of your workspaces."""

    workspace_id: str = Field(alias="workspaceId")
    "The workspace to switch to."


class UpdateContactInput(BaseModel):
    """Change a contact; omitted fields stay, null clears."""

    contact_id: str = Field(alias="contactId")
    "The contact."
    name: Optional[str] = None
    "Display name."
    phone: Optional[str] = None
    "Phone, E.164."
    email: Optional[str] = None
    "E-mail."
    handles: Optional[JSONValue] = None
    "Handles."
    lead_status: Optional[LeadStatus] = Field(alias="leadStatus", default=None)
    "Lead status."
    lead_score: Optional[int] = Field(alias="leadScore", default=None)
    "Score."
    lead_temperature: Optional[LeadTemperature] = Field(
        alias="leadTemperature", default=None
    )
    "Temperature."
    attributes: Optional[JSONValue] = None
    "Attributes."
    labels: Optional[list[str]] = None
    "Labels."


AddAiModelInput.model_rebuild()
AiModelPricesInput.model_rebuild()
RecordAiUsageBatchInput.model_rebuild()
SendMessageInput.model_rebuild()
SetAiModelPriceInput.model_rebuild()
