"""Inbox queries: contacts and conversations, single and as Relay connections."""

import asyncio
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

import models
from api.core.connections import KeysetConnection, connection_of
from api.core.context import Info
from api.core.ids import decode_optional_id
from api.core.loaders import WorkspaceLoader
from api.core.nodes import node_of
from api.core.pagination import PageArgs
from api.core.permissions import CanRead
from api.core.selection import selected_under
from api.inbox import contacts as contact_service
from api.inbox import service
from api.inbox.loaders import ContactByIdLoader, MessageByIdLoader
from api.inbox.types import (
    Contact,
    ContactFilter,
    ContactOrder,
    Conversation,
    ConversationFilter,
    ConversationOrder,
    ConversationRelated,
)
from api.tenancy.loaders import UserByIdLoader
from api.tenancy.types import User

CONVERSATION_SORTS = {
    ConversationOrder.LAST_MESSAGE_AT_DESC: service.BY_ACTIVITY_DESC,
    ConversationOrder.LAST_MESSAGE_AT_ASC: service.BY_ACTIVITY_ASC,
    ConversationOrder.CREATED_AT_DESC: service.BY_CREATED_DESC,
    ConversationOrder.CREATED_AT_ASC: service.BY_CREATED_ASC,
}


@strawberry.type
class InboxQueries:
    @strawberry.field(
        permission_classes=[CanRead], description="Any object by its global ID (or null)."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await node_of(info, id)

    @strawberry.field(permission_classes=[CanRead], description="A contact by ID (or null).")
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        contact: Contact | None = await Contact.by_global_id(info, id)
        return contact

    @strawberry.field(
        permission_classes=[CanRead],
        description="Contacts, newest first.",
        extensions=[KeysetConnection("contacts")],
    )
    async def contacts(
        self,
        info: Info,
        page: PageArgs,
        filter: ContactFilter | None = None,
        order_by: ContactOrder = ContactOrder.CREATED_AT_DESC,
    ) -> relay.Connection[Contact]:
        where = filter or ContactFilter()
        found = await contact_service.list_contacts(
            workspace_id=info.context.workspace_id,
            lead_status=where.lead_status,
            search=where.search,
            ascending=order_by == ContactOrder.CREATED_AT_ASC,
            page=page,
        )
        return connection_of(found, Contact.from_model)

    @strawberry.field(permission_classes=[CanRead], description="A conversation by ID (or null).")
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        conversation: Conversation | None = await Conversation.by_global_id(info, id)
        return conversation

    @strawberry.field(
        permission_classes=[CanRead],
        description="The inbox: conversations, most recent activity first by default.",
        extensions=[KeysetConnection("conversations")],
    )
    async def conversations(
        self,
        info: Info,
        page: PageArgs,
        filter: ConversationFilter | None = None,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> relay.Connection[Conversation]:
        where = filter or ConversationFilter()
        found = await service.list_conversations(
            workspace_id=info.context.workspace_id,
            where=service.ConversationFilter(
                status=where.status,
                assignee_id=decode_optional_id(
                    where.assignee_id, User.__name__, field="assigneeId"
                ),
                unassigned=where.unassigned,
                channel=where.channel,
                ai_state=where.ai_state,
                label=where.label,
                contact_id=decode_optional_id(where.contact_id, "Contact", field="contactId"),
                archived=where.archived,
                search=where.search,
            ),
            sort=CONVERSATION_SORTS[order_by],
            page=page,
        )
        related = await _related_rows(info, found.rows)
        return connection_of(found, lambda row: Conversation.from_model(row, related.get(row.id)))


async def _related_rows(
    info: Info, rows: list[models.Conversation]
) -> dict[UUID, ConversationRelated]:
    """Load the contacts, assignees and last messages the query selected for a page, the
    kinds in parallel, so that the fields resolve without one awaited load per row."""
    wanted = selected_under(info, "edges", "node")
    context = info.context

    async def load(field: str, loader: type[WorkspaceLoader[Any]], keys: list[Any]) -> list[Any]:
        if field not in wanted:
            return [None] * len(rows)
        return list(await context.loader(loader).load_many(keys))

    contacts, assignees, last_messages = await asyncio.gather(
        load("contact", ContactByIdLoader, [row.contact_id for row in rows]),
        load("assignee", UserByIdLoader, [row.assignee_id for row in rows]),
        load("lastMessage", MessageByIdLoader, [row.last_message_id for row in rows]),
    )
    return {
        row.id: ConversationRelated(contact=contact, assignee=assignee, last_message=message)
        for row, contact, assignee, message in zip(
            rows, contacts, assignees, last_messages, strict=True
        )
    }
