from datetime import date
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .fragments import UsageTotalsFields
from .parley_client_scalars import parse_date, parse_decimal


class UsageUpdated(BaseModel):
    usage_updated: "UsageUpdatedUsageUpdated" = Field(alias="usageUpdated")


class UsageUpdatedUsageUpdated(UsageTotalsFields):
    cursor: Optional[str]
    period_start: Optional[Annotated[date, BeforeValidator(parse_date)]] = Field(
        alias="periodStart"
    )
    budget_used_percent: Optional[
        Annotated[Decimal, BeforeValidator(parse_decimal)]
    ] = Field(alias="budgetUsedPercent")


UsageUpdated.model_rebuild()
