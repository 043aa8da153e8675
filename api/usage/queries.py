"""Usage queries: the model catalog, the budget, the recorded calls and analytics."""

from typing import Annotated

import strawberry
from strawberry import relay

import models
from api.core.connections import KeysetConnection, connection_of
from api.core.context import Info
from api.core.ids import decode_optional_id
from api.core.pagination import PageArgs
from api.core.permissions import CanRead
from api.core.validation import column
from api.usage import analytics, budgets, catalog, recording
from api.usage.analytics_types import (
    CostToServe,
    DateRangeInput,
    ModelComparisonRow,
    UsageDimension,
    UsageSummary,
    UsageTotals,
)
from api.usage.subscriptions import current_usage
from api.usage.types import AiBudget, AiModel, AiModelFilter, AiUsageEvent, AiUsageEventFilter


@strawberry.type
class UsageQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="The model catalog (shared models and your own), by id.",
        extensions=[KeysetConnection("aiModels")],
    )
    async def ai_models(
        self,
        info: Info,
        page: PageArgs,
        filter: AiModelFilter | None = None,
    ) -> relay.Connection[AiModel]:
        where = filter or AiModelFilter()
        found = await catalog.list_models(
            workspace_id=info.context.workspace_id,
            search=where.search,
            provider=where.provider,
            page=page,
        )
        return connection_of(found, AiModel.from_model)

    @strawberry.field(
        permission_classes=[CanRead],
        description="A model by its id (`modelId`, e.g. `gpt-4o`) or an alias; null if none.",
    )
    async def ai_model(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(metadata=column(models.AiModel, "key"))],
    ) -> AiModel | None:
        row = await catalog.resolve_model(info.context.workspace_id, id.strip())
        return AiModel.from_model(row) if row else None

    @strawberry.field(permission_classes=[CanRead], description="This month's AI budget.")
    async def ai_budget(self, info: Info) -> AiBudget:
        return AiBudget.from_state(
            await budgets.budget_state(workspace_id=info.context.workspace_id)
        )

    @strawberry.field(
        permission_classes=[CanRead],
        description="The recorded LLM calls, newest first (by occurredAt).",
        extensions=[KeysetConnection("aiUsageEvents")],
    )
    async def ai_usage_events(
        self,
        info: Info,
        page: PageArgs,
        filter: AiUsageEventFilter | None = None,
    ) -> relay.Connection[AiUsageEvent]:
        where = filter or AiUsageEventFilter()
        found = await recording.list_usage_events(
            workspace_id=info.context.workspace_id,
            conversation_id=decode_optional_id(
                where.conversation_id, "Conversation", field="filter.conversationId"
            ),
            model=where.model,
            operation=where.operation,
            page=page,
        )
        return connection_of(found, AiUsageEvent.from_model)

    @strawberry.field(
        permission_classes=[CanRead],
        description="AI usage of a period grouped by time and/or dimensions, and its total. "
        "Time, model, provider, operation and AI type come from daily rollups; user, "
        "conversation, contact and AI state from the calls. `top`: only the N costliest "
        "groups (ties: more requests), at most 1000. Periods span at most 400 days.",
    )
    async def usage_summary(
        self,
        info: Info,
        period: DateRangeInput,
        group_by: list[UsageDimension] | None = None,
        top: int | None = None,
    ) -> UsageSummary:
        summary = await analytics.usage_summary(
            workspace_id=info.context.workspace_id,
            start=period.start,
            end=period.end,
            group_by=group_by or [],
            top=top,
        )
        return UsageSummary.from_summary(summary)

    @strawberry.field(
        permission_classes=[CanRead],
        description="Per model over a period (costliest first): usage, conversations, "
        "messages, response time, conversions and cost per conversion — the A/B view.",
    )
    async def model_comparison(
        self, info: Info, period: DateRangeInput
    ) -> list[ModelComparisonRow]:
        rows = await analytics.model_comparison(
            workspace_id=info.context.workspace_id, start=period.start, end=period.end
        )
        return [ModelComparisonRow.from_stats(row) for row in rows]

    @strawberry.field(
        permission_classes=[CanRead],
        description="AI cost per conversation, per qualified lead and per conversion "
        "over a period.",
    )
    async def cost_to_serve(self, info: Info, period: DateRangeInput) -> CostToServe:
        result = await analytics.cost_to_serve(
            workspace_id=info.context.workspace_id, start=period.start, end=period.end
        )
        return CostToServe.from_result(result)

    @strawberry.field(
        permission_classes=[CanRead],
        description="This calendar month's (UTC) running totals, as usageUpdated pushes "
        "them; pass its cursor to `usageUpdated(after:)` to follow on without a gap.",
    )
    async def current_usage(self, info: Info) -> UsageTotals:
        return await current_usage(info.context.workspace_id)
