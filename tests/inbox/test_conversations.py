"""The conversation mutations over HTTP: startConversation, assignConversation,
setConversationStatus, handoffConversation, setConversationAiState, labelConversation and
archiveConversation. Each success is checked in its payload and read back through the
`conversation` query; each expected failure is data with the right code and field and
writes nothing; the roles and credentials are enforced."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import models
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed

CONVERSATION_FIELDS = """
fragment ConversationFields on Conversation {
  id channel status snoozedUntil priority aiState handoffReason handoffAt title labels
  archived messageCount contact { id name } assignee { id name }
}
"""


def conversation_mutation(name: str) -> str:
    """`<name>(input: <name>Input!)` returning its payload's conversation or an Error."""
    field = name[0].lower() + name[1:]
    return (
        f"""
mutation {name}($input: {name}Input!) {{
  {field}(input: $input) {{
    __typename
    ... on {name}Payload {{ conversation {{ ...ConversationFields }} }}
    ... on Error {{ code field message }}
  }}
}}
"""
        + CONVERSATION_FIELDS
    )


START_CONVERSATION = conversation_mutation("StartConversation")
ASSIGN_CONVERSATION = conversation_mutation("AssignConversation")
SET_CONVERSATION_STATUS = conversation_mutation("SetConversationStatus")
HANDOFF_CONVERSATION = conversation_mutation("HandoffConversation")
SET_CONVERSATION_AI_STATE = conversation_mutation("SetConversationAiState")
LABEL_CONVERSATION = conversation_mutation("LabelConversation")
ARCHIVE_CONVERSATION = conversation_mutation("ArchiveConversation")

CONVERSATION = (
    """
query Conversation($id: ID!) { conversation(id: $id) { ...ConversationFields } }
"""
    + CONVERSATION_FIELDS
)

# Each mutation that changes an existing conversation, with a valid rest of its input.
CHANGES: list[tuple[str, str, dict[str, Any]]] = [
    ("assignConversation", ASSIGN_CONVERSATION, {"assigneeId": None}),
    ("setConversationStatus", SET_CONVERSATION_STATUS, {"status": "RESOLVED"}),
    ("handoffConversation", HANDOFF_CONVERSATION, {"reason": "Asked for a human"}),
    ("setConversationAiState", SET_CONVERSATION_AI_STATE, {"aiState": "BOOKING"}),
    ("labelConversation", LABEL_CONVERSATION, {"add": ["vip"]}),
    ("archiveConversation", ARCHIVE_CONVERSATION, {"archived": True}),
]


def user_id(tenant: Tenant, role: Role = Role.AGENT) -> str:
    return seed.gid("User", tenant.users[role].id)


async def read_conversation(client: GraphQLClient, conversation_id: str) -> dict[str, Any]:
    conversation: dict[str, Any] = (await client.data(CONVERSATION, {"id": conversation_id}))[
        "conversation"
    ]
    return conversation


async def change(
    client: GraphQLClient, document: str, field: str, **conversation_input: Any
) -> dict[str, Any]:
    """Run a conversation mutation; its result (payload or error)."""
    result: dict[str, Any] = (await client.data(document, {"input": conversation_input}))[field]
    return result


async def assert_each_fails_and_changes_nothing(
    client: GraphQLClient,
    tenant: Tenant,
    mutation: tuple[str, str],
    conversation_id: str,
    cases: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    """Send each (input, expected error) case to `mutation` (document, field): each fails
    with its error, and no row is written and the conversation reads back unchanged."""
    before = await seed.row_counts(tenant)
    read_before = await read_conversation(client, conversation_id)
    for wrong, error in cases:
        result = await change(client, *mutation, conversationId=conversation_id, **wrong)
        assert seed.error_of(result) == error, wrong
    assert await seed.row_counts(tenant) == before
    assert await read_conversation(client, conversation_id) == read_before


async def test_start_conversation_returns_it_and_it_reads_back(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact and a member to assign
    contact = await seed.contact(tenant, "Dewi")
    contact_id = seed.gid("Contact", contact.id)

    # when
    started = await change(
        agent,
        START_CONVERSATION,
        "startConversation",
        contactId=contact_id,
        channel="EMAIL",
        title="  Villa in June ",
        priority="HIGH",
        labels=["vip", "bali", "vip"],
        assigneeId=user_id(tenant),
    )

    # then
    assert started["__typename"] == "StartConversationPayload"
    conversation = started["conversation"]
    assert conversation == {
        "id": conversation["id"],
        "channel": "EMAIL",
        "status": "OPEN",
        "snoozedUntil": None,
        "priority": "HIGH",
        "aiState": "GREETING",
        "handoffReason": None,
        "handoffAt": None,
        "title": "Villa in June",
        "labels": ["vip", "bali"],
        "archived": False,
        "messageCount": 0,
        "contact": {"id": contact_id, "name": "Dewi"},
        "assignee": {"id": user_id(tenant), "name": tenant.users[Role.AGENT].name},
    }
    assert await read_conversation(agent, conversation["id"]) == conversation
    assert sorted(
        await models.ConversationLabel.filter(workspace_id=tenant.id).values_list(
            "label", flat=True
        )
    ) == ["bali", "vip"]


async def test_start_conversation_with_only_contact_and_channel_takes_the_defaults(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact
    contact = await seed.contact(tenant)

    # when
    started = await change(
        agent,
        START_CONVERSATION,
        "startConversation",
        contactId=seed.gid("Contact", contact.id),
        channel="WHATSAPP",
    )

    # then
    conversation = started["conversation"]
    assert (conversation["priority"], conversation["title"], conversation["labels"]) == (
        "NORMAL",
        None,
        [],
    )
    assert conversation["assignee"] is None


async def test_start_conversation_refuses_invalid_input_naming_the_field_and_writes_nothing(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact, and inputs each wrong in one field
    contact = await seed.contact(tenant)
    contact_id = seed.gid("Contact", contact.id)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"contactId": "garbage"}, "contactId"),
        ({"contactId": user_id(tenant)}, "contactId"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"labels": ["fine", "not fine!"]}, "labels"),
        ({"assigneeId": "garbage"}, "assigneeId"),
        ({"assigneeId": contact_id}, "assigneeId"),
    ]
    before = await seed.row_counts(tenant)

    for wrong, field in cases:
        # when
        result = await change(
            agent,
            START_CONVERSATION,
            "startConversation",
            **{"contactId": contact_id, "channel": "WEB", **wrong},
        )

        # then
        assert seed.error_of(result) == seed.validation_error(field), wrong
    assert await seed.row_counts(tenant) == before


async def test_start_conversation_with_an_unknown_or_foreign_contact_or_assignee_is_not_found(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given our contact, another workspace's contact and member, and ids nobody has
    ours = seed.gid("Contact", (await seed.contact(tenant)).id)
    theirs = seed.gid("Contact", (await seed.contact(other_tenant)).id)
    nobody_contact = seed.gid("Contact", models.Contact(name="x").id)
    nobody_user = seed.gid("User", models.User(name="x").id)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"contactId": theirs}, "contactId"),
        ({"contactId": nobody_contact}, "contactId"),
        ({"contactId": ours, "assigneeId": user_id(other_tenant)}, "assigneeId"),
        ({"contactId": ours, "assigneeId": nobody_user}, "assigneeId"),
    ]
    before = await seed.row_counts(tenant)

    for wrong, field in cases:
        # when
        result = await change(
            agent, START_CONVERSATION, "startConversation", channel="WEB", **wrong
        )

        # then
        assert seed.error_of(result) == seed.not_found(field), wrong
    assert await seed.row_counts(tenant) == before
    assert await models.Conversation.all().count() == 0


async def test_assign_conversation_assigns_reassigns_and_unassigns(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given an unassigned conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)

    for role in (Role.AGENT, Role.ADMIN, None):
        assignee = user_id(tenant, role) if role else None
        # when
        result = await change(
            agent,
            ASSIGN_CONVERSATION,
            "assignConversation",
            conversationId=conversation_id,
            assigneeId=assignee,
        )

        # then
        assert result["__typename"] == "AssignConversationPayload"
        expected = {"id": assignee, "name": tenant.users[role].name} if role else None
        assert result["conversation"]["assignee"] == expected
        assert (await read_conversation(agent, conversation_id))["assignee"] == expected


async def test_assign_conversation_to_a_bad_or_foreign_assignee_fails_and_changes_nothing(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a conversation assigned to our agent
    conversation = await seed.conversation(tenant, assignee_id=tenant.users[Role.AGENT].id)
    conversation_id = seed.gid("Conversation", conversation.id)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("garbage", seed.validation_error("assigneeId")),
        (conversation_id, seed.validation_error("assigneeId")),
        (user_id(other_tenant), seed.not_found("assigneeId")),
        (seed.gid("User", models.User(name="x").id), seed.not_found("assigneeId")),
    ]

    # when each is sent, then it fails with its error and nothing changes
    await assert_each_fails_and_changes_nothing(
        agent,
        tenant,
        (ASSIGN_CONVERSATION, "assignConversation"),
        conversation_id,
        [({"assigneeId": assignee}, error) for assignee, error in cases],
    )


async def test_set_conversation_status_snoozes_until_a_time_and_resolving_clears_it(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given an open conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)
    wake_up = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

    # when it is snoozed (the time given in another zone)
    snoozed = await change(
        agent,
        SET_CONVERSATION_STATUS,
        "setConversationStatus",
        conversationId=conversation_id,
        status="SNOOZED",
        snoozedUntil=wake_up.astimezone(timezone(timedelta(hours=7))).isoformat(),
    )

    # then it sleeps until that instant
    assert snoozed["__typename"] == "SetConversationStatusPayload"
    read = await read_conversation(agent, conversation_id)
    for conversation in (snoozed["conversation"], read):
        assert conversation["status"] == "SNOOZED"
        assert seed.when(conversation["snoozedUntil"]) == wake_up

    for status in ("PENDING", "RESOLVED", "OPEN"):
        # when it moves on
        moved = await change(
            agent,
            SET_CONVERSATION_STATUS,
            "setConversationStatus",
            conversationId=conversation_id,
            status=status,
        )

        # then the snooze is gone
        read = await read_conversation(agent, conversation_id)
        for conversation in (moved["conversation"], read):
            assert (conversation["status"], conversation["snoozedUntil"]) == (status, None)


async def test_set_conversation_status_refuses_a_snooze_without_a_future_time(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given an open conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)
    now = datetime.now(UTC)
    cases: list[dict[str, Any]] = [
        {"status": "SNOOZED"},
        {"status": "SNOOZED", "snoozedUntil": None},
        {"status": "SNOOZED", "snoozedUntil": (now - timedelta(minutes=1)).isoformat()},
        {"status": "SNOOZED", "snoozedUntil": "2099-01-01T09:00:00"},  # no time zone
        {"status": "OPEN", "snoozedUntil": (now + timedelta(days=1)).isoformat()},
    ]

    # when each is sent, then it fails naming snoozedUntil and nothing changes
    await assert_each_fails_and_changes_nothing(
        agent,
        tenant,
        (SET_CONVERSATION_STATUS, "setConversationStatus"),
        conversation_id,
        [(wrong, seed.validation_error("snoozedUntil")) for wrong in cases],
    )


async def test_handoff_conversation_hands_over_to_a_member_with_the_reason(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation the bot is qualifying
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)
    before = datetime.now(UTC)

    # when the bot hands over
    result = await change(
        agent,
        HANDOFF_CONVERSATION,
        "handoffConversation",
        conversationId=conversation_id,
        reason="  Wants a discount for 10 nights ",
        assigneeId=user_id(tenant),
    )

    # then
    assert result["__typename"] == "HandoffConversationPayload"
    read = await read_conversation(agent, conversation_id)
    for conversation in (result["conversation"], read):
        assert conversation["aiState"] == "HANDOFF"
        assert conversation["handoffReason"] == "Wants a discount for 10 nights"
        handoff_at = seed.when(conversation["handoffAt"])
        assert handoff_at is not None and before <= handoff_at <= datetime.now(UTC)
        assert conversation["assignee"] == {
            "id": user_id(tenant),
            "name": tenant.users[Role.AGENT].name,
        }


async def test_handoff_conversation_refuses_a_bad_reason_or_assignee_and_changes_nothing(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given a conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"reason": "  "}, seed.validation_error("reason")),
        ({"reason": "x" * 2001}, seed.validation_error("reason")),
        ({"reason": "ok", "assigneeId": "garbage"}, seed.validation_error("assigneeId")),
        ({"reason": "ok", "assigneeId": user_id(other_tenant)}, seed.not_found("assigneeId")),
    ]

    # when each is sent, then it fails with its error and nothing changes
    await assert_each_fails_and_changes_nothing(
        agent, tenant, (HANDOFF_CONVERSATION, "handoffConversation"), conversation_id, cases
    )


async def test_set_conversation_ai_state_moves_the_bot_along(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation in GREETING
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)

    for state in ("QUALIFYING", "BOOKING", "COMPLETED"):
        # when
        result = await change(
            agent,
            SET_CONVERSATION_AI_STATE,
            "setConversationAiState",
            conversationId=conversation_id,
            aiState=state,
        )

        # then
        assert result["__typename"] == "SetConversationAiStatePayload"
        assert result["conversation"]["aiState"] == state
        assert (await read_conversation(agent, conversation_id))["aiState"] == state


async def test_label_conversation_adds_and_removes_labels(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation labelled "bali"
    conversation = await seed.conversation(tenant, labels=["bali"])
    conversation_id = seed.gid("Conversation", conversation.id)

    # when labels are added (one twice) and "bali" removed
    result = await change(
        agent,
        LABEL_CONVERSATION,
        "labelConversation",
        conversationId=conversation_id,
        add=["vip", " june ", "vip"],
        remove=["bali"],
    )

    # then
    assert result["__typename"] == "LabelConversationPayload"
    assert result["conversation"]["labels"] == ["vip", "june"]
    assert (await read_conversation(agent, conversation_id))["labels"] == ["vip", "june"]
    labelled = await models.ConversationLabel.filter(conversation_id=conversation.id).values_list(
        "label", flat=True
    )
    assert sorted(labelled) == ["june", "vip"]

    # when only removing
    result = await change(
        agent,
        LABEL_CONVERSATION,
        "labelConversation",
        conversationId=conversation_id,
        remove=["vip", "never-there"],
    )

    # then
    assert result["conversation"]["labels"] == ["june"]
    assert (await read_conversation(agent, conversation_id))["labels"] == ["june"]
    assert await models.ConversationLabel.filter(conversation_id=conversation.id).count() == 1


async def test_label_conversation_refuses_bad_labels_and_changes_nothing(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation with 49 labels
    conversation = await seed.conversation(tenant, labels=[f"l{i}" for i in range(49)])
    conversation_id = seed.gid("Conversation", conversation.id)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"add": ["ok", " "]}, "add"),
        ({"add": ["x" * 65]}, "add"),
        ({"remove": ["bad\tlabel"]}, "remove"),
        ({}, "add"),
        ({"add": [], "remove": []}, "add"),
        ({"add": ["one-more", "two-more"]}, "add"),  # 51 labels
    ]

    # when each is sent, then it fails naming its field and nothing changes
    await assert_each_fails_and_changes_nothing(
        agent,
        tenant,
        (LABEL_CONVERSATION, "labelConversation"),
        conversation_id,
        [(wrong, seed.validation_error(field)) for wrong, field in cases],
    )


async def test_archive_conversation_archives_and_unarchives(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a live conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)

    for archived in (True, False, True):
        # when
        result = await change(
            agent,
            ARCHIVE_CONVERSATION,
            "archiveConversation",
            conversationId=conversation_id,
            archived=archived,
        )

        # then
        assert result["__typename"] == "ArchiveConversationPayload"
        assert result["conversation"]["archived"] is archived
        assert (await read_conversation(agent, conversation_id))["archived"] is archived


async def test_changing_an_unknown_foreign_or_malformed_conversation_fails_and_writes_nothing(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given another workspace's conversation, an id nobody has, and ids that are no
    # conversation's
    theirs = await seed.conversation(other_tenant)
    contact = await seed.contact(tenant, "Budi")
    ids: list[tuple[str, dict[str, Any]]] = [
        (seed.gid("Conversation", theirs.id), seed.not_found("conversationId")),
        (seed.gid("Conversation", models.Conversation().id), seed.not_found("conversationId")),
        ("bm90IGFuIGlk", seed.validation_error("conversationId")),
        (seed.gid("Contact", contact.id), seed.validation_error("conversationId")),
    ]
    ours_before = await seed.row_counts(tenant)
    theirs_before = await seed.row_counts(other_tenant)

    for field, document, rest in CHANGES:
        for conversation_id, error in ids:
            # when
            result = await change(agent, document, field, conversationId=conversation_id, **rest)

            # then
            assert seed.error_of(result) == error, (field, conversation_id)
    assert await seed.row_counts(tenant) == ours_before
    assert await seed.row_counts(other_tenant) == theirs_before
    unchanged = await models.Conversation.get(id=theirs.id)
    assert (unchanged.status, unchanged.archived, unchanged.labels) == (
        theirs.status,
        theirs.archived,
        theirs.labels,
    )


async def test_conversation_mutations_need_an_agent_and_credentials(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact and a conversation, a VIEWER key and no key at all
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    calls: list[tuple[str, dict[str, Any]]] = [
        (
            START_CONVERSATION,
            {"contactId": seed.gid("Contact", conversation.contact_id), "channel": "WEB"},
        ),
        *((document, {"conversationId": conversation_id, **rest}) for _, document, rest in CHANGES),
    ]
    before = await seed.row_counts(tenant)

    for token, code in ((tenant.keys[Role.VIEWER], "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        for document, conversation_input in calls:
            # when
            body = await client.as_(token).execute(document, {"input": conversation_input})

            # then a top-level error and no data
            assert error_codes(body) == [code], document
            assert body["data"] is None
    assert await seed.row_counts(tenant) == before

    # and an ADMIN may do what an AGENT may
    result = await change(
        client.as_(tenant.keys[Role.ADMIN]),
        SET_CONVERSATION_AI_STATE,
        "setConversationAiState",
        conversationId=conversation_id,
        aiState="SCORING",
    )
    assert result["conversation"]["aiState"] == "SCORING"
