"""Inbox subscriptions: new messages of a conversation, and the inbox's event stream.

Both resume from a cursor without loss or duplicates (see api/core/streams.py).
"""

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from api.core import events
from api.core.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.permissions import CanRead
from api.core.streams import NOT_IN_PAYLOAD, Wakeup, _NotInPayload, follow_after, follow_events
from api.inbox import event_payloads, service
from api.inbox import messages as message_service
from api.inbox.types import ChatMessage, Contact, Conversation
from models import Event


@strawberry.enum(description="What changed in the inbox.")
class InboxEventType(Enum):
    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    MESSAGE_CREATED = "message.created"
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"


INBOX_EVENT_TYPES = {member.value: member for member in InboxEventType}


@strawberry.type(description="One change in the inbox, in the order it was committed.")
class InboxEvent:
    cursor: str = strawberry.field(description="Resume `inboxEvents(after:)` from here.")
    type: InboxEventType = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it was committed.")
    _conversation_id: strawberry.Private[UUID | None]
    _contact_id: strawberry.Private[UUID | None]
    _message: strawberry.Private[dict[str, Any] | None]

    @strawberry.field(description="The conversation concerned, as it is now.")
    async def conversation(self, info: Info) -> Conversation | None:
        return await Conversation.load(info, self._conversation_id)

    @strawberry.field(description="The contact concerned, as it is now.")
    async def contact(self, info: Info) -> Contact | None:
        return await Contact.load(info, self._contact_id)

    @strawberry.field(description="The new message (MESSAGE_CREATED).")
    def message(self) -> ChatMessage | None:
        if self._message is None:
            return None
        return ChatMessage.from_model(event_payloads.message_from_payload(self._message))

    @classmethod
    def build(
        cls, seq: int, type: InboxEventType, payload: dict[str, Any], occurred_at: datetime
    ) -> "InboxEvent":
        conversation = payload.get("conversation") or (
            payload if type.value.startswith("conversation.") else None
        )
        contact_id = (
            conversation["contactId"]
            if conversation
            else (payload.get("id") if type.value.startswith("contact.") else None)
        )
        return cls(
            cursor=events.EVENT_CURSORS.encode([seq]),
            type=type,
            occurred_at=occurred_at,
            _conversation_id=UUID(conversation["id"]) if conversation else None,
            _contact_id=UUID(contact_id) if contact_id else None,
            _message=payload.get("message"),
        )


@strawberry.input(description="Which inbox events to receive (all when omitted).")
class InboxEventFilter:
    types: list[InboxEventType] | None = strawberry.field(
        default=None, description="Only these kinds of change."
    )
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes of this conversation."
    )


class InboxEventStream:
    """Every event of the workspace is a position; the filter decides what is sent."""

    def __init__(
        self, workspace_id: UUID, types: set[InboxEventType] | None, conversation_id: UUID | None
    ) -> None:
        self.workspace_id = workspace_id
        self.types = types
        self.conversation_id = conversation_id

    def _item(
        self,
        seq: int,
        type_name: str,
        conversation_id: str | None,
        payload: dict[str, Any],
        occurred_at: datetime,
    ) -> InboxEvent | None:
        type = INBOX_EVENT_TYPES.get(type_name)
        if type is None or (self.types is not None and type not in self.types):
            return None
        if self.conversation_id is not None and conversation_id != str(self.conversation_id):
            return None
        return InboxEvent.build(seq, type, payload, occurred_at)

    def position_of(self, wakeup: Wakeup) -> int | None:
        return wakeup.seq

    def item_from(self, wakeup: Wakeup) -> InboxEvent | _NotInPayload | None:
        if wakeup.occurred_at is None:
            return NOT_IN_PAYLOAD
        return self._item(
            wakeup.seq,
            wakeup.type,
            wakeup.conversation_id,
            wakeup.payload,
            datetime.fromisoformat(wakeup.occurred_at),
        )

    async def read_after(self, position: int, limit: int) -> list[tuple[int, InboxEvent | None]]:
        rows: list[Event] = await events.events_after(self.workspace_id, position, limit)
        return [
            (
                row.seq,
                self._item(
                    row.seq,
                    row.type,
                    str(row.conversation_id) if row.conversation_id else None,
                    row.payload,
                    row.created_at,
                ),
            )
            for row in rows
        ]


class MessageStream:
    """The messages of one conversation; positions are their `seq`."""

    def __init__(self, workspace_id: UUID, conversation_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.conversation_id = conversation_id

    def position_of(self, wakeup: Wakeup) -> int | None:
        if wakeup.type != "message.created" or wakeup.conversation_id != str(self.conversation_id):
            return None
        return int(wakeup.payload["message"]["seq"])

    def item_from(self, wakeup: Wakeup) -> ChatMessage | _NotInPayload | None:
        return ChatMessage.from_model(
            event_payloads.message_from_payload(wakeup.payload["message"])
        )

    async def read_after(self, position: int, limit: int) -> list[tuple[int, ChatMessage | None]]:
        rows = await message_service.messages_after(
            workspace_id=self.workspace_id,
            conversation_id=self.conversation_id,
            seq=position,
            limit=limit,
        )
        return [(row.seq, ChatMessage.from_model(row)) for row in rows]


@strawberry.type
class InboxSubscriptions:
    @strawberry.subscription(
        permission_classes=[CanRead],
        description="New messages of a conversation. `after`: the cursor of the last message "
        "you have (an edge cursor of `conversation.messages`); they are sent from there, "
        "each once, in order.",
    )
    async def message_added(
        self, info: Info, conversation_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ChatMessage, None]:
        workspace_id = info.context.workspace_id
        key = decode_id(conversation_id, "Conversation", field="conversationId")
        conversation = await service.get_conversation(
            workspace_id=workspace_id, conversation_id=key
        )

        async def current() -> int:
            now = await service.get_conversation(
                workspace_id=workspace_id, conversation_id=conversation.id
            )
            return now.message_count

        stream = MessageStream(workspace_id, conversation.id)
        messages = follow_after(
            info.context, stream, after, cursors=service.MESSAGE_CURSORS, current=current
        )
        async for message in messages:
            yield message

    @strawberry.subscription(
        permission_classes=[CanRead],
        description="Everything the inbox list needs, in commit order. `after`: the cursor "
        "of the last event you saw; events are sent from there, each once, in order.",
    )
    async def inbox_events(
        self, info: Info, after: str | None = None, filter: InboxEventFilter | None = None
    ) -> AsyncGenerator[InboxEvent, None]:
        workspace_id = info.context.workspace_id
        where = filter or InboxEventFilter()
        conversation_key = decode_optional_id(
            where.conversation_id, "Conversation", field="conversationId"
        )
        stream = InboxEventStream(
            workspace_id, set(where.types) if where.types else None, conversation_key
        )
        async for event in follow_events(info.context, stream, after):
            yield event
