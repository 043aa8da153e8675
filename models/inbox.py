"""Contacts, conversations and their chat messages."""

import uuid
from decimal import Decimal

from tortoise import fields
from tortoise.indexes import Index

from models.base import WorkspaceModel
from models.enums import (
    AiState,
    Channel,
    ConversationStatus,
    LeadStatus,
    LeadTemperature,
    MessageRole,
    Priority,
)
from models.tenancy import User

# USD with 12 decimal places: per-call LLM costs are fractions of a cent
COST_MAX_DIGITS, COST_DECIMAL_PLACES = 38, 12


# A lead or customer; phone and e-mail are each unique within the workspace.
class Contact(WorkspaceModel):
    name = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=32, null=True)
    email = fields.CharField(max_length=320, null=True)
    handles: dict[str, str] = fields.JSONField(default=dict)
    lead_status = fields.CharEnumField(LeadStatus, max_length=16, default=LeadStatus.NEW)
    lead_score = fields.IntField(null=True)
    lead_temperature = fields.CharEnumField(LeadTemperature, max_length=8, null=True)
    score_updated_at = fields.DatetimeField(null=True)
    attributes: dict[str, object] = fields.JSONField(default=dict)
    labels: list[str] = fields.JSONField(default=list)
    total_tokens = fields.BigIntField(default=0)
    total_cost = fields.DecimalField(
        max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES, default=Decimal(0)
    )

    class Meta:
        table = "contact"
        unique_together = (("workspace", "phone"), ("workspace", "email"))
        indexes = (Index(fields=("workspace_id", "created_at", "id")),)


# A thread with one contact on one channel.
#
# `last_activity_at` is the non-null sort key of the inbox (the last message's time, or
# the creation time before any message), so keyset pagination needs no NULL handling.
# `last_message_id` is a plain column, not a foreign key, to avoid a cycle with the
# message table; it is loaded through a loader.
class Conversation(WorkspaceModel):
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name=False, on_delete=fields.CASCADE
    )
    contact_id: uuid.UUID
    channel = fields.CharEnumField(Channel, max_length=16)
    status = fields.CharEnumField(
        ConversationStatus, max_length=16, default=ConversationStatus.OPEN
    )
    snoozed_until = fields.DatetimeField(null=True)
    priority = fields.CharEnumField(Priority, max_length=8, default=Priority.NORMAL)
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    assignee_id: uuid.UUID | None
    ai_state = fields.CharEnumField(AiState, max_length=16, default=AiState.GREETING)
    handoff_reason = fields.TextField(null=True)
    handoff_at = fields.DatetimeField(null=True)
    title = fields.CharField(max_length=300, null=True)
    labels: list[str] = fields.JSONField(default=list)
    archived = fields.BooleanField(default=False)
    message_count = fields.IntField(default=0)
    last_message_id = fields.UUIDField(null=True)
    last_message_at = fields.DatetimeField(null=True)
    last_activity_at = fields.DatetimeField()
    waiting_since = fields.DatetimeField(null=True)
    first_reply_at = fields.DatetimeField(null=True)
    total_tokens = fields.BigIntField(default=0)
    total_cost = fields.DecimalField(
        max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES, default=Decimal(0)
    )

    class Meta:
        table = "conversation"
        indexes = (
            Index(fields=("workspace_id", "last_activity_at", "id")),
            Index(fields=("workspace_id", "created_at", "id")),
            Index(fields=("workspace_id", "status", "last_activity_at")),
            Index(fields=("workspace_id", "assignee_id", "last_activity_at")),
            Index(fields=("workspace_id", "contact_id")),
        )


# Index rows for filtering conversations by label (a JSON list is not portably indexable).
class ConversationLabel(WorkspaceModel):
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name=False, on_delete=fields.CASCADE
    )
    conversation_id: uuid.UUID
    label = fields.CharField(max_length=64)

    class Meta:
        table = "conversation_label"
        unique_together = (("conversation", "label"),)
        indexes = (Index(fields=("workspace_id", "label")),)


# One chat message; `seq` is 1, 2, 3 … within its conversation, in commit order.
#
# Token counts are stored by kind (uncached input, cache read, cache write, visible output,
# reasoning); `input_tokens_include_cache` records which convention the reporter used.
class Message(WorkspaceModel):
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name=False, on_delete=fields.CASCADE
    )
    conversation_id: uuid.UUID
    seq = fields.IntField()
    role = fields.CharEnumField(MessageRole, max_length=16)
    content = fields.TextField()
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    author_id: uuid.UUID | None
    model = fields.CharField(max_length=200, null=True)
    input_tokens = fields.IntField(default=0)
    cache_read_tokens = fields.IntField(default=0)
    cache_write_tokens = fields.IntField(default=0)
    output_tokens = fields.IntField(default=0)
    reasoning_tokens = fields.IntField(default=0)
    input_tokens_include_cache = fields.BooleanField(null=True)
    cost = fields.DecimalField(
        max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES, null=True
    )
    response_time_ms = fields.IntField(null=True)
    metadata: dict[str, object] = fields.JSONField(default=dict)

    class Meta:
        table = "chat_message"
        unique_together = (("conversation", "seq"),)

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
            + self.output_tokens
            + self.reasoning_tokens
        )
