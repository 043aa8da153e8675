"""Inbox mutations: thin resolvers that decode IDs, call the service, wrap the result."""

from typing import Any

import strawberry

from api.core.context import Info
from api.core.errors import BadInput
from api.core.ids import decode_id, decode_optional_id
from api.core.permissions import CanWrite
from api.inbox import contacts as contact_service
from api.inbox import messages as message_service
from api.inbox import service
from api.inbox.payloads import (
    ArchiveConversationInput,
    ArchiveConversationPayload,
    ArchiveConversationResult,
    AssignConversationInput,
    AssignConversationPayload,
    AssignConversationResult,
    CreateContactInput,
    CreateContactPayload,
    CreateContactResult,
    HandoffConversationInput,
    HandoffConversationPayload,
    HandoffConversationResult,
    LabelConversationInput,
    LabelConversationPayload,
    LabelConversationResult,
    MessageUsageInput,
    SendMessageInput,
    SendMessagePayload,
    SendMessageResult,
    SetConversationAiStateInput,
    SetConversationAiStatePayload,
    SetConversationAiStateResult,
    SetConversationStatusInput,
    SetConversationStatusPayload,
    SetConversationStatusResult,
    StartConversationInput,
    StartConversationPayload,
    StartConversationResult,
    UpdateContactInput,
    UpdateContactPayload,
    UpdateContactResult,
)
from api.inbox.types import Contact, Conversation

CONTACT_FIELDS = (
    "name",
    "phone",
    "email",
    "handles",
    "lead_status",
    "lead_score",
    "lead_temperature",
    "attributes",
    "labels",
)


def _contact_fields(
    input: CreateContactInput | UpdateContactInput,
) -> contact_service.ContactFields:
    """Given fields become values; fields given as null are listed in `cleared`."""
    data = contact_service.ContactFields()
    for name in CONTACT_FIELDS:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if value is None:
            if isinstance(input, UpdateContactInput):
                data.cleared.add(name)
            continue
        if name in ("handles", "attributes") and not isinstance(value, dict):
            camel = "handles" if name == "handles" else "attributes"
            raise BadInput(f"{camel} must be a JSON object.", field=camel)
        setattr(data, name, value)
    return data


def _usage(usage: MessageUsageInput | None) -> message_service.MessageUsage | None:
    """The usage as reported, in the caller's token convention (the service splits it)."""
    if usage is None:
        return None
    return message_service.MessageUsage(
        model=usage.model,
        input_tokens=usage.input_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        input_tokens_include_cache=usage.input_tokens_include_cache,
        output_tokens_include_reasoning=usage.output_tokens_include_reasoning,
        latency_ms=usage.latency_ms,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        operation=usage.operation,
        ai_type=usage.ai_type,
        request_id=usage.request_id,
        occurred_at=usage.occurred_at,
        reservation_id=decode_optional_id(
            usage.reservation_id, "AiBudgetReservation", field="reservationId"
        ),
    )


def _conversation_id(input: Any) -> Any:
    return decode_id(input.conversation_id, "Conversation", field="conversationId")


@strawberry.type
class InboxMutations:
    @strawberry.mutation(permission_classes=[CanWrite], description="Create a contact.")
    async def create_contact(self, info: Info, input: CreateContactInput) -> CreateContactResult:
        contact = await contact_service.create_contact(
            workspace_id=info.context.workspace_id, data=_contact_fields(input)
        )
        return CreateContactPayload(contact=Contact.from_model(contact))

    @strawberry.mutation(permission_classes=[CanWrite], description="Change a contact.")
    async def update_contact(self, info: Info, input: UpdateContactInput) -> UpdateContactResult:
        contact = await contact_service.update_contact(
            workspace_id=info.context.workspace_id,
            contact_id=decode_id(input.contact_id, "Contact", field="contactId"),
            data=_contact_fields(input),
        )
        return UpdateContactPayload(contact=Contact.from_model(contact))

    @strawberry.mutation(permission_classes=[CanWrite], description="Start a conversation.")
    async def start_conversation(
        self, info: Info, input: StartConversationInput
    ) -> StartConversationResult:
        conversation = await service.start_conversation(
            workspace_id=info.context.workspace_id,
            contact_id=decode_id(input.contact_id, "Contact", field="contactId"),
            channel=input.channel,
            title=input.title,
            priority=input.priority,
            labels=input.labels,
            assignee_id=decode_optional_id(input.assignee_id, "User", field="assigneeId"),
        )
        return StartConversationPayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Append a message; counters, totals and seq change with it.",
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessageResult:
        if input.metadata is not None and not isinstance(input.metadata, dict):
            raise BadInput("metadata must be a JSON object.", field="metadata")
        message = await message_service.send_message(
            workspace_id=info.context.workspace_id,
            actor=info.context.signed_in_viewer,
            conversation_id=_conversation_id(input),
            role=input.role,
            content=input.content,
            usage=_usage(input.usage),
            metadata=input.metadata,
        )
        return SendMessagePayload.of(message)

    @strawberry.mutation(permission_classes=[CanWrite], description="Assign or unassign.")
    async def assign_conversation(
        self, info: Info, input: AssignConversationInput
    ) -> AssignConversationResult:
        conversation = await service.assign_conversation(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            assignee_id=decode_optional_id(input.assignee_id, "User", field="assigneeId"),
        )
        return AssignConversationPayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(permission_classes=[CanWrite], description="Change the status.")
    async def set_conversation_status(
        self, info: Info, input: SetConversationStatusInput
    ) -> SetConversationStatusResult:
        conversation = await service.set_conversation_status(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            status=input.status,
            snoozed_until=input.snoozed_until,
        )
        return SetConversationStatusPayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(permission_classes=[CanWrite], description="Bot hands over to humans.")
    async def handoff_conversation(
        self, info: Info, input: HandoffConversationInput
    ) -> HandoffConversationResult:
        conversation = await service.handoff_conversation(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            reason=input.reason,
            assignee_id=decode_optional_id(input.assignee_id, "User", field="assigneeId"),
        )
        return HandoffConversationPayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(permission_classes=[CanWrite], description="Set the bot's stage.")
    async def set_conversation_ai_state(
        self, info: Info, input: SetConversationAiStateInput
    ) -> SetConversationAiStateResult:
        conversation = await service.set_conversation_ai_state(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            ai_state=input.ai_state,
        )
        return SetConversationAiStatePayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(permission_classes=[CanWrite], description="Add or remove labels.")
    async def label_conversation(
        self, info: Info, input: LabelConversationInput
    ) -> LabelConversationResult:
        conversation = await service.label_conversation(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            add=input.add,
            remove=input.remove,
        )
        return LabelConversationPayload(conversation=Conversation.from_model(conversation))

    @strawberry.mutation(permission_classes=[CanWrite], description="Archive or unarchive.")
    async def archive_conversation(
        self, info: Info, input: ArchiveConversationInput
    ) -> ArchiveConversationResult:
        conversation = await service.archive_conversation(
            workspace_id=info.context.workspace_id,
            conversation_id=_conversation_id(input),
            archived=input.archived,
        )
        return ArchiveConversationPayload(conversation=Conversation.from_model(conversation))
