"""GraphQL inputs and results of the inbox mutations."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

import models
from api.core.context import Info
from api.core.error_types import (
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    ValidationError,
)
from api.core.validation import column, limit
from api.inbox import service
from api.inbox.types import (
    AiState,
    Channel,
    ChatMessage,
    Contact,
    Conversation,
    ConversationStatus,
    LeadStatus,
    LeadTemperature,
    MessageRole,
    Priority,
)
from api.usage import recording
from api.usage.types import AiUsageEvent
from models import enums

# Bounds of text inputs, from the columns they are stored in (api.core.validation).
CONTACT_NAME = column(models.Contact, "name")
CONTACT_PHONE = column(models.Contact, "phone")
CONTACT_EMAIL = column(models.Contact, "email")
LABEL = column(models.ConversationLabel, "label")


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
        description="Required, as in RecordAiUsageInput (providers disagree): true when "
        "inputTokens includes the cached tokens (OpenAI style); false when cache reads and "
        "writes are reported beside it (Anthropic style)."
    )
    latency_ms: int | None = strawberry.field(
        default=None,
        description="How long the call took, in milliseconds (the usage event's latencyMs; "
        "ChatMessage.responseTimeMs).",
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
