"""Base classes every Parley model inherits, and the workspace (the tenant) that every
workspace-owned row points at: it lives here, beside `WorkspaceModel`, so the domains'
model modules stand on this one and nothing here stands on them."""

import uuid

from tortoise import fields
from tortoise.models import Model


# UUID key and creation/update times (timezone-aware UTC).
class TimestampedModel(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True


# A tenant. `last_event_seq` is the counter row that orders its events in commit order.
class Workspace(TimestampedModel):
    name = fields.CharField(max_length=200)
    last_event_seq = fields.BigIntField(default=0)
    # events up to this seq were pruned (retention): a cursor before it cannot resume
    events_pruned_through = fields.BigIntField(default=0)

    class Meta:
        table = "workspace"


# A row owned by one workspace: services always filter on `workspace_id`.
class WorkspaceModel(TimestampedModel):
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: uuid.UUID

    class Meta:
        abstract = True
