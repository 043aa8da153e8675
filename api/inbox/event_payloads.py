"""The JSON-safe payloads of the inbox's events, and the message a payload describes.

Events carry these (see api/core/events.py); a live subscriber builds its item from the
wake-up's payload instead of reading the table.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import models
from models.enums import MessageRole


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contact_payload(contact: models.Contact) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "name": contact.name,
        "leadStatus": contact.lead_status.value,
        "leadScore": contact.lead_score,
        "updatedAt": _iso(contact.updated_at),
    }


def conversation_payload(conversation: models.Conversation) -> dict[str, Any]:
    return {
        "id": str(conversation.id),
        "contactId": str(conversation.contact_id),
        "status": conversation.status.value,
        "assigneeId": str(conversation.assignee_id) if conversation.assignee_id else None,
        "aiState": conversation.ai_state.value,
        "labels": conversation.labels,
        "archived": conversation.archived,
        "messageCount": conversation.message_count,
        "lastMessageId": str(conversation.last_message_id)
        if conversation.last_message_id
        else None,
        "lastMessageAt": _iso(conversation.last_message_at),
        "updatedAt": _iso(conversation.updated_at),
    }


def message_payload(message: models.Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "conversationId": str(message.conversation_id),
        "seq": message.seq,
        "role": message.role.value,
        "content": message.content,
        "authorId": str(message.author_id) if message.author_id else None,
        "model": message.model,
        "inputTokens": message.input_tokens,
        "cacheReadTokens": message.cache_read_tokens,
        "cacheWriteTokens": message.cache_write_tokens,
        "outputTokens": message.output_tokens,
        "reasoningTokens": message.reasoning_tokens,
        "cost": str(message.cost) if message.cost is not None else None,
        "responseTimeMs": message.response_time_ms,
        "metadata": message.metadata,
        "createdAt": _iso(message.created_at),
    }


def message_from_payload(payload: dict[str, Any]) -> models.Message:
    """The unsaved model a `message_payload` describes (a live subscriber in step builds its
    item from the wake-up instead of reading the table)."""
    cost = payload.get("cost")
    return models.Message(
        id=UUID(payload["id"]),
        conversation_id=UUID(payload["conversationId"]),
        seq=payload["seq"],
        role=MessageRole(payload["role"]),
        content=payload["content"],
        author_id=UUID(payload["authorId"]) if payload.get("authorId") else None,
        model=payload.get("model"),
        input_tokens=payload["inputTokens"],
        cache_read_tokens=payload["cacheReadTokens"],
        cache_write_tokens=payload["cacheWriteTokens"],
        output_tokens=payload["outputTokens"],
        reasoning_tokens=payload.get("reasoningTokens", 0),
        cost=Decimal(cost) if cost is not None else None,
        response_time_ms=payload.get("responseTimeMs"),
        metadata=payload.get("metadata") or {},
        created_at=datetime.fromisoformat(payload["createdAt"]),
    )
