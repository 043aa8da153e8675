"""GraphQL types of the inbox: contacts, conversations, chat messages, and the list
arguments; mutation inputs and results are in api.inbox.payloads."""

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeAlias
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

import models
from api.core.connections import KeysetConnection, connection_of
from api.core.context import Info
from api.core.nodes import ModelNode
from api.core.pagination import PageArgs
from api.core.rows import from_row
from api.core.scalars import Long
from api.core.validation import MAX_SEARCH, column, limit
from api.inbox import service
from api.inbox.loaders import ContactByIdLoader, ConversationByIdLoader, MessageByIdLoader
from api.tenancy.types import User
from models import enums

# The GraphQL enums are the models' enums, described for the schema; the names are type
# aliases (not variables) so that fields annotated with them type-check.
strawberry.enum(enums.LeadStatus, description="Where a lead stands.")
strawberry.enum(enums.LeadTemperature, description="How likely to convert.")
strawberry.enum(enums.Channel, description="Where the conversation happens.")
strawberry.enum(enums.ConversationStatus, description="The conversation's state in the inbox.")
strawberry.enum(enums.Priority, description="How urgent the conversation is.")
strawberry.enum(enums.AiState, description="Where the AI bot is in its script.")
strawberry.enum(enums.MessageRole, description="Who wrote a message.")
LeadStatus: TypeAlias = enums.LeadStatus
LeadTemperature: TypeAlias = enums.LeadTemperature
Channel: TypeAlias = enums.Channel
ConversationStatus: TypeAlias = enums.ConversationStatus
Priority: TypeAlias = enums.Priority
AiState: TypeAlias = enums.AiState
MessageRole: TypeAlias = enums.MessageRole


@strawberry.type(description="A lead or customer.")
class Contact(ModelNode):
    loader_class = ContactByIdLoader
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Display name.")
    phone: str | None = strawberry.field(description="Phone number, E.164.")
    email: str | None = strawberry.field(description="E-mail address.")
    handles: JSON = strawberry.field(
        description='Channel handles, e.g. {"whatsapp": "+6281234567"}.'
    )
    lead_status: LeadStatus = strawberry.field(description="Lead status.")
    lead_score: int | None = strawberry.field(description="Lead score 0–100, once scored.")
    lead_temperature: LeadTemperature | None = strawberry.field(
        description="Hot, warm or cold, once scored."
    )
    score_updated_at: datetime | None = strawberry.field(description="When last scored.")
    attributes: JSON = strawberry.field(description="Custom attributes (a JSON object).")
    labels: list[str] = strawberry.field(description="Labels.")
    total_tokens: Long = strawberry.field(description="AI tokens spent on this contact.")
    total_cost: Decimal = strawberry.field(description="AI cost of this contact, USD.")
    created_at: datetime = strawberry.field(description="When created.")
    updated_at: datetime = strawberry.field(description="When last changed.")

    @classmethod
    def from_model(cls, row: models.Contact) -> "Contact":
        return from_row(cls, row, id=str(row.id))


@strawberry.type(description="One message of a conversation.")
class ChatMessage(ModelNode):
    loader_class = MessageByIdLoader
    id: relay.NodeID[str]
    seq: int = strawberry.field(description="1, 2, 3 … within its conversation, gap-free.")
    cursor: str = strawberry.field(
        description="This message's cursor, as in `messages` edges and `messageAdded(after:)`."
    )
    role: MessageRole = strawberry.field(description="Who wrote it.")
    content: str = strawberry.field(
        description="The text.", metadata=limit(service.MAX_MESSAGE_LENGTH)
    )
    model: str | None = strawberry.field(description="The LLM that wrote it, for AI messages.")
    input_tokens: int = strawberry.field(description="Uncached input tokens.")
    cache_read_tokens: int = strawberry.field(description="Input tokens read from the cache.")
    cache_write_tokens: int = strawberry.field(description="Input tokens written to the cache.")
    output_tokens: int = strawberry.field(description="Visible output tokens.")
    reasoning_tokens: int = strawberry.field(description="Reasoning (thinking) tokens.")
    cost: Decimal | None = strawberry.field(description="AI cost in USD, when priced.")
    response_time_ms: int | None = strawberry.field(description="How long the reply took.")
    metadata: JSON = strawberry.field(description="Free-form metadata (a JSON object).")
    created_at: datetime = strawberry.field(description="When it was sent.")
    _conversation_id: strawberry.Private[Any]
    _author_id: strawberry.Private[Any]

    @strawberry.field(description="The conversation it belongs to.")
    async def conversation(self, info: Info) -> "Conversation":
        row = await info.context.loader(ConversationByIdLoader).load(self._conversation_id)
        assert row is not None
        return Conversation.from_model(row)

    @strawberry.field(description="The agent who wrote it (AGENT messages).")
    async def author(self, info: Info) -> User | None:
        return await User.load(info, self._author_id)

    @classmethod
    def from_model(cls, row: models.Message) -> "ChatMessage":
        return from_row(
            cls,
            row,
            id=str(row.id),
            cursor=service.MESSAGE_CURSORS.encode(service.BY_SEQ.values_of(row)),
            _conversation_id=row.conversation_id,
            _author_id=row.author_id,
        )


@dataclass(frozen=True)
class ConversationRelated:
    """Rows loaded up front for a page of conversations (None: not loaded, use the loader)."""

    contact: models.Contact | None = None
    assignee: models.User | None = None
    last_message: models.Message | None = None


@strawberry.type(description="A thread with one contact on one channel.")
class Conversation(ModelNode):
    loader_class = ConversationByIdLoader
    id: relay.NodeID[str]
    channel: Channel = strawberry.field(description="Where it happens.")
    status: ConversationStatus = strawberry.field(description="Open, pending, snoozed or resolved.")
    snoozed_until: datetime | None = strawberry.field(description="End of a snooze.")
    priority: Priority = strawberry.field(description="Urgency.")
    ai_state: AiState = strawberry.field(description="The bot's stage.")
    handoff_reason: str | None = strawberry.field(description="Why the bot handed over.")
    handoff_at: datetime | None = strawberry.field(description="When the bot handed over.")
    title: str | None = strawberry.field(description="Subject line.")
    labels: list[str] = strawberry.field(description="Labels.")
    archived: bool = strawberry.field(description="Hidden from the default inbox.")
    message_count: int = strawberry.field(description="How many messages it has.")
    last_message_at: datetime | None = strawberry.field(description="Time of the last message.")
    waiting_since: datetime | None = strawberry.field(
        description="Since when the contact has been waiting for a reply (null: not waiting)."
    )
    first_reply_at: datetime | None = strawberry.field(description="First human agent reply.")
    total_tokens: Long = strawberry.field(description="AI tokens spent in it.")
    total_cost: Decimal = strawberry.field(description="AI cost in it, USD.")
    created_at: datetime = strawberry.field(description="When it started.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    _key: strawberry.Private[UUID]
    _contact_id: strawberry.Private[Any]
    _assignee_id: strawberry.Private[Any]
    _last_message_id: strawberry.Private[Any]
    _related: strawberry.Private[ConversationRelated | None] = None

    @strawberry.field(description="Who the conversation is with.", graphql_type=Contact)
    def contact(self, info: Info) -> Contact | Awaitable[Contact]:
        if self._related is not None and self._related.contact is not None:
            return Contact.from_model(self._related.contact)
        return self._load_contact(info)

    async def _load_contact(self, info: Info) -> Contact:
        row = await info.context.loader(ContactByIdLoader).load(self._contact_id)
        assert row is not None
        return Contact.from_model(row)

    @strawberry.field(description="The member handling it, if any.", graphql_type=User | None)
    def assignee(self, info: Info) -> User | Awaitable[User | None] | None:
        if self._assignee_id is None:
            return None
        if self._related is not None and self._related.assignee is not None:
            return User.from_model(self._related.assignee)
        return self._load_assignee(info)

    async def _load_assignee(self, info: Info) -> User | None:
        return await User.load(info, self._assignee_id)

    @strawberry.field(description="The latest message.", graphql_type=ChatMessage | None)
    def last_message(self, info: Info) -> ChatMessage | Awaitable[ChatMessage | None] | None:
        if self._last_message_id is None:
            return None
        if self._related is not None and self._related.last_message is not None:
            return ChatMessage.from_model(self._related.last_message)
        return self._load_last_message(info)

    async def _load_last_message(self, info: Info) -> ChatMessage | None:
        return await ChatMessage.load(info, self._last_message_id)

    @strawberry.field(
        description="Messages, oldest first; page with first/after or last/before.",
        extensions=[KeysetConnection(service.MESSAGE_CURSORS.list_name)],
    )
    async def messages(self, info: Info, page: PageArgs) -> relay.Connection[ChatMessage]:
        found = await service.list_messages(
            workspace_id=info.context.workspace_id, conversation_id=self._key, page=page
        )
        return connection_of(found, ChatMessage.from_model)

    @classmethod
    def from_model(
        cls, row: models.Conversation, related: ConversationRelated | None = None
    ) -> "Conversation":
        return from_row(
            cls,
            row,
            id=str(row.id),
            _key=row.id,
            _contact_id=row.contact_id,
            _assignee_id=row.assignee_id,
            _last_message_id=row.last_message_id,
            _related=related,
        )


# --- list arguments -------------------------------------------------------------------


@strawberry.enum(description="Orders of the contact list.")
class ContactOrder(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


@strawberry.input(description="Narrow the contact list.")
class ContactFilter:
    lead_status: LeadStatus | None = strawberry.field(
        default=None, description="Only this lead status."
    )
    search: str | None = strawberry.field(
        default=None, description="Name, e-mail or phone contains this.", metadata=limit(MAX_SEARCH)
    )


@strawberry.enum(description="Orders of the conversation list.")
class ConversationOrder(Enum):
    LAST_MESSAGE_AT_DESC = "LAST_MESSAGE_AT_DESC"
    LAST_MESSAGE_AT_ASC = "LAST_MESSAGE_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


@strawberry.input(description="Narrow the conversation list; all given conditions apply.")
class ConversationFilter:
    status: ConversationStatus | None = strawberry.field(
        default=None, description="Only this status."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only those assigned to this user."
    )
    unassigned: bool = strawberry.field(default=False, description="Only unassigned ones.")
    channel: Channel | None = strawberry.field(default=None, description="Only this channel.")
    ai_state: AiState | None = strawberry.field(default=None, description="Only this AI state.")
    label: str | None = strawberry.field(
        default=None,
        description="Only with this label.",
        metadata=column(models.ConversationLabel, "label"),
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only with this contact."
    )
    archived: bool | None = strawberry.field(
        default=False, description="Archived ones (true), live ones (false, default), or both."
    )
    search: str | None = strawberry.field(
        default=None, description="Title or contact name contains this.", metadata=limit(MAX_SEARCH)
    )
