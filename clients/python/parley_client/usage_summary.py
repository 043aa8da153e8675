from datetime import date
from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .enums import AiState
from .fragments import UsageTotalsFields
from .parley_client_scalars import parse_date


class UsageSummary(BaseModel):
    usage_summary: "UsageSummaryUsageSummary" = Field(alias="usageSummary")


class UsageSummaryUsageSummary(BaseModel):
    total: "UsageSummaryUsageSummaryTotal"
    rows: list["UsageSummaryUsageSummaryRows"]


UsageSummaryUsageSummaryTotal = UsageTotalsFields


class UsageSummaryUsageSummaryRows(BaseModel):
    day: Optional[Annotated[date, BeforeValidator(parse_date)]]
    week: Optional[Annotated[date, BeforeValidator(parse_date)]]
    month: Optional[Annotated[date, BeforeValidator(parse_date)]]
    model: Optional[str]
    provider: Optional[str]
    operation: Optional[str]
    ai_type: Optional[str] = Field(alias="aiType")
    ai_state: Optional[AiState] = Field(alias="aiState")
    conversation_id: Optional[str] = Field(alias="conversationId")
    totals: "UsageSummaryUsageSummaryRowsTotals"


UsageSummaryUsageSummaryRowsTotals = UsageTotalsFields
UsageSummary.model_rebuild()
UsageSummaryUsageSummary.model_rebuild()
UsageSummaryUsageSummaryRows.model_rebuild()
