from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .enums import UnpricedReason
from .fragments import ErrorFields
from .parley_client_scalars import parse_datetime, parse_decimal


class RecordAiUsage(BaseModel):
    record_ai_usage: Union[
        "RecordAiUsageRecordAiUsageRecordAiUsagePayload",
        "RecordAiUsageRecordAiUsageValidationError",
        "RecordAiUsageRecordAiUsageNotFoundError",
        "RecordAiUsageRecordAiUsageConflictError",
        "RecordAiUsageRecordAiUsageQuotaExceededError",
        "RecordAiUsageRecordAiUsageUsageNotRecordedError",
    ] = Field(alias="recordAiUsage", discriminator="typename__")


class RecordAiUsageRecordAiUsageRecordAiUsagePayload(BaseModel):
    typename__: Literal["RecordAiUsagePayload"] = Field(alias="__typename")
    created: bool
    unpriced_reason: Optional[UnpricedReason] = Field(alias="unpricedReason")
    suggested_models: list[str] = Field(alias="suggestedModels")
    usage: "RecordAiUsageRecordAiUsageRecordAiUsagePayloadUsage"


class RecordAiUsageRecordAiUsageRecordAiUsagePayloadUsage(BaseModel):
    id: str
    model_id: str = Field(alias="modelId")
    priced: bool
    total_tokens: int = Field(alias="totalTokens")
    cost_usd: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]] = Field(
        alias="costUsd"
    )
    occurred_at: Annotated[datetime, BeforeValidator(parse_datetime)] = Field(
        alias="occurredAt"
    )


class RecordAiUsageRecordAiUsageValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class RecordAiUsageRecordAiUsageNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


class RecordAiUsageRecordAiUsageConflictError(ErrorFields):
    typename__: Literal["ConflictError"] = Field(alias="__typename")


class RecordAiUsageRecordAiUsageQuotaExceededError(ErrorFields):
    typename__: Literal["QuotaExceededError"] = Field(alias="__typename")


class RecordAiUsageRecordAiUsageUsageNotRecordedError(ErrorFields):
    typename__: Literal["UsageNotRecordedError"] = Field(alias="__typename")


RecordAiUsage.model_rebuild()
RecordAiUsageRecordAiUsageRecordAiUsagePayload.model_rebuild()
