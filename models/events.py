"""The event table: every change clients see live, numbered per workspace in commit order."""

import uuid

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


# One live change. `seq` comes from the workspace's counter row, taken last in the
# writing transaction, so sequence order is commit order (see api/core/events.py).
class Event(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Model] = fields.ForeignKeyField(
        "models.Workspace", related_name=False, on_delete=fields.CASCADE
    )
    workspace_id: uuid.UUID
    seq = fields.BigIntField()
    type = fields.CharField(max_length=64)
    conversation_id = fields.UUIDField(null=True)
    payload: dict[str, object] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "event"
        unique_together = (("workspace", "seq"),)
        indexes = (Index(fields=("created_at",)),)
