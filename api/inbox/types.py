"""GraphQL types of the inbox: contacts, conversations, chat messages; inputs and results."""

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, TypeAlias
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

import models
from api.core.connections import KeysetConnection, connection_of
from api.core.context import Info
from api.core.error_types import (
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    ValidationError,
)
from api.core.nodes import ModelNode
from api.core.pagination import PageArgs
from api.core.rows import from_row
from api.core.scalars import Long
from api.core.validation import MAX_SEARCH, column, limit
from api.inbox import service
from api.inbox.loaders import ContactByIdLoader, ConversationByIdLoader, MessageByIdLoader
from api.tenancy.types import User
from api.usage import recording
from api.usage.types import AiUsageEvent
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


# Bounds of text inputs, from the columns they are stored in (api.core.validation).
CONTACT_NAME = column(models.Contact, "name")
CONTACT_PHONE = column(models.Contact, "phone")
CONTACT_EMAIL = column(models.Contact, "email")
LABEL = column(models.ConversationLabel, "label")


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


# --- mutation inputs and results --------------------------------------------------------


@strawberry.input(description="A new contact.")
class CreateContactInput:
    name: str = strawberry.field(description="Display name.", metadata=CONTACT_NAME)
    phone: str | None = strawberry.field(
        default=None, description="Phone, E.164 (+62…).", metadata=CONTACT_PHONE
    )
    email: str | None = strawberry.field(
        default=None, description="E-mail.", metadata=CONTACT_EMAIL
    )
    handles: JSON | None = strawberry.field(default=None, description="Channel handles.")
    lead_status: LeadStatus | None = strawberry.field(
        default=None, description="Lead status (NEW if not given)."
    )
    lead_score: int | None = strawberry.field(default=None, description="Score 0–100.")
    lead_temperature: LeadTemperature | None = strawberry.field(
        default=None, description="Temperature."
    )
    attributes: JSON | None = strawberry.field(default=None, description="Custom attributes.")
    labels: list[str] | None = strawberry.field(default=None, description="Labels.", metadata=LABEL)


@strawberry.input(description="Change a contact; omitted fields stay, null clears.")
class UpdateContactInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact.")
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Display name.", metadata=CONTACT_NAME
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone, E.164.", metadata=CONTACT_PHONE
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail.", metadata=CONTACT_EMAIL
    )
    handles: JSON | None = strawberry.field(default=strawberry.UNSET, description="Handles.")
    lead_status: LeadStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Lead status."
    )
    lead_score: int | None = strawberry.field(default=strawberry.UNSET, description="Score.")
    lead_temperature: LeadTemperature | None = strawberry.field(
        default=strawberry.UNSET, description="Temperature."
    )
    attributes: JSON | None = strawberry.field(default=strawberry.UNSET, description="Attributes.")
    labels: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Labels.", metadata=LABEL
    )


@strawberry.type(description="The new contact.")
class CreateContactPayload:
    contact: Contact = strawberry.field(description="The contact created.")


@strawberry.type(description="The changed contact.")
class UpdateContactPayload:
    contact: Contact = strawberry.field(description="The contact, changed.")


CreateContactResult = Annotated[
    CreateContactPayload | ValidationError | ConflictError,
    strawberry.union("CreateContactResult", description="The new contact, or why not."),
]
UpdateContactResult = Annotated[
    UpdateContactPayload | ValidationError | NotFoundError | ConflictError,
    strawberry.union("UpdateContactResult", description="The changed contact, or why not."),
]


@strawberry.input(description="Start a conversation with a contact.")
class StartConversationInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact.")
    channel: Channel = strawberry.field(description="The channel.")
    title: str | None = strawberry.field(
        default=None, description="Subject line.", metadata=column(models.Conversation, "title")
    )
    priority: Priority = strawberry.field(default=enums.Priority.NORMAL, description="Urgency.")
    labels: list[str] | None = strawberry.field(default=None, description="Labels.", metadata=LABEL)
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="A member to assign it to."
    )


@strawberry.type(description="The new conversation.")
class StartConversationPayload:
    conversation: Conversation = strawberry.field(description="The conversation started.")


StartConversationResult = Annotated[
    StartConversationPayload | ValidationError | NotFoundError,
    strawberry.union("StartConversationResult", description="The conversation, or why not."),
]


@strawberry.input(
    description="Token usage of an AI message, recorded as an AI usage event with it "
    "(priced by Parley; a usage without a model is recorded as model `unknown`)."
)
class MessageUsageInput:
    model: str | None = strawberry.field(
        default=None, description="The LLM's id.", metadata=column(models.Message, "model")
    )
    input_tokens: int = strawberry.field(default=0, description="Input tokens as reported.")
    output_tokens: int = strawberry.field(default=0, description="Output tokens.")
    cache_read_tokens: int = strawberry.field(default=0, description="Cache-read tokens.")
    cache_write_tokens: int = strawberry.field(default=0, description="Cache-write tokens.")
    reasoning_tokens: int = strawberry.field(
        default=0, description="Reasoning (thinking) tokens (see RecordAiUsageInput)."
    )
    output_tokens_include_reasoning: bool = strawberry.field(
        default=True,
        description="True when outputTokens includes reasoningTokens (OpenAI, Anthropic); "
        "false when beside it (Gemini).",
    )
    input_tokens_include_cache: bool = strawberry.field(
        default=False,
        description="True when inputTokens includes the cached tokens (OpenAI style); "
        "false when it excludes them (Anthropic style).",
    )
    response_time_ms: int | None = strawberry.field(
        default=None, description="Latency (the usage event's latencyMs)."
    )
    cache_write_1h_tokens: int = strawberry.field(
        default=0, description="The part of cacheWriteTokens written with a 1-hour TTL."
    )
    operation: str = strawberry.field(
        default="reply",
        description="What the call was for (the usage event's operation).",
        metadata=column(models.AiUsageEvent, "operation"),
    )
    ai_type: str | None = strawberry.field(
        default=None,
        description="The bot role: MOUTH …",
        metadata=column(models.AiUsageEvent, "ai_type"),
    )
    request_id: str | None = strawberry.field(
        default=None,
        description="Idempotency key: sending again with it returns the first message.",
        metadata=column(models.AiUsageEvent, "request_id"),
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the call happened (default now)."
    )
    reservation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The budget reservation this call settles."
    )


@strawberry.input(description="Append a message to a conversation.")
class SendMessageInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    role: MessageRole = strawberry.field(description="Who writes it.")
    content: str = strawberry.field(
        description="The text.", metadata=limit(service.MAX_MESSAGE_LENGTH)
    )
    usage: MessageUsageInput | None = strawberry.field(
        default=None, description="Token usage, for AI messages."
    )
    metadata: JSON | None = strawberry.field(default=None, description="Free-form metadata.")


@strawberry.type(description="The message sent.")
class SendMessagePayload:
    chat_message: ChatMessage = strawberry.field(description="The new message.")
    _message: strawberry.Private[models.Message]

    @strawberry.field(description="Its conversation, updated.")
    async def conversation(self, info: Info) -> Conversation:
        conversation: Conversation | None = await Conversation.load(
            info, self._message.conversation_id
        )
        assert conversation is not None
        return conversation

    @strawberry.field(description="The usage event recorded with it (null without usage).")
    async def usage(self, info: Info) -> AiUsageEvent | None:
        row = await recording.usage_of_message(
            workspace_id=info.context.workspace_id, message_id=self._message.id
        )
        return AiUsageEvent.from_model(row) if row else None

    @classmethod
    def of(cls, message: models.Message) -> "SendMessagePayload":
        """The payload of a sent message; its conversation and usage are read only when
        the client selects them."""
        return cls(chat_message=ChatMessage.from_model(message), _message=message)


SendMessageResult = Annotated[
    SendMessagePayload | ValidationError | NotFoundError | ConflictError | QuotaExceededError,
    strawberry.union("SendMessageResult", description="The message, or why not."),
]


@strawberry.input(description="Assign a conversation to a member, or unassign it.")
class AssignConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member (a User id); null unassigns."
    )


@strawberry.input(description="Change a conversation's status.")
class SetConversationStatusInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    status: ConversationStatus = strawberry.field(description="The new status.")
    snoozed_until: datetime | None = strawberry.field(
        default=None, description="Required for SNOOZED: when it wakes."
    )


@strawberry.input(description="Hand a conversation over from the bot to humans.")
class HandoffConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    reason: str = strawberry.field(
        description="Why the bot hands over.", metadata=limit(service.MAX_HANDOFF_REASON)
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="A member to assign it to."
    )


@strawberry.input(description="Move the bot to another stage.")
class SetConversationAiStateInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    ai_state: AiState = strawberry.field(description="The new stage.")


@strawberry.input(description="Add and remove labels.")
class LabelConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    add: list[str] = strawberry.field(
        default_factory=list, description="Labels to add.", metadata=LABEL
    )
    remove: list[str] = strawberry.field(
        default_factory=list, description="Labels to remove.", metadata=LABEL
    )


@strawberry.input(description="Archive or unarchive a conversation.")
class ArchiveConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    archived: bool = strawberry.field(default=True, description="False unarchives.")


def _conversation_result(verb_noun: str) -> tuple[type, Any]:
    """`<VerbNoun>Payload { conversation }` and its result union: the conversation mutations
    differ only in their input."""
    payload = strawberry.type(
        type(
            f"{verb_noun}Payload",
            (),
            {
                "__annotations__": {"conversation": Conversation},
                "conversation": strawberry.field(description="The conversation, changed."),
            },
        ),
        description="The changed conversation.",
    )
    result = Annotated[
        payload | ValidationError | NotFoundError,  # type: ignore[valid-type]
        strawberry.union(f"{verb_noun}Result", description="The conversation, or why not."),
    ]
    return payload, result


AssignConversationPayload, AssignConversationResult = _conversation_result("AssignConversation")
SetConversationStatusPayload, SetConversationStatusResult = _conversation_result(
    "SetConversationStatus"
)
HandoffConversationPayload, HandoffConversationResult = _conversation_result("HandoffConversation")
SetConversationAiStatePayload, SetConversationAiStateResult = _conversation_result(
    "SetConversationAiState"
)
LabelConversationPayload, LabelConversationResult = _conversation_result("LabelConversation")
ArchiveConversationPayload, ArchiveConversationResult = _conversation_result("ArchiveConversation")
