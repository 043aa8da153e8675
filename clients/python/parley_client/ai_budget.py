from datetime import date
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .enums import BudgetMode
from .parley_client_scalars import (
    parse_date,
    parse_decimal,
)


class AiBudget(BaseModel):
    ai_budget: "AiBudgetAiBudget" = Field(alias="aiBudget")


class AiBudgetAiBudget(BaseModel):
    limit_usd: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]] = Field(
        alias="limitUsd"
    )
    mode: Optional[BudgetMode]
    spent_usd: Annotated[Decimal, BeforeValidator(parse_decimal)] = Field(
        alias="spentUsd"
    )
    reserved_usd: Annotated[Decimal, BeforeValidator(parse_decimal)] = Field(
        alias="reservedUsd"
    )
    remaining_usd: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]] = Field(
        alias="remainingUsd"
    )
    period_start: Annotated[date, BeforeValidator(parse_date)] = Field(
        alias="periodStart"
    )
    period_end: Annotated[date, BeforeValidator(parse_date)] = Field(alias="periodEnd")


AiBudget.model_rebuild()
