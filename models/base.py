"""Base classes every Parley model inherits."""

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.tenancy import Workspace


# UUID key and creation/update times (timezone-aware UTC).
class TimestampedModel(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True


# A row owned by one workspace: services always filter on `workspace_id`.
class WorkspaceModel(TimestampedModel):
    workspace: fields.ForeignKeyRelation["Workspace"] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: uuid.UUID

    class Meta:
        abstract = True
