"""The inbox: conversations, and what its other modules share (sort keys, limits, labels).

Contacts are in api/inbox/contacts.py, messages in api/inbox/messages.py, event payloads in
api/inbox/event_payloads.py. Every function takes the caller's `workspace_id` and filters by it;
another workspace's object is NotFound. Writes run in one transaction and record their
events last (see api/core/events.py); events are published after commit.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from api.core import events
from api.core.errors import BadInput, NotFound
from api.core.pagination import Page, PageArgs, SortKey, keyset_page
from api.core.validation import required_text, utc_time
from api.inbox.event_payloads import conversation_payload
from models.enums import AiState, Channel, ConversationStatus, Priority

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
