"""The inbox's messages: send one (numbered, counted, its AI usage metered with it) and read
those after a sequence number (subscription catch-up).

As everywhere in the inbox (see api/inbox/service.py), every function filters by the
caller's `workspace_id` and writes record their events last, published after commit.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

import models
from api.core import events, metrics
from api.core.auth import Viewer
from api.core.errors import BadInput, Conflict, NotFound
from api.inbox.event_payloads import conversation_payload, message_payload
from api.inbox.service import MAX_MESSAGE_LENGTH
from api.usage import recording, reports
from models.enums import ConversationStatus, MessageRole


@dataclass(frozen=True, kw_only=True)
class MessageUsage:
    """Token usage of an AI message as the caller reports it, in the provider's convention
    (the two flags, as in recordAiUsage); send_message stores it split by kind (DESIGN:
    Tokens) and records it as an AI usage event with the message."""

    model: str | None = None
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    input_tokens_include_cache: bool  # providers disagree: the caller must say
    output_tokens_include_reasoning: bool = True
    latency_ms: int | None = None  # stored as the message's response_time_ms
    # recorded as an AI usage event with the message (see api/usage/recording.py)
    operation: str = "reply"
    ai_type: str | None = None
    request_id: str | None = None
    occurred_at: datetime | None = None
    reservation_id: UUID | None = None
    cache_write_1h_tokens: int = 0


def _check_content(content: str) -> None:
    if not content.strip():
        raise BadInput("A message needs some text.", field="content")
    if len(content) > MAX_MESSAGE_LENGTH:
        raise BadInput(f"content is longer than {MAX_MESSAGE_LENGTH} characters.", field="content")


async def send_message(
    *,
    workspace_id: UUID,
    actor: Viewer,
    conversation_id: UUID,
    role: MessageRole,
    content: str,
    usage: MessageUsage | None = None,
    metadata: dict[str, Any] | None = None,
) -> models.Message:
    """Append a message: `seq`, counters, totals and `firstReplyAt` change in the same
    transaction, under the conversation's row lock, so concurrent senders get 1, 2, 3 …
    A usage sent again with its requestId returns the first send's message."""
    _check_content(content)
    metered = None
    if usage is not None:
        metered, earlier = await _meter(workspace_id, usage)
        if earlier is not None:
            return await _message_of_usage(earlier)
    new = NewMessage(
        conversation_id=conversation_id,
        role=role,
        content=content,
        author_id=actor.user_id if role is MessageRole.AGENT else None,
        metadata=metadata or {},
        usage=usage,
        metered=metered,
    )
    try:
        async with in_transaction() as db:
            message, conversation = await _append(db, workspace_id, new)
            wakeups = await _record_usage(db, workspace_id, new, message, conversation)
            event = await _record_message_created(db, workspace_id, message, conversation)
    except IntegrityError as error:
        return await _message_of_concurrent_send(workspace_id, metered, error)
    if new.metered is not None:
        metrics.USAGE_EVENTS_RECORDED.inc()
    await events.publish(*wakeups, event)
    return message


@dataclass(frozen=True)
class NewMessage:
    """A message to append, checked; `metered` is its usage checked and priced."""

    conversation_id: UUID
    role: MessageRole
    content: str
    author_id: UUID | None
    metadata: dict[str, Any]
    usage: MessageUsage | None
    metered: recording.MessageUsageReport | None

    def usage_columns(self) -> dict[str, Any]:
        """The message's usage columns: tokens split by kind (the usage service normalized
        the caller's convention), the caller's flag, the cost it priced."""
        if self.usage is None or self.metered is None:
            return {}
        tokens = self.metered.checked.tokens
        return {
            "model": self.usage.model,
            "input_tokens": tokens.uncached_input,
            "cache_read_tokens": tokens.cache_read,
            "cache_write_tokens": tokens.cache_write,
            "output_tokens": tokens.output,
            "reasoning_tokens": tokens.reasoning,
            "input_tokens_include_cache": self.usage.input_tokens_include_cache,
            "cost": self.metered.priced.cost,
            "response_time_ms": self.usage.latency_ms,
        }


async def _meter(
    workspace_id: UUID, usage: MessageUsage
) -> tuple[recording.MessageUsageReport, models.AiUsageEvent | None]:
    """Check and price a message's usage before its transaction; also the usage already
    recorded under its requestId, if any."""
    if usage.latency_ms is not None and usage.latency_ms < 0:
        raise BadInput("latencyMs must not be negative.", field="latencyMs")
    return await recording.prepare_message_usage(
        workspace_id=workspace_id,
        report=_usage_report(usage),
        include_cache=usage.input_tokens_include_cache,
    )


async def _append(
    db: BaseDBAsyncClient, workspace_id: UUID, new: NewMessage
) -> tuple[models.Message, models.Conversation]:
    """The message, numbered next in its conversation, and the conversation's counters."""
    # The conditional UPDATE takes the row lock first: concurrent senders queue here.
    updated = await (
        models.Conversation.filter(id=new.conversation_id, workspace_id=workspace_id)
        .using_db(db)
        .update(message_count=F("message_count") + 1)
    )
    if not updated:
        raise NotFound("No such conversation.", field="conversationId")
    conversation = await models.Conversation.get(id=new.conversation_id, using_db=db)
    message = await models.Message.create(
        using_db=db,
        workspace_id=workspace_id,
        conversation_id=new.conversation_id,
        seq=conversation.message_count,
        role=new.role,
        content=new.content,
        author_id=new.author_id,
        metadata=new.metadata,
        **new.usage_columns(),
    )
    _after_message(conversation, message)
    await conversation.save(using_db=db)
    if message.total_tokens or message.cost:
        await _add_contact_totals(db, conversation.contact_id, message)
    return message, conversation


def _after_message(conversation: models.Conversation, message: models.Message) -> None:
    """Bump the conversation's counters for a new message (the row is locked)."""
    now = message.created_at
    conversation.last_message_id = message.id
    conversation.last_message_at = now
    conversation.last_activity_at = now
    conversation.total_tokens += message.total_tokens
    conversation.total_cost += message.cost or Decimal(0)
    if message.role is MessageRole.USER:
        conversation.waiting_since = conversation.waiting_since or now
        if conversation.status in (ConversationStatus.RESOLVED, ConversationStatus.SNOOZED):
            conversation.status, conversation.snoozed_until = ConversationStatus.OPEN, None
        conversation.archived = False
    elif message.role in (MessageRole.AGENT, MessageRole.ASSISTANT):
        conversation.waiting_since = None
    if message.role is MessageRole.AGENT and conversation.first_reply_at is None:
        conversation.first_reply_at = now


async def _add_contact_totals(
    db: BaseDBAsyncClient, contact_id: UUID, message: models.Message
) -> None:
    contact = await models.Contact.filter(id=contact_id).using_db(db).select_for_update().get()
    contact.total_tokens += message.total_tokens
    contact.total_cost += message.cost or Decimal(0)
    await contact.save(using_db=db, update_fields=["total_tokens", "total_cost", "updated_at"])


async def _record_usage(
    db: BaseDBAsyncClient,
    workspace_id: UUID,
    new: NewMessage,
    message: models.Message,
    conversation: models.Conversation,
) -> list[models.Event]:
    """The message's AI usage event; the wake-ups it publishes after commit."""
    if new.metered is None:
        return []
    recorded = await recording.write_message_usage(
        db,
        workspace_id=workspace_id,
        usage=new.metered,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        message_id=message.id,
    )
    return recorded.wakeups


async def _record_message_created(
    db: BaseDBAsyncClient,
    workspace_id: UUID,
    message: models.Message,
    conversation: models.Conversation,
) -> models.Event:
    return await events.record(
        db,
        workspace_id=workspace_id,
        type="message.created",
        conversation_id=conversation.id,
        payload={
            "message": message_payload(message),
            "conversation": conversation_payload(conversation),
        },
    )


async def _message_of_concurrent_send(
    workspace_id: UUID, metered: recording.MessageUsageReport | None, error: IntegrityError
) -> models.Message:
    """After `error`: a concurrent send with the same usage requestId won, so this send
    answers with its message (any other integrity error is raised again)."""
    earlier = await recording.existing_usage(workspace_id, metered.checked) if metered else None
    if earlier is None:
        raise error
    return await _message_of_usage(earlier)


def _usage_report(usage: MessageUsage) -> reports.UsageReport:
    """The AI usage event of a message, in the caller's token convention: the usage
    service normalizes it as it does recordAiUsage's."""
    return reports.UsageReport(
        model=usage.model or recording.UNKNOWN_MODEL,
        operation=usage.operation,
        ai_type=usage.ai_type,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        input_tokens_include_cache=usage.input_tokens_include_cache,
        reasoning_tokens=usage.reasoning_tokens,
        output_tokens_include_reasoning=usage.output_tokens_include_reasoning,
        latency_ms=usage.latency_ms,
        request_id=usage.request_id,
        occurred_at=usage.occurred_at,
        reservation_id=usage.reservation_id,
    )


async def _message_of_usage(usage: models.AiUsageEvent) -> models.Message:
    if usage.message_id is None:
        raise Conflict("This requestId was recorded as usage without a message.", field="requestId")
    return await models.Message.get(id=usage.message_id)


async def messages_after(
    *, workspace_id: UUID, conversation_id: UUID, seq: int, limit: int
) -> list[models.Message]:
    """Messages of a conversation after `seq`, oldest first (subscription catch-up)."""
    return (
        await models.Message.filter(
            workspace_id=workspace_id, conversation_id=conversation_id, seq__gt=seq
        )
        .order_by("seq")
        .limit(limit)
    )
