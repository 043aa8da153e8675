"""Per-request loaders of usage objects: catalog models visible to the workspace (the
shared catalog and its own), their aliases and prices, and usage events."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q

import models
from api.core.loaders import WorkspaceLoader
from api.usage.catalog import scopes_of, visible_models


class AiModelByIdLoader(WorkspaceLoader[models.AiModel]):
    model = models.AiModel

    async def rows(self, ids: list[UUID]) -> list[models.AiModel]:
        rows: list[models.AiModel] = await models.AiModel.filter(
            visible_models(self.workspace_id), id__in=ids
        )
        return rows


class AiModelPriceByIdLoader(WorkspaceLoader[models.AiModelPrice]):
    """List prices, and the workspace's own negotiated rates (never another's)."""

    model = models.AiModelPrice

    async def rows(self, ids: list[UUID]) -> list[models.AiModelPrice]:
        rows: list[models.AiModelPrice] = await models.AiModelPrice.filter(
            Q(workspace_id=None) | Q(workspace_id=self.workspace_id), id__in=ids
        )
        return rows


class AiUsageEventByIdLoader(WorkspaceLoader[models.AiUsageEvent]):
    model = models.AiUsageEvent


class AliasesByModelLoader(WorkspaceLoader[Any]):
    """A model's aliases visible to the workspace (a list per model id)."""

    async def _load(self, ids: list[UUID | None]) -> list[Any]:
        wanted = [key for key in ids if key is not None]
        rows = await models.AiModelAlias.filter(
            scope__in=scopes_of(self.workspace_id), model_id__in=wanted
        ).order_by("alias")
        by_model: dict[UUID, list[str]] = {}
        for row in rows:
            by_model.setdefault(row.model_id, []).append(row.alias)
        return [by_model.get(key, []) if key is not None else [] for key in ids]


class CurrentPriceByModelLoader(WorkspaceLoader[Any]):
    """The price version in force now for the workspace (its rate first), per model id."""

    async def _load(self, ids: list[UUID | None]) -> list[Any]:
        wanted = [key for key in ids if key is not None]
        now = datetime.now(UTC)
        rows = await models.AiModelPrice.filter(
            Q(workspace_id=None) | Q(workspace_id=self.workspace_id),
            model_id__in=wanted,
            effective_from__lte=now,
        )
        best: dict[UUID, models.AiModelPrice] = {}
        for row in rows:
            current = best.get(row.model_id)
            rank = (row.workspace_id is not None, row.effective_from, row.created_at)
            if current is None or rank > (
                current.workspace_id is not None,
                current.effective_from,
                current.created_at,
            ):
                best[row.model_id] = row
        return [best.get(key) if key is not None else None for key in ids]
