"""The lists: `conversations`, `contacts` and `Conversation.messages` as Relay connections
with keyset cursors: paging both ways sees every row exactly once in order, page sizes are
capped, bad cursors are refused, and each filter returns exactly the matching rows."""

from typing import Any

import models
from api.inbox import service as inbox
from models.enums import AiState, Channel, ConversationStatus, LeadStatus, MessageRole, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"

CONVERSATIONS = f"""
query Conversations(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: ConversationFilter, $orderBy: ConversationOrder
) {{
  conversations(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {{
    edges {{ cursor node {{ id title }} }}
    {PAGE_INFO}
  }}
}}
"""

CONTACTS = f"""
query Contacts(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: ContactFilter, $orderBy: ContactOrder
) {{
  contacts(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {{
    edges {{ cursor node {{ id name }} }}
    {PAGE_INFO}
  }}
}}
"""

MESSAGES = f"""
query Messages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
  conversation(id: $id) {{
    messages(first: $first, after: $after, last: $last, before: $before) {{
      edges {{ cursor node {{ seq cursor content }} }}
      {PAGE_INFO}
    }}
  }}
}}
"""


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def page_through(
    client: GraphQLClient, document: str, field: str, size: int, **variables: Any
) -> tuple[list[str], list[tuple[bool, bool]]]:
    """Every id of a list, paging forwards with first/after; and each page's
    (hasPreviousPage, hasNextPage)."""
    seen: list[str] = []
    flags: list[tuple[bool, bool]] = []
    after = None
    while True:
        connection = (await client.data(document, {**variables, "first": size, "after": after}))[
            field
        ]
        seen += ids(connection)
        info = connection["pageInfo"]
        flags.append((info["hasPreviousPage"], info["hasNextPage"]))
        if not info["hasNextPage"]:
            return seen, flags
        after = info["endCursor"]


async def page_back(
    client: GraphQLClient, document: str, field: str, size: int, **variables: Any
) -> tuple[list[str], list[tuple[bool, bool]]]:
    """Every id of a list, paging backwards with last/before from its end."""
    seen: list[str] = []
    flags: list[tuple[bool, bool]] = []
    before = None
    while True:
        connection = (await client.data(document, {**variables, "last": size, "before": before}))[
            field
        ]
        seen = ids(connection) + seen
        info = connection["pageInfo"]
        flags.append((info["hasPreviousPage"], info["hasNextPage"]))
        if not info["hasPreviousPage"]:
            return seen, flags
        before = info["startCursor"]


async def test_conversations_page_forward_and_back_each_exactly_once_newest_activity_first(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given seven conversations started one after another, then messages in the second
    # and the fifth (the fifth's newest), and another workspace's conversation
    started = [await seed.conversation(tenant, title=f"c{i}") for i in range(7)]
    await seed.message(tenant, started[1])
    await seed.message(tenant, started[4])
    await seed.message(other_tenant, await seed.conversation(other_tenant))
    gid = [seed.gid("Conversation", c.id) for c in started]
    newest_activity_first = [gid[4], gid[1], gid[6], gid[5], gid[3], gid[2], gid[0]]

    # when paging forwards three at a time
    seen, flags = await page_through(agent, CONVERSATIONS, "conversations", 3)

    # then each conversation comes once, the one with the newest message first
    assert seen == newest_activity_first
    assert flags == [(False, True), (True, True), (True, False)]

    # when paging backwards three at a time
    seen, flags = await page_back(agent, CONVERSATIONS, "conversations", 3)

    # then the same order, each once
    assert seen == newest_activity_first
    assert flags == [(True, False), (True, True), (False, True)]

    # when ordering otherwise
    orders = {
        "LAST_MESSAGE_AT_ASC": newest_activity_first[::-1],
        "CREATED_AT_DESC": gid[::-1],
        "CREATED_AT_ASC": gid,
    }
    for order, expected in orders.items():
        # then every order pages through every row once
        seen, _ = await page_through(agent, CONVERSATIONS, "conversations", 2, orderBy=order)
        assert seen == expected, order


async def test_a_page_size_above_100_or_below_0_is_refused_naming_the_limit(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation with a message, and a contact
    conversation = await seed.conversation(tenant)
    await seed.message(tenant, conversation)
    conversation_id = seed.gid("Conversation", conversation.id)
    lists = [
        (CONVERSATIONS, {}, "conversations"),
        (CONTACTS, {}, "contacts"),
        (MESSAGES, {"id": conversation_id}, "conversation"),
    ]

    for document, variables, field in lists:
        for size in ({"first": 101}, {"last": 101}, {"first": -1}):
            # when
            body = await agent.execute(document, {**variables, **size})

            # then a top-level BAD_USER_INPUT that says what the limit is
            assert error_codes(body) == ["BAD_USER_INPUT"], (field, size)
            assert "100" in body["errors"][0]["message"]
            assert body["data"] is None or body["data"][field] is None

        # when the limit itself is asked for, it is fine
        assert "errors" not in await agent.execute(document, {**variables, "first": 100})


async def test_a_garbage_or_foreign_cursor_is_refused(agent: GraphQLClient, tenant: Tenant) -> None:
    # given a conversation with a message, and real cursors of each list
    conversation = await seed.conversation(tenant)
    await seed.message(tenant, conversation)
    conversation_id = seed.gid("Conversation", conversation.id)
    conversation_cursor = (await agent.data(CONVERSATIONS, {"first": 1}))["conversations"][
        "pageInfo"
    ]["endCursor"]
    message_cursor = (await agent.data(MESSAGES, {"id": conversation_id}))["conversation"][
        "messages"
    ]["pageInfo"]["endCursor"]
    cases = [
        (CONVERSATIONS, {"after": "garbage"}),
        (CONVERSATIONS, {"before": "!!!"}),
        (CONVERSATIONS, {"after": message_cursor}),
        (CONTACTS, {"after": "bm90IGpzb24="}),
        (CONTACTS, {"before": message_cursor}),
        (MESSAGES, {"id": conversation_id, "after": conversation_cursor}),
        (MESSAGES, {"id": conversation_id, "before": "WyJ4Il0="}),  # ["x"]
    ]

    for document, variables in cases:
        # when
        body = await agent.execute(document, variables)

        # then
        assert error_codes(body) == ["BAD_USER_INPUT"], variables


CURRENT_USAGE_CURSOR = "query { currentUsage { cursor } }"


def error_codes_and_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"]["field"]) for e in body.get("errors", [])]


async def test_a_cursor_of_another_list_is_refused_naming_the_argument(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with a conversation and a message, and a cursor of each list: the
    # contacts' and the conversations' hold the same kinds of values (a time and an id),
    # the messages' and the event stream's both a number
    contact = await seed.contact(tenant, "Rina")
    conversation = await seed.conversation(tenant, contact)
    await seed.message(tenant, conversation)
    conversation_id = seed.gid("Conversation", conversation.id)
    contact_cursor = (await agent.data(CONTACTS, {"first": 1}))["contacts"]["pageInfo"]["endCursor"]
    conversation_cursor = (await agent.data(CONVERSATIONS, {"first": 1}))["conversations"][
        "pageInfo"
    ]["endCursor"]
    event_cursor = (await agent.data(CURRENT_USAGE_CURSOR))["currentUsage"]["cursor"]
    cases = [
        (CONVERSATIONS, {}, contact_cursor),
        (CONTACTS, {}, conversation_cursor),
        (MESSAGES, {"id": conversation_id}, event_cursor),
        (MESSAGES, {"id": conversation_id}, contact_cursor),
    ]

    for document, variables, cursor in cases:
        for argument in ("after", "before"):
            # when one list is given another's cursor
            body = await agent.execute(document, {**variables, argument: cursor})

            # then it is refused as bad input on that argument, not paged from
            assert error_codes_and_fields(body) == [("BAD_USER_INPUT", argument)], (
                document,
                argument,
            )


async def test_each_conversation_filter_returns_exactly_the_matching_conversations(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given conversations that differ in every filtered property
    dewi = await seed.contact(tenant, "Dewi Lestari")
    budi = await seed.contact(tenant, "Budi Santoso")
    siti = await seed.contact(tenant, "Siti")
    agent_user, admin_user = tenant.users[Role.AGENT], tenant.users[Role.ADMIN]
    villa = await seed.conversation(
        tenant, dewi, title="Villa in June", labels=["vip"], assignee_id=agent_user.id
    )
    handoff = await seed.conversation(tenant, budi, channel=Channel.EMAIL, title="Invoice")
    await inbox.set_conversation_status(
        workspace_id=tenant.id, conversation_id=handoff.id, status=ConversationStatus.PENDING
    )
    await inbox.set_conversation_ai_state(
        workspace_id=tenant.id, conversation_id=handoff.id, ai_state=AiState.HANDOFF
    )
    resolved = await seed.conversation(
        tenant, dewi, channel=Channel.WEB, labels=["vip", "bali"], assignee_id=admin_user.id
    )
    await inbox.set_conversation_status(
        workspace_id=tenant.id, conversation_id=resolved.id, status=ConversationStatus.RESOLVED
    )
    archived = await seed.conversation(tenant, siti, channel=Channel.API, labels=["vip"])
    await inbox.archive_conversation(
        workspace_id=tenant.id, conversation_id=archived.id, archived=True
    )
    await seed.conversation(other_tenant, title="Villa in June", labels=["vip"])
    gid = {
        name: seed.gid("Conversation", c.id)
        for name, c in {
            "villa": villa,
            "handoff": handoff,
            "resolved": resolved,
            "archived": archived,
        }.items()
    }
    cases: list[tuple[dict[str, Any] | None, set[str]]] = [
        (None, {"villa", "handoff", "resolved"}),
        ({"status": "PENDING"}, {"handoff"}),
        ({"status": "RESOLVED"}, {"resolved"}),
        ({"assigneeId": seed.gid("User", agent_user.id)}, {"villa"}),
        ({"assigneeId": seed.gid("User", admin_user.id)}, {"resolved"}),
        ({"unassigned": True}, {"handoff"}),
        ({"channel": "WEB"}, {"resolved"}),
        ({"channel": "API"}, set()),
        ({"aiState": "HANDOFF"}, {"handoff"}),
        ({"aiState": "GREETING"}, {"villa", "resolved"}),
        ({"label": "vip"}, {"villa", "resolved"}),
        ({"label": "bali"}, {"resolved"}),
        ({"label": "nobody"}, set()),
        ({"contactId": seed.gid("Contact", dewi.id)}, {"villa", "resolved"}),
        ({"archived": True}, {"archived"}),
        ({"archived": None}, {"villa", "handoff", "resolved", "archived"}),
        ({"archived": None, "label": "vip", "unassigned": True}, {"archived"}),
        ({"search": "villa"}, {"villa"}),
        ({"search": "SANTOSO"}, {"handoff"}),
        ({"search": "lestari"}, {"villa", "resolved"}),
        ({"search": "nothing like it"}, set()),
        ({"label": "vip", "status": "RESOLVED", "channel": "WEB"}, {"resolved"}),
    ]

    for where, expected in cases:
        # when
        connection = (await agent.data(CONVERSATIONS, {"first": 100, "filter": where}))[
            "conversations"
        ]

        # then exactly these, each once
        found = ids(connection)
        assert len(found) == len(set(found))
        assert set(found) == {gid[name] for name in expected}, where

    # when a filter's id is malformed, then the query is refused
    for where in ({"assigneeId": "garbage"}, {"contactId": gid["villa"]}):
        body = await agent.execute(CONVERSATIONS, {"filter": where})
        assert error_codes(body) == ["BAD_USER_INPUT"], where


async def test_contacts_page_both_ways_newest_first_and_filter(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given five contacts created one after another, and another workspace's
    created = [
        await seed.contact(tenant, "Dewi Lestari", phone="+6281234567890"),
        await seed.contact(tenant, "Budi", email="budi@santoso.id", lead_status=LeadStatus.LOST),
        await seed.contact(tenant, "Siti", lead_status=LeadStatus.QUALIFIED),
        await seed.contact(tenant, "Agus", phone="+6289999999999"),
        await seed.contact(tenant, "Wayan", lead_status=LeadStatus.QUALIFIED),
    ]
    await seed.contact(other_tenant, "Dewi Lestari", phone="+6281234567890")
    gid = [seed.gid("Contact", c.id) for c in created]

    # when paging forwards and backwards two at a time
    forwards, forward_flags = await page_through(agent, CONTACTS, "contacts", 2)
    backwards, backward_flags = await page_back(agent, CONTACTS, "contacts", 2)
    ascending, _ = await page_through(agent, CONTACTS, "contacts", 2, orderBy="CREATED_AT_ASC")

    # then each contact comes once, newest first (or oldest first when asked)
    assert forwards == backwards == gid[::-1]
    assert ascending == gid
    assert forward_flags == [(False, True), (True, True), (True, False)]
    assert backward_flags == [(True, False), (True, True), (False, True)]

    # when filtering
    cases: list[tuple[dict[str, Any], list[int]]] = [
        ({"leadStatus": "QUALIFIED"}, [4, 2]),
        ({"leadStatus": "LOST"}, [1]),
        ({"leadStatus": "CONVERTED"}, []),
        ({"search": "lestari"}, [0]),
        ({"search": "SANTOSO.ID"}, [1]),
        ({"search": "89999"}, [3]),
        ({"search": "a", "leadStatus": "QUALIFIED"}, [4]),
    ]
    for where, expected in cases:
        connection = (await agent.data(CONTACTS, {"filter": where}))["contacts"]

        # then exactly the matching contacts, newest first
        assert ids(connection) == [gid[i] for i in expected], where


async def test_messages_page_oldest_first_and_each_message_knows_its_cursor(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation with seven messages, and another with one
    conversation = await seed.conversation(tenant)
    for number in range(1, 8):
        role = MessageRole.USER if number % 2 else MessageRole.ASSISTANT
        await seed.message(tenant, conversation, f"message {number}", role=role)
    await seed.message(tenant, await seed.conversation(tenant), "elsewhere")
    conversation_id = seed.gid("Conversation", conversation.id)

    # when paging forwards three at a time
    seqs: list[int] = []
    after = None
    has_next = True
    while has_next:
        messages = (
            await agent.data(MESSAGES, {"id": conversation_id, "first": 3, "after": after})
        )["conversation"]["messages"]
        for edge in messages["edges"]:
            # then each message's own cursor is its edge's cursor
            assert edge["node"]["cursor"] == edge["cursor"]
            seqs.append(edge["node"]["seq"])
        has_next, after = messages["pageInfo"]["hasNextPage"], messages["pageInfo"]["endCursor"]

    # then every message once, oldest first
    assert seqs == list(range(1, 8))

    # when paging backwards from the end, two at a time
    pages: list[list[int]] = []
    before = None
    while True:
        messages = (
            await agent.data(MESSAGES, {"id": conversation_id, "last": 2, "before": before})
        )["conversation"]["messages"]
        pages.insert(0, [edge["node"]["seq"] for edge in messages["edges"]])
        if not messages["pageInfo"]["hasPreviousPage"]:
            break
        before = messages["pageInfo"]["startCursor"]

    # then the same messages, in pages that end at the newest
    assert pages == [[1], [2, 3], [4, 5], [6, 7]]

    # when the client resumes after a message it has (by the message's own cursor)
    fourth = await models.Message.get(conversation_id=conversation.id, seq=4)
    rest = (
        await agent.data(
            MESSAGES, {"id": conversation_id, "after": inbox.MESSAGE_CURSORS.encode([fourth.seq])}
        )
    )["conversation"]["messages"]

    # then it gets exactly the newer ones
    assert [edge["node"]["content"] for edge in rest["edges"]] == [
        "message 5",
        "message 6",
        "message 7",
    ]
