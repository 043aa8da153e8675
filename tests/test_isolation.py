"""Two workspaces: nothing of one is visible to, or changeable by, the other."""

from typing import Any

import pytest

import models
from api.core.ids import encode_id
from api.inbox import contacts as inbox_contacts
from api.inbox import messages as inbox_messages
from api.inbox import service as inbox
from models.enums import Channel, MessageRole, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient


@pytest.fixture
async def acme_data(tenant: Tenant) -> dict[str, str]:
    """Acme's contact, conversation, message, member and API key, as global IDs."""
    contact = await inbox_contacts.create_contact(
        workspace_id=tenant.id,
        data=inbox_contacts.ContactFields(
            name="Acme Lead", phone="+6281111111111", email="lead@acme.test"
        ),
    )
    conversation = await inbox.start_conversation(
        workspace_id=tenant.id, contact_id=contact.id, channel=Channel.WHATSAPP, title="Acme"
    )
    message = await inbox_messages.send_message(
        workspace_id=tenant.id,
        actor=tenant.viewer(),
        conversation_id=conversation.id,
        role=MessageRole.USER,
        content="secret of acme",
    )
    api_key = await models.ApiKey.get(workspace_id=tenant.id, role=Role.AGENT)
    return {
        "contact": encode_id("Contact", contact.id),
        "conversation": encode_id("Conversation", conversation.id),
        "message": encode_id("ChatMessage", message.id),
        "user": encode_id("User", tenant.users[Role.AGENT].id),
        "apiKey": encode_id("ApiKey", api_key.id),
    }


READS = """query($contact: ID!, $conversation: ID!, $message: ID!, $user: ID!) {
  contact(id: $contact) { id }
  conversation(id: $conversation) { id }
  contactNode: node(id: $contact) { id }
  conversationNode: node(id: $conversation) { id }
  messageNode: node(id: $message) { id }
  userNode: node(id: $user) { id }
  contacts(first: 100) { edges { node { id } } }
  conversations(first: 100, filter: {archived: null}) { edges { node { id } } }
  members { user { email } }
  apiKeys { prefix }
}"""


async def test_other_workspace_sees_none_of_its_objects(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant, acme_data: dict[str, str]
) -> None:
    # when Globex's owner reads Acme's objects by ID and lists everything
    globex = client.as_(other_tenant.keys[Role.OWNER])
    data = await globex.data(
        READS, {k: acme_data[k] for k in ("contact", "conversation", "message", "user")}
    )
    # then every lookup is null and every list holds only Globex's own
    assert data["contact"] is None and data["conversation"] is None
    assert [data[k] for k in ("contactNode", "conversationNode", "messageNode", "userNode")] == [
        None
    ] * 4
    assert data["contacts"]["edges"] == [] and data["conversations"]["edges"] == []
    assert all(m["user"]["email"].endswith("@globex.test") for m in data["members"])
    globex_prefixes = set(
        await models.ApiKey.filter(workspace_id=other_tenant.id).values_list("prefix", flat=True)
    )
    assert {k["prefix"] for k in data["apiKeys"]} == globex_prefixes


MUTATIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("updateContact", "UpdateContactInput", {"contactId": "contact", "name": "Stolen"}),
    ("startConversation", "StartConversationInput", {"contactId": "contact", "channel": "WEB"}),
    (
        "sendMessage",
        "SendMessageInput",
        {"conversationId": "conversation", "role": "AGENT", "content": "hijack"},
    ),
    ("assignConversation", "AssignConversationInput", {"conversationId": "conversation"}),
    (
        "setConversationStatus",
        "SetConversationStatusInput",
        {"conversationId": "conversation", "status": "RESOLVED"},
    ),
    (
        "handoffConversation",
        "HandoffConversationInput",
        {"conversationId": "conversation", "reason": "x"},
    ),
    (
        "setConversationAiState",
        "SetConversationAiStateInput",
        {"conversationId": "conversation", "aiState": "COMPLETED"},
    ),
    (
        "labelConversation",
        "LabelConversationInput",
        {"conversationId": "conversation", "add": ["vip"]},
    ),
    ("archiveConversation", "ArchiveConversationInput", {"conversationId": "conversation"}),
    ("revokeApiKey", "RevokeApiKeyInput", {"apiKeyId": "apiKey"}),
]


@pytest.mark.parametrize(
    ("mutation", "input_type", "template"), MUTATIONS, ids=[m[0] for m in MUTATIONS]
)
async def test_other_workspace_cannot_change_its_objects(
    client: GraphQLClient,
    tenant: Tenant,
    other_tenant: Tenant,
    acme_data: dict[str, str],
    mutation: str,
    input_type: str,
    template: dict[str, Any],
) -> None:
    # given Acme's objects; when Globex's owner aims a mutation at them
    variables = {
        key: acme_data.get(value, value) if isinstance(value, str) else value
        for key, value in template.items()
    }
    document = (
        f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
        "{ __typename ... on Error { code field } } }"
    )
    before = await _acme_state(tenant)
    result = await client.as_(other_tenant.keys[Role.OWNER]).data(document, {"input": variables})
    # then it is NOT_FOUND, and Acme's data is unchanged
    assert result[mutation]["__typename"] == "NotFoundError"
    assert result[mutation]["code"] == "NOT_FOUND"
    assert await _acme_state(tenant) == before


async def test_assigning_to_another_workspaces_member_is_not_found(
    client: GraphQLClient, tenant: Tenant, other_tenant: Tenant, acme_data: dict[str, str]
) -> None:
    globex_user = encode_id("User", other_tenant.users[Role.AGENT].id)
    result = await client.as_(tenant.keys[Role.AGENT]).data(
        "mutation($input: AssignConversationInput!) { assignConversation(input: $input) "
        "{ __typename ... on Error { code field } } }",
        {"input": {"conversationId": acme_data["conversation"], "assigneeId": globex_user}},
    )
    assert result["assignConversation"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "assigneeId",
    }


async def _acme_state(tenant: Tenant) -> tuple[Any, ...]:
    return (
        await models.Contact.filter(workspace_id=tenant.id).values("name", "updated_at"),
        await models.Conversation.filter(workspace_id=tenant.id).values(
            "status", "assignee_id", "ai_state", "labels", "archived", "message_count"
        ),
        await models.Message.filter(workspace_id=tenant.id).count(),
        await models.ApiKey.filter(workspace_id=tenant.id, revoked_at=None).count(),
    )
