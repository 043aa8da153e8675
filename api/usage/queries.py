"""Usage queries: the model catalog and the budget."""

import strawberry
from strawberry import relay

from api.core.connections import connection_of
from api.core.context import Info
from api.core.permissions import CanRead
from api.usage import budgets, service
from api.usage.types import AiBudget, AiModel, AiModelFilter


@strawberry.type
class UsageQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="The model catalog (shared models and your own), by id.",
    )
    async def ai_models(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: AiModelFilter | None = None,
    ) -> relay.Connection[AiModel]:
        where = filter or AiModelFilter()
        page = await service.list_models(
            workspace_id=info.context.workspace_id,
            search=where.search,
            provider=where.provider,
            first=first,
            after=after,
            last=last,
            before=before,
            maximum=info.context.settings.max_page_size,
        )
        return connection_of(page, AiModel.from_model)

    @strawberry.field(
        permission_classes=[CanRead],
        description="A model by its id (`modelId`, e.g. `gpt-4o`) or an alias; null if none.",
    )
    async def ai_model(self, info: Info, id: str) -> AiModel | None:
        row = await service.resolve_model(info.context.workspace_id, id.strip())
        return AiModel.from_model(row) if row else None

    @strawberry.field(permission_classes=[CanRead], description="This month's AI budget.")
    async def ai_budget(self, info: Info) -> AiBudget:
        return AiBudget.from_state(
            await budgets.budget_state(workspace_id=info.context.workspace_id)
        )
