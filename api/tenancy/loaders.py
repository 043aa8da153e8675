"""Per-request loaders of tenancy objects."""

from uuid import UUID

from tortoise.expressions import Subquery

import models
from api.core.loaders import WorkspaceLoader


class UserByIdLoader(WorkspaceLoader[models.User]):
    """Users who are members of the caller's workspace (others load as None)."""

    model = models.User

    async def rows(self, ids: list[UUID]) -> list[models.User]:
        member_ids = models.Membership.filter(
            workspace_id=self.workspace_id, user_id__in=ids
        ).values("user_id")
        return await models.User.filter(id__in=Subquery(member_ids))
