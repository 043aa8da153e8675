from datetime import datetime
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .enums import (
    AiState,
    Channel,
    ConversationStatus,
    ErrorCode,
    LeadStatus,
    LeadTemperature,
    MessageRole,
    Priority,
)
from .parley_client_scalars import (
    JSONValue,
    parse_datetime,
    parse_decimal,
)


class MessageFields(BaseModel):
    id: str
    cursor: str
    role: MessageRole
    content: str
    model: Optional[str]
    cost: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]]
    response_time_ms: Optional[int] = Field(alias="responseTimeMs")
    metadata: JSONValue
    created_at: Annotated[datetime, BeforeValidator(parse_datetime)] = Field(
        alias="createdAt"
    )
    author: Optional["MessageFieldsAuthor"]


class MessageFieldsAuthor(BaseModel):
    id: str
    name: str


class ConversationSummary(BaseModel):
    id: str
    channel: Channel
    status: ConversationStatus
    priority: Priority
    ai_state: AiState = Field(alias="aiState")
    title: Optional[str]
    labels: list[str]
    message_count: int = Field(alias="messageCount")
    last_message_at: Optional[Annotated[datetime, BeforeValidator(parse_datetime)]] = (
        Field(alias="lastMessageAt")
    )
    waiting_since: Optional[Annotated[datetime, BeforeValidator(parse_datetime)]] = (
        Field(alias="waitingSince")
    )
    handoff_reason: Optional[str] = Field(alias="handoffReason")
    total_tokens: int = Field(alias="totalTokens")
    total_cost: Annotated[Decimal, BeforeValidator(parse_decimal)] = Field(
        alias="totalCost"
    )
    contact: "ConversationSummaryContact"
    assignee: Optional["ConversationSummaryAssignee"]
    last_message: Optional["ConversationSummaryLastMessage"] = Field(
        alias="lastMessage"
    )


class ConversationSummaryContact(BaseModel):
    id: str
    name: str
    lead_status: LeadStatus = Field(alias="leadStatus")
    lead_temperature: Optional[LeadTemperature] = Field(alias="leadTemperature")


class ConversationSummaryAssignee(BaseModel):
    id: str
    name: str


class ConversationSummaryLastMessage(MessageFields):
    pass


class ErrorFields(BaseModel):
    message: str
    code: ErrorCode
    field: Optional[str]


class UsageTotalsFields(BaseModel):
    requests: int
    unpriced_requests: int = Field(alias="unpricedRequests")
    input_tokens: int = Field(alias="inputTokens")
    output_tokens: int = Field(alias="outputTokens")
    reasoning_tokens: int = Field(alias="reasoningTokens")
    cache_read_tokens: int = Field(alias="cacheReadTokens")
    cache_write_tokens: int = Field(alias="cacheWriteTokens")
    total_tokens: int = Field(alias="totalTokens")
    cost_usd: Annotated[Decimal, BeforeValidator(parse_decimal)] = Field(
        alias="costUsd"
    )
    cache_hit_rate: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]] = (
        Field(alias="cacheHitRate")
    )
    avg_latency_ms: Optional[float] = Field(alias="avgLatencyMs")


MessageFields.model_rebuild()
ConversationSummary.model_rebuild()
ErrorFields.model_rebuild()
UsageTotalsFields.model_rebuild()
