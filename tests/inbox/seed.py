"""Seeding for the inbox tests: the services, called directly (as the CLI and jobs do),
and small readers of what the database holds."""

from datetime import datetime
from typing import Any
from uuid import UUID

import models
from api.core.ids import encode_id
from api.inbox import contacts as inbox_contacts
from api.inbox import messages as inbox_messages
from api.inbox import service as inbox
from models.enums import Channel, MessageRole, Role
from tests.conftest import Tenant


def gid(type_name: str, key: UUID) -> str:
    """The Relay global ID clients see for a row."""
    return encode_id(type_name, key)


def when(value: str | None) -> datetime | None:
    """A DateTime field of a response, parsed."""
    return datetime.fromisoformat(value) if value is not None else None


async def contact(tenant: Tenant, name: str = "Dewi Lestari", **values: Any) -> models.Contact:
    return await inbox_contacts.create_contact(
        workspace_id=tenant.id, data=inbox_contacts.ContactFields(name=name, **values)
    )


async def conversation(
    tenant: Tenant,
    with_contact: models.Contact | None = None,
    *,
    channel: Channel = Channel.WHATSAPP,
    **values: Any,
) -> models.Conversation:
    if with_contact is None:
        with_contact = await contact(tenant)
    return await inbox.start_conversation(
        workspace_id=tenant.id, contact_id=with_contact.id, channel=channel, **values
    )


async def message(
    tenant: Tenant,
    in_conversation: models.Conversation,
    content: str = "Hello, is the villa free in June?",
    *,
    role: MessageRole = MessageRole.USER,
    usage: inbox_messages.MessageUsage | None = None,
) -> models.Message:
    return await inbox_messages.send_message(
        workspace_id=tenant.id,
        actor=tenant.viewer(Role.AGENT),
        conversation_id=in_conversation.id,
        role=role,
        content=content,
        usage=usage,
    )


async def row_counts(tenant: Tenant) -> dict[str, int]:
    """How many rows of each inbox table (and events) the workspace has."""
    kinds = {
        "contact": models.Contact,
        "conversation": models.Conversation,
        "label": models.ConversationLabel,
        "message": models.Message,
        "event": models.Event,
    }
    return {
        name: await model.filter(workspace_id=tenant.id).count() for name, model in kinds.items()
    }


def error_of(result: dict[str, Any]) -> dict[str, Any]:
    """An error member of a mutation's result union, without its (human) message, which
    must be there."""
    assert isinstance(result.get("message"), str) and result["message"], result
    return {key: value for key, value in result.items() if key != "message"}


def validation_error(field: str | None) -> dict[str, Any]:
    return {"__typename": "ValidationError", "code": "BAD_USER_INPUT", "field": field}


def not_found(field: str) -> dict[str, Any]:
    return {"__typename": "NotFoundError", "code": "NOT_FOUND", "field": field}


def conflict(field: str) -> dict[str, Any]:
    return {"__typename": "ConflictError", "code": "CONFLICT", "field": field}
