"""The inbox: contacts, conversations and messages.

Every function takes the caller's `workspace_id` and filters by it; another workspace's
object is NotFound. Writes run in one transaction and record their events last (see
api/core/events.py); events are published after commit.
"""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from api.core import events
from api.core.auth import Viewer
from api.core.errors import BadInput, Conflict, NotFound
from api.core.pagination import Page, PageArgs, SortKey, keyset_page
from api.core.validation import normalize_email, normalize_phone, required_text, utc_time
from api.usage import recording, reports
from models.enums import (
    AiState,
    Channel,
    ConversationStatus,
    LeadStatus,
    LeadTemperature,
    MessageRole,
    Priority,
)

LABEL_PATTERN = re.compile(r"^[\w][\w .:/-]{0,63}$")
MAX_LABELS = 50
MAX_MESSAGE_LENGTH = 32_000
MAX_HANDOFF_REASON = 2000

BY_CREATED_DESC = SortKey((("created_at", "datetime"), ("id", "uuid")), descending=True)
BY_CREATED_ASC = SortKey((("created_at", "datetime"), ("id", "uuid")), descending=False)
BY_ACTIVITY_DESC = SortKey((("last_activity_at", "datetime"), ("id", "uuid")), descending=True)
BY_ACTIVITY_ASC = SortKey((("last_activity_at", "datetime"), ("id", "uuid")), descending=False)
BY_SEQ = SortKey((("seq", "int"),), descending=False)
# A message's cursor, the same in `Conversation.messages`, `ChatMessage.cursor` and
# `messageAdded(after:)`.
MESSAGE_CURSORS = BY_SEQ.cursors_of("messages")


# --- validation -----------------------------------------------------------------------


def normalize_labels(labels: list[str], *, field: str = "labels") -> list[str]:
    cleaned: list[str] = []
    for label in labels:
        label = label.strip()
        if not LABEL_PATTERN.match(label):
            raise BadInput(
                f"{label!r} is not a valid label (1–64 letters, digits, ' .:/-_').", field=field
            )
        if label not in cleaned:
            cleaned.append(label)
    if len(cleaned) > MAX_LABELS:
        raise BadInput(f"At most {MAX_LABELS} labels.", field=field)
    return cleaned


def _lead_score(score: int | None) -> int | None:
    if score is not None and not 0 <= score <= 100:
        raise BadInput("leadScore must be between 0 and 100.", field="leadScore")
    return score


# --- event payloads (JSON-safe) -------------------------------------------------------


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


# --- contacts -------------------------------------------------------------------------


@dataclass
class ContactFields:
    """The writable fields of a contact; None means 'not given' for updates."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    handles: dict[str, str] | None = None
    lead_status: LeadStatus | None = None
    lead_score: int | None = None
    lead_temperature: LeadTemperature | None = None
    attributes: dict[str, Any] | None = None
    labels: list[str] | None = None
    cleared: set[str] = field(default_factory=set)  # fields explicitly set to null


# What null sets a non-nullable contact field to ("null clears"); lead_status has no
# empty value, so null is refused for it.
CLEARED_VALUES: dict[str, Callable[[], Any]] = {"handles": dict, "attributes": dict, "labels": list}


def _contact_values(data: ContactFields) -> dict[str, Any]:
    if "lead_status" in data.cleared:
        raise BadInput("leadStatus cannot be null.", field="leadStatus")
    values: dict[str, Any] = {
        name: CLEARED_VALUES[name]() if name in CLEARED_VALUES else None for name in data.cleared
    }
    if data.name is not None:
        values["name"] = required_text(data.name, field="name")
    if data.phone is not None:
        values["phone"] = normalize_phone(data.phone)
    if data.email is not None:
        values["email"] = normalize_email(data.email)
    if data.handles is not None:
        if not all(isinstance(v, str) and v.strip() for v in data.handles.values()):
            raise BadInput("Every channel handle must be a non-empty string.", field="handles")
        values["handles"] = {k.strip().lower(): v.strip() for k, v in data.handles.items()}
    for name in ("lead_status", "lead_temperature", "attributes"):
        if getattr(data, name) is not None:
            values[name] = getattr(data, name)
    if data.lead_score is not None:
        values["lead_score"] = _lead_score(data.lead_score)
        values["score_updated_at"] = datetime.now(UTC)
    if data.labels is not None:
        values["labels"] = normalize_labels(data.labels)
    return values


async def _check_contact_unique(
    workspace_id: UUID, values: dict[str, Any], *, exclude: UUID | None = None
) -> None:
    for column in ("phone", "email"):
        if values.get(column) is None:
            continue
        clash = models.Contact.filter(workspace_id=workspace_id, **{column: values[column]})
        if exclude is not None:
            clash = clash.exclude(id=exclude)
        if await clash.exists():
            raise Conflict(f"Another contact has this {column}.", field=column)


@asynccontextmanager
async def _unique_contact(
    workspace_id: UUID, values: dict[str, Any], *, exclude: UUID | None = None
) -> AsyncIterator[None]:
    """Around a contact's write: a phone or e-mail another contact has is a Conflict naming
    the field, found before the write or, when a concurrent write won the unique
    constraint, after it."""
    await _check_contact_unique(workspace_id, values, exclude=exclude)
    try:
        yield
    except IntegrityError:
        await _check_contact_unique(workspace_id, values, exclude=exclude)
        raise Conflict("Another contact has this phone or email.", field="phone") from None


async def _record_contact(
    db: BaseDBAsyncClient, type: str, contact: models.Contact
) -> models.Event:
    payload = contact_payload(contact)
    return await events.record(db, workspace_id=contact.workspace_id, type=type, payload=payload)


async def create_contact(*, workspace_id: UUID, data: ContactFields) -> models.Contact:
    if data.name is None:
        raise BadInput("name is required.", field="name")
    values = _contact_values(data)
    async with _unique_contact(workspace_id, values), in_transaction() as db:
        contact = await models.Contact.create(using_db=db, workspace_id=workspace_id, **values)
        event = await _record_contact(db, "contact.created", contact)
    await events.publish(event)
    return contact


async def update_contact(
    *, workspace_id: UUID, contact_id: UUID, data: ContactFields
) -> models.Contact:
    if "name" in data.cleared:
        raise BadInput("name cannot be null.", field="name")
    values = _contact_values(data)
    if not values:
        raise BadInput("Nothing to update: pass at least one field.")
    async with _unique_contact(workspace_id, values, exclude=contact_id), in_transaction() as db:
        updated = (
            await models.Contact.filter(id=contact_id, workspace_id=workspace_id)
            .using_db(db)
            .update(**values, updated_at=datetime.now(UTC))
        )
        if not updated:
            raise NotFound("No such contact.", field="contactId")
        contact = await models.Contact.get(id=contact_id, using_db=db)
        event = await _record_contact(db, "contact.updated", contact)
    await events.publish(event)
    return contact


async def list_contacts(
    *,
    workspace_id: UUID,
    lead_status: LeadStatus | None = None,
    search: str | None = None,
    ascending: bool = False,
    page: PageArgs,
) -> Page[models.Contact]:
    query = models.Contact.filter(workspace_id=workspace_id)
    if lead_status is not None:
        query = query.filter(lead_status=lead_status)
    if search:
        term = search.strip()
        query = query.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(phone__contains=term)
        )
    sort = BY_CREATED_ASC if ascending else BY_CREATED_DESC
    return await keyset_page(query, sort, page)


# --- conversations --------------------------------------------------------------------


async def get_conversation(*, workspace_id: UUID, conversation_id: UUID) -> models.Conversation:
    conversation = await models.Conversation.get_or_none(
        id=conversation_id, workspace_id=workspace_id
    )
    if conversation is None:
        raise NotFound("No such conversation.", field="conversationId")
    return conversation


async def _member_id(workspace_id: UUID, user_id: UUID, *, field: str) -> UUID:
    if not await models.Membership.exists(workspace_id=workspace_id, user_id=user_id):
        raise NotFound("No such member in this workspace.", field=field)
    return user_id


async def _set_label_rows(db: BaseDBAsyncClient, conversation: models.Conversation) -> None:
    await models.ConversationLabel.filter(conversation_id=conversation.id).using_db(db).delete()
    await models.ConversationLabel.bulk_create(
        [
            models.ConversationLabel(
                workspace_id=conversation.workspace_id, conversation_id=conversation.id, label=label
            )
            for label in conversation.labels
        ],
        using_db=db,
    )


async def _record_conversation(
    db: BaseDBAsyncClient, type: str, conversation: models.Conversation
) -> models.Event:
    return await events.record(
        db,
        workspace_id=conversation.workspace_id,
        type=type,
        conversation_id=conversation.id,
        payload=conversation_payload(conversation),
    )


async def start_conversation(
    *,
    workspace_id: UUID,
    contact_id: UUID,
    channel: Channel,
    title: str | None = None,
    priority: Priority = Priority.NORMAL,
    labels: list[str] | None = None,
    assignee_id: UUID | None = None,
) -> models.Conversation:
    if not await models.Contact.exists(id=contact_id, workspace_id=workspace_id):
        raise NotFound("No such contact.", field="contactId")
    if assignee_id is not None:
        await _member_id(workspace_id, assignee_id, field="assigneeId")
    title = required_text(title, field="title", max_length=300) if title is not None else None
    async with in_transaction() as db:
        conversation = await models.Conversation.create(
            using_db=db,
            workspace_id=workspace_id,
            contact_id=contact_id,
            channel=channel,
            title=title,
            priority=priority,
            labels=normalize_labels(labels or []),
            assignee_id=assignee_id,
            last_activity_at=datetime.now(UTC),
        )
        await _set_label_rows(db, conversation)
        event = await _record_conversation(db, "conversation.created", conversation)
    await events.publish(event)
    return conversation


async def change_conversation(
    *,
    workspace_id: UUID,
    conversation_id: UUID,
    change: Callable[[models.Conversation], None],
    labels_changed: bool = False,
) -> models.Conversation:
    """Apply `change` to a locked conversation row, save, and record conversation.updated."""
    async with in_transaction() as db:
        conversation = await (
            models.Conversation.filter(id=conversation_id, workspace_id=workspace_id)
            .using_db(db)
            .select_for_update()
            .first()
        )
        if conversation is None:
            raise NotFound("No such conversation.", field="conversationId")
        change(conversation)
        await conversation.save(using_db=db)
        if labels_changed:
            await _set_label_rows(db, conversation)
        event = await _record_conversation(db, "conversation.updated", conversation)
    await events.publish(event)
    return conversation


async def assign_conversation(
    *, workspace_id: UUID, conversation_id: UUID, assignee_id: UUID | None
) -> models.Conversation:
    if assignee_id is not None:
        await _member_id(workspace_id, assignee_id, field="assigneeId")

    def assign(conversation: models.Conversation) -> None:
        conversation.assignee_id = assignee_id

    return await change_conversation(
        workspace_id=workspace_id, conversation_id=conversation_id, change=assign
    )


async def set_conversation_status(
    *,
    workspace_id: UUID,
    conversation_id: UUID,
    status: ConversationStatus,
    snoozed_until: datetime | None = None,
) -> models.Conversation:
    snoozed_until = utc_time(snoozed_until, field="snoozedUntil")
    if status is ConversationStatus.SNOOZED:
        if snoozed_until is None or snoozed_until <= datetime.now(UTC):
            raise BadInput("SNOOZED needs snoozedUntil in the future.", field="snoozedUntil")
    elif snoozed_until is not None:
        raise BadInput("snoozedUntil goes only with SNOOZED.", field="snoozedUntil")

    def set_status(conversation: models.Conversation) -> None:
        conversation.status = status
        conversation.snoozed_until = snoozed_until

    return await change_conversation(
        workspace_id=workspace_id, conversation_id=conversation_id, change=set_status
    )


async def handoff_conversation(
    *, workspace_id: UUID, conversation_id: UUID, reason: str, assignee_id: UUID | None = None
) -> models.Conversation:
    reason = required_text(reason, field="reason", max_length=MAX_HANDOFF_REASON)
    if assignee_id is not None:
        await _member_id(workspace_id, assignee_id, field="assigneeId")

    def hand_off(conversation: models.Conversation) -> None:
        conversation.ai_state = AiState.HANDOFF
        conversation.handoff_reason = reason
        conversation.handoff_at = datetime.now(UTC)
        if assignee_id is not None:
            conversation.assignee_id = assignee_id

    return await change_conversation(
        workspace_id=workspace_id, conversation_id=conversation_id, change=hand_off
    )


async def set_conversation_ai_state(
    *, workspace_id: UUID, conversation_id: UUID, ai_state: AiState
) -> models.Conversation:
    def set_state(conversation: models.Conversation) -> None:
        conversation.ai_state = ai_state

    return await change_conversation(
        workspace_id=workspace_id, conversation_id=conversation_id, change=set_state
    )


async def label_conversation(
    *, workspace_id: UUID, conversation_id: UUID, add: list[str], remove: list[str]
) -> models.Conversation:
    add, remove = normalize_labels(add, field="add"), normalize_labels(remove, field="remove")
    if not add and not remove:
        raise BadInput("Pass labels to add or remove.", field="add")

    def relabel(conversation: models.Conversation) -> None:
        kept = [label for label in conversation.labels if label not in remove]
        conversation.labels = normalize_labels(
            kept + [a for a in add if a not in kept], field="add"
        )

    return await change_conversation(
        workspace_id=workspace_id,
        conversation_id=conversation_id,
        change=relabel,
        labels_changed=True,
    )


async def archive_conversation(
    *, workspace_id: UUID, conversation_id: UUID, archived: bool
) -> models.Conversation:
    def archive(conversation: models.Conversation) -> None:
        conversation.archived = archived

    return await change_conversation(
        workspace_id=workspace_id, conversation_id=conversation_id, change=archive
    )


@dataclass(frozen=True)
class ConversationFilter:
    status: ConversationStatus | None = None
    assignee_id: UUID | None = None
    unassigned: bool = False
    channel: Channel | None = None
    ai_state: AiState | None = None
    label: str | None = None
    contact_id: UUID | None = None
    archived: bool | None = False
    search: str | None = None


def _filtered_conversations(
    workspace_id: UUID, where: ConversationFilter
) -> QuerySet[models.Conversation]:
    query = models.Conversation.filter(workspace_id=workspace_id)
    exact = {
        "status": where.status,
        "assignee_id": where.assignee_id,
        "channel": where.channel,
        "ai_state": where.ai_state,
        "contact_id": where.contact_id,
        "archived": where.archived,
    }
    query = query.filter(**{k: v for k, v in exact.items() if v is not None})
    if where.unassigned:
        query = query.filter(assignee_id=None)
    if where.label:
        labelled = models.ConversationLabel.filter(
            workspace_id=workspace_id, label=where.label
        ).values("conversation_id")
        query = query.filter(id__in=Subquery(labelled))
    if where.search and where.search.strip():
        term = where.search.strip()
        matching_contacts = models.Contact.filter(
            workspace_id=workspace_id, name__icontains=term
        ).values("id")
        query = query.filter(
            Q(title__icontains=term) | Q(contact_id__in=Subquery(matching_contacts))
        )
    return query


async def list_conversations(
    *, workspace_id: UUID, where: ConversationFilter, sort: SortKey, page: PageArgs
) -> Page[models.Conversation]:
    return await keyset_page(_filtered_conversations(workspace_id, where), sort, page)


async def list_messages(
    *, workspace_id: UUID, conversation_id: UUID, page: PageArgs
) -> Page[models.Message]:
    query = models.Message.filter(workspace_id=workspace_id, conversation_id=conversation_id)
    return await keyset_page(query, BY_SEQ, page)


# --- messages -------------------------------------------------------------------------


@dataclass(frozen=True)
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
    input_tokens_include_cache: bool | None = None  # None: not said (the Anthropic way)
    output_tokens_include_reasoning: bool = True
    response_time_ms: int | None = None
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
            "response_time_ms": self.usage.response_time_ms,
        }


async def _meter(
    workspace_id: UUID, usage: MessageUsage
) -> tuple[recording.MessageUsageReport, models.AiUsageEvent | None]:
    """Check and price a message's usage before its transaction; also the usage already
    recorded under its requestId, if any."""
    if usage.response_time_ms is not None and usage.response_time_ms < 0:
        raise BadInput("responseTimeMs must not be negative.", field="responseTimeMs")
    return await recording.prepare_message_usage(
        workspace_id=workspace_id,
        report=_usage_report(usage),
        include_cache=bool(usage.input_tokens_include_cache),
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
        input_tokens_include_cache=bool(usage.input_tokens_include_cache),
        reasoning_tokens=usage.reasoning_tokens,
        output_tokens_include_reasoning=usage.output_tokens_include_reasoning,
        latency_ms=usage.response_time_ms,
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
