"""The generic per-request, workspace-bound loader the domains' loaders build on."""

from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader
from tortoise.models import Model

M = TypeVar("M", bound=Model)


class WorkspaceLoader(DataLoader[UUID | None, M | None], Generic[M]):
    """Batches `load(id)` calls of one request into one query, scoped to the workspace.

    Subclasses name the model; `rows` may be overridden for models reached differently.
    Another workspace's id loads as None.
    """

    model: ClassVar[type[Any]]

    def __init__(self, workspace_id: UUID) -> None:
        super().__init__(load_fn=self._load)
        self.workspace_id = workspace_id

    async def rows(self, ids: list[UUID]) -> list[M]:
        rows: list[M] = await self.model.filter(workspace_id=self.workspace_id, id__in=ids)
        return rows

    async def _load(self, ids: list[UUID | None]) -> list[M | None]:
        wanted = list({key for key in ids if key is not None})
        by_id = {row.pk: row for row in await self.rows(wanted)} if wanted else {}
        return [by_id.get(key) for key in ids]
