"""AI usage metering: the model price catalog, usage events, daily rollups and budgets.

Money: LLM prices are USD per million tokens and costs are USD, both `DecimalField`s with
12 decimal places (a per-call cost is a fraction of a cent). Budget counters are the
exception: see `AiBudgetPeriod`.
"""

import uuid
from decimal import Decimal
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.base import TimestampedModel, Workspace, WorkspaceModel
from models.inbox import COST_DECIMAL_PLACES, COST_MAX_DIGITS, Contact, Conversation, Message
from models.tenancy import User

# USD per million tokens: 12 decimal places hold any per-token price LiteLLM lists
PRICE_MAX_DIGITS, PRICE_DECIMAL_PLACES = 24, 12


class BudgetMode(StrEnum):
    """SOFT: record everything and announce thresholds; HARD: refuse what would overshoot."""

    SOFT = "SOFT"
    HARD = "HARD"


class ReservationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SETTLED = "SETTLED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


# the shared catalog's scope; a workspace's own models and aliases use its id
GLOBAL_SCOPE = ""


# A billable LLM. `key` is the id usage reports name (`claude-haiku-4-5-20251001`,
# `gpt-4o`). `scope` is GLOBAL_SCOPE for the shared catalog (default catalog and
# `parley pricing import`) or the id of the workspace that added the model for itself
# (`addAiModel`); the unique (scope, key) holds on both databases, where a nullable
# workspace column would not (NULLs are distinct in unique constraints).
class AiModel(TimestampedModel):
    scope = fields.CharField(max_length=36, default=GLOBAL_SCOPE)
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, null=True, on_delete=fields.CASCADE
    )
    workspace_id: uuid.UUID | None
    key = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=64)
    display_name = fields.CharField(max_length=200)
    context_window = fields.IntField(null=True)
    max_output_tokens = fields.IntField(null=True)
    capabilities: list[str] = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    source = fields.CharField(max_length=16)  # default | litellm | admin

    class Meta:
        table = "ai_model"
        unique_together = (("scope", "key"),)
        indexes = (Index(fields=("provider", "key")),)


# Another name a usage report may give a model (OpenRouter-style `anthropic/claude-haiku-4.5`,
# the provider's undated id). Unique within its scope, like keys.
class AiModelAlias(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    scope = fields.CharField(max_length=36, default=GLOBAL_SCOPE)
    alias = fields.CharField(max_length=200)
    model: fields.ForeignKeyRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel", related_name=False, on_delete=fields.CASCADE
    )
    model_id: uuid.UUID
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ai_model_alias"
        unique_together = (("scope", "alias"),)
        indexes = (Index(fields=("model_id",)),)


# One version of a model's prices, in force from `effective_from` until the next version.
# `workspace` null: the list price; set: that workspace's negotiated rate, which wins.
# A cache price left null is billed at the input price (see api/usage/pricing.py).
class AiModelPrice(TimestampedModel):
    model: fields.ForeignKeyRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel", related_name=False, on_delete=fields.CASCADE
    )
    model_id: uuid.UUID
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, null=True, on_delete=fields.CASCADE
    )
    workspace_id: uuid.UUID | None
    effective_from = fields.DatetimeField()
    input_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    output_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    cache_read_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=True
    )
    cache_write_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=True
    )
    cache_write_1h_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=True
    )
    # null: reasoning tokens are billed at the output price
    reasoning_per_mtok = fields.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=True
    )
    # long-context tiers, ascending: [{"aboveTokens": 200000, "inputPerMtok": "2.5", …}]
    # with the prices as decimal strings (exact), null or [] for none (null: rows from
    # before tiers); see api/usage/pricing.py PriceTier
    tiers: list[dict[str, object]] | None = fields.JSONField(null=True)
    source = fields.CharField(max_length=16)  # default | litellm | admin

    class Meta:
        table = "ai_model_price"
        indexes = (Index(fields=("model_id", "workspace_id", "effective_from")),)


# A period's budget counters for one workspace and calendar month (UTC), always kept, so
# `spent` is right even when a budget is set mid-month.
#
# The counters are integer pico-USD (1e-12 USD, the precision of a stored cost), not
# decimals: a reservation is ONE conditional `UPDATE … SET reserved_pico = reserved_pico + x
# WHERE spent + reserved_pico + x <= limit_pico`, and that comparison must be exact
# in SQL on both databases. SQLite stores DecimalField as text, where SQL arithmetic would
# go through floats; BIGINT arithmetic is exact on both. A BIGINT holds 9.2e18 pico-USD
# (9.2 million USD): enough for a limit (at most 1 million USD) and what is reserved
# under it, but not for spending, which a call made anyway can push past any limit.
# So `spent` is split: spent_micro * 10^6 + spent_pico pico-USD, each recording adding
# its whole micro-USD to one and the rest (< 10^6) to the other; neither overflows in any
# realistic lifetime (9.2e12 USD; 9.2e12 recordings). See api/usage/budgets.py.
class AiBudgetPeriod(WorkspaceModel):
    period_start = fields.DateField()  # the first day of the month
    limit_pico = fields.BigIntField(null=True)  # null: no budget
    mode = fields.CharEnumField(BudgetMode, max_length=8, default=BudgetMode.SOFT)
    spent_micro = fields.BigIntField(default=0)
    spent_pico = fields.BigIntField(default=0)  # the part of `spent` below spent_micro
    reserved_pico = fields.BigIntField(default=0)
    # the highest threshold (50, 80, 100 %) already announced this period
    threshold_notified = fields.IntField(default=0)

    class Meta:
        table = "ai_budget_period"
        unique_together = (("workspace", "period_start"),)

    @property
    def spent_total_pico(self) -> int:
        return self.spent_micro * 10**6 + self.spent_pico


# The workspace's monthly budget setting; each new period copies it.
class AiBudget(WorkspaceModel):
    limit_pico = fields.BigIntField()
    mode = fields.CharEnumField(BudgetMode, max_length=8)

    class Meta:
        table = "ai_budget"
        unique_together = (("workspace",),)


# Worst-case cost held against a period until the call is recorded (settled: the actual
# cost moves to `spent` and the rest is released), released, or it expires.
class AiBudgetReservation(WorkspaceModel):
    period: fields.ForeignKeyRelation[AiBudgetPeriod] = fields.ForeignKeyField(
        "models.AiBudgetPeriod", related_name=False, on_delete=fields.CASCADE
    )
    period_id: uuid.UUID
    model_key = fields.CharField(max_length=200)
    amount_pico = fields.BigIntField()
    status = fields.CharEnumField(
        ReservationStatus, max_length=10, default=ReservationStatus.ACTIVE
    )
    expires_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ai_budget_reservation"
        indexes = (Index(fields=("status", "expires_at")),)


# One metered LLM call. Tokens are stored by kind (uncached input, cache read, cache
# write — of which `cache_write_1h_tokens` at the 1-hour rate — visible output and
# reasoning) with the conventions the reporter used. `price_tier_above` is the
# threshold of the long-context tier it was priced at (null: the base prices);
# `over_budget` marks a call recorded past its workspace's HARD budget. `cost_usd` and
# `price` are null while the model or its price is unknown (`parley pricing reprice`
# prices it later). `model_key` and `provider` are the resolved model's (the reported
# name while unknown), kept on the row for grouping. `request_id` is unique per
# workspace: the idempotency key.
class AiUsageEvent(WorkspaceModel):
    reported_model = fields.CharField(max_length=200)
    model: fields.ForeignKeyNullableRelation[AiModel] = fields.ForeignKeyField(
        "models.AiModel", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    model_id: uuid.UUID | None
    model_key = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=64, default="")
    price: fields.ForeignKeyNullableRelation[AiModelPrice] = fields.ForeignKeyField(
        "models.AiModelPrice", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    price_id: uuid.UUID | None
    operation = fields.CharField(max_length=64)
    ai_type = fields.CharField(max_length=32, default="")
    conversation: fields.ForeignKeyNullableRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    conversation_id: uuid.UUID | None
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    message_id: uuid.UUID | None
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    contact_id: uuid.UUID | None
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    user_id: uuid.UUID | None
    uncached_input_tokens = fields.IntField()
    cache_read_tokens = fields.IntField()
    cache_write_tokens = fields.IntField()
    cache_write_1h_tokens = fields.IntField(default=0)
    output_tokens = fields.IntField()
    reasoning_tokens = fields.IntField(default=0)
    input_tokens_include_cache = fields.BooleanField()
    output_tokens_include_reasoning = fields.BooleanField(default=True)
    price_tier_above = fields.IntField(null=True)
    over_budget = fields.BooleanField(default=False)
    latency_ms = fields.IntField(null=True)
    request_id = fields.CharField(max_length=200, null=True)
    occurred_at = fields.DatetimeField()
    cost_usd = fields.DecimalField(
        max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES, null=True
    )
    # the same cost in integer pico-USD (1e-12 USD), null while unpriced: SQL sums of it
    # are exact on both databases (SQLite keeps decimals as text, its SUM goes via floats)
    cost_pico = fields.BigIntField(null=True)
    reservation: fields.ForeignKeyNullableRelation[AiBudgetReservation] = fields.ForeignKeyField(
        "models.AiBudgetReservation", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reservation_id: uuid.UUID | None

    class Meta:
        table = "ai_usage_event"
        unique_together = (("workspace", "request_id"),)
        indexes = (
            Index(fields=("workspace_id", "occurred_at", "id")),
            Index(fields=("workspace_id", "model_key", "occurred_at")),
            Index(fields=("workspace_id", "operation", "occurred_at")),
            Index(fields=("workspace_id", "ai_type", "occurred_at")),
            Index(fields=("workspace_id", "conversation_id")),
            Index(fields=("workspace_id", "contact_id")),
            Index(fields=("price_id", "reported_model")),
        )

    @property
    def total_tokens(self) -> int:
        return (
            self.uncached_input_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
            + self.output_tokens
            + self.reasoning_tokens
        )


# Daily sums per (workspace, UTC day, model, provider, operation, AI type), updated in the
# recording transaction: analytics read these instead of scanning events. Integer sums
# are bumped with `UPDATE … SET x = x + n`; the decimal money sum is added in Python under
# the row lock (SQLite keeps decimals as text), and `cost_micro * 10^6 + cost_pico`
# carries the same sum in integer pico-USD (split like AiBudgetPeriod.spent, so a row
# never overflows a BIGINT), which analytics SUM exactly in SQL. `ai_type` is "" when the report
# named none.
class AiUsageDaily(WorkspaceModel):
    day = fields.DateField()
    model_key = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=64)
    operation = fields.CharField(max_length=64)
    ai_type = fields.CharField(max_length=32)
    requests = fields.BigIntField(default=0)
    unpriced_requests = fields.BigIntField(default=0)
    uncached_input_tokens = fields.BigIntField(default=0)
    cache_read_tokens = fields.BigIntField(default=0)
    cache_write_tokens = fields.BigIntField(default=0)
    output_tokens = fields.BigIntField(default=0)
    reasoning_tokens = fields.BigIntField(default=0)
    cost_usd = fields.DecimalField(
        max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES, default=Decimal(0)
    )
    cost_micro = fields.BigIntField(default=0)
    cost_pico = fields.BigIntField(default=0)  # the part of the sum below cost_micro
    latency_sum_ms = fields.BigIntField(default=0)
    latency_count = fields.BigIntField(default=0)

    class Meta:
        table = "ai_usage_daily"
        unique_together = (("workspace", "day", "model_key", "provider", "operation", "ai_type"),)
        indexes = (Index(fields=("workspace_id", "day")),)

    @property
    def cost_total_pico(self) -> int:
        return self.cost_micro * 10**6 + self.cost_pico
