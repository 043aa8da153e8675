"""sendMessage over HTTP: gap-free `seq` (also under concurrency, on both databases), the
conversation's counters, waiting time and first reply, reopening, token accounting in
both provider conventions, and every expected failure as data."""

import asyncio
from datetime import datetime
from typing import Any

import models
from api.inbox import messages as inbox_messages
from api.inbox import service as inbox
from models.enums import ConversationStatus, MessageRole, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient, error_codes
from tests.inbox import seed

CONVERSATION_STATE = """
fragment ConversationState on Conversation {
  id status snoozedUntil archived messageCount lastMessageAt waitingSince firstReplyAt
  totalTokens totalCost
  lastMessage { id seq content }
  contact { id totalTokens totalCost }
}
"""

SEND_MESSAGE = (
    """
mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload {
      chatMessage {
        id seq cursor role content model inputTokens cacheReadTokens cacheWriteTokens
        outputTokens cost responseTimeMs metadata createdAt
        author { id }
        conversation { id }
      }
      conversation { ...ConversationState }
    }
    ... on Error { code field message }
  }
}
"""
    + CONVERSATION_STATE
)

CONVERSATION = (
    """
query Conversation($id: ID!) {
  conversation(id: $id) {
    ...ConversationState
    messages(first: 100) {
      edges {
        node { seq role content inputTokens cacheReadTokens cacheWriteTokens outputTokens }
      }
    }
  }
}
"""
    + CONVERSATION_STATE
)

AUTHORS = """
query Authors($id: ID!) {
  conversation(id: $id) { messages { edges { node { author { id name } } } } }
}
"""


# The token convention of Anthropic's usage: cache reads and writes beside inputTokens.
ANTHROPIC = {"inputTokensIncludeCache": False}


async def send(
    client: GraphQLClient, conversation_id: str, content: str, role: str = "USER", **rest: Any
) -> dict[str, Any]:
    data = await client.data(
        SEND_MESSAGE,
        {"input": {"conversationId": conversation_id, "role": role, "content": content, **rest}},
    )
    result: dict[str, Any] = data["sendMessage"]
    return result


async def read(client: GraphQLClient, conversation_id: str) -> dict[str, Any]:
    conversation: dict[str, Any] = (await client.data(CONVERSATION, {"id": conversation_id}))[
        "conversation"
    ]
    return conversation


def without_messages(conversation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in conversation.items() if key != "messages"}


def tokens_of(message: dict[str, Any]) -> int:
    return int(
        message["inputTokens"]
        + message["cacheReadTokens"]
        + message["cacheWriteTokens"]
        + message["outputTokens"]
    )


async def test_send_message_returns_the_message_and_the_updated_conversation(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a new conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)

    # when the contact writes
    result = await send(
        agent, conversation_id, "Is the villa free in June?", metadata={"waMessageId": "wamid.1"}
    )

    # then the payload has the message, numbered 1
    assert result["__typename"] == "SendMessagePayload"
    message = result["chatMessage"]
    assert message == {
        **message,
        "seq": 1,
        "role": "USER",
        "content": "Is the villa free in June?",
        "model": None,
        "inputTokens": 0,
        "cacheReadTokens": 0,
        "cacheWriteTokens": 0,
        "outputTokens": 0,
        "cost": None,
        "responseTimeMs": None,
        "metadata": {"waMessageId": "wamid.1"},
        "author": None,
        "conversation": {"id": conversation_id},
    }
    sent_at = seed.when(message["createdAt"])
    # and the conversation counts it, shows it as the last message, and waits for a reply
    state = result["conversation"]
    assert state["messageCount"] == 1
    assert state["lastMessage"] == {"id": message["id"], "seq": 1, "content": message["content"]}
    assert seed.when(state["lastMessageAt"]) == sent_at
    assert seed.when(state["waitingSince"]) == sent_at
    assert state["firstReplyAt"] is None
    # and the query reads back the same
    read_back = await read(agent, conversation_id)
    assert without_messages(read_back) == state
    assert [edge["node"]["content"] for edge in read_back["messages"]["edges"]] == [
        "Is the villa free in June?"
    ]


async def test_seq_waiting_and_first_reply_follow_who_writes(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a new conversation
    conversation_id = seed.gid("Conversation", (await seed.conversation(tenant)).id)

    # when the contact, the bot and agents take turns
    turns = ["USER", "USER", "ASSISTANT", "USER", "AGENT", "SYSTEM", "USER", "AGENT", "USER"]
    states: list[dict[str, Any]] = []
    sent_at: list[datetime | None] = []
    for number, role in enumerate(turns, start=1):
        result = await send(agent, conversation_id, f"message {number}", role)
        assert result["chatMessage"]["seq"] == number
        states.append(result["conversation"])
        sent_at.append(seed.when(result["chatMessage"]["createdAt"]))

    # then seq and messageCount count 1, 2, 3 … and the last message is always the newest
    assert [state["messageCount"] for state in states] == list(range(1, len(turns) + 1))
    assert [state["lastMessage"]["seq"] for state in states] == list(range(1, len(turns) + 1))
    assert [seed.when(state["lastMessageAt"]) for state in states] == sent_at
    # and waitingSince is the first unanswered USER message, cleared by an ASSISTANT or
    # AGENT reply (a SYSTEM note answers nobody)
    assert [seed.when(state["waitingSince"]) for state in states] == [
        sent_at[0],
        sent_at[0],
        None,
        sent_at[3],
        None,
        None,
        sent_at[6],
        None,
        sent_at[8],
    ]
    # and firstReplyAt is the first AGENT message's time (the bot does not count), never moved
    assert [seed.when(state["firstReplyAt"]) for state in states] == [None] * 4 + [sent_at[4]] * 5
    read_back = await read(agent, conversation_id)
    assert without_messages(read_back) == states[-1]
    assert [edge["node"]["seq"] for edge in read_back["messages"]["edges"]] == list(
        range(1, len(turns) + 1)
    )


async def test_a_user_message_reopens_a_resolved_or_snoozed_conversation(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a resolved, archived conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    await inbox.set_conversation_status(
        workspace_id=tenant.id, conversation_id=conversation.id, status=ConversationStatus.RESOLVED
    )
    await inbox.archive_conversation(
        workspace_id=tenant.id, conversation_id=conversation.id, archived=True
    )

    # when an agent adds a note, it stays resolved and archived
    agent_note = await send(agent, conversation_id, "Closing note", "AGENT")
    assert (agent_note["conversation"]["status"], agent_note["conversation"]["archived"]) == (
        "RESOLVED",
        True,
    )

    # when the contact writes again
    result = await send(agent, conversation_id, "One more question!")

    # then it is open and back in the inbox
    for state in (result["conversation"], without_messages(await read(agent, conversation_id))):
        assert (state["status"], state["archived"], state["snoozedUntil"]) == ("OPEN", False, None)

    # given the conversation snoozed
    await inbox.set_conversation_status(
        workspace_id=tenant.id,
        conversation_id=conversation.id,
        status=ConversationStatus.SNOOZED,
        snoozed_until=datetime.fromisoformat("2099-01-01T00:00:00+00:00"),
    )

    # when the contact writes
    result = await send(agent, conversation_id, "Hello?")

    # then it wakes up
    assert (result["conversation"]["status"], result["conversation"]["snoozedUntil"]) == (
        "OPEN",
        None,
    )


async def test_token_conventions_store_uncached_input_separately(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    # OpenAI style: inputTokens 5000 includes 4000 read from and 500 written to the cache
    openai = {
        "model": "gpt-4.1",
        "inputTokens": 5000,
        "cacheReadTokens": 4000,
        "cacheWriteTokens": 500,
        "outputTokens": 300,
        "inputTokensIncludeCache": True,
        "latencyMs": 1200,
    }
    # Anthropic style: inputTokens 500 excludes the 4000 read from and 500 written to the cache
    anthropic = {
        **openai,
        "model": "claude-sonnet-4",
        "inputTokens": 500,
        "inputTokensIncludeCache": False,
    }

    # when the bot reports each
    results = [
        await send(agent, conversation_id, "Reply", "ASSISTANT", usage=usage)
        for usage in (openai, anthropic)
    ]

    # then both are stored alike: 500 uncached, 4000 cache read, 500 cache write, 300 output
    for result, model in zip(results, ("gpt-4.1", "claude-sonnet-4"), strict=True):
        message = result["chatMessage"]
        assert (
            message["model"],
            message["inputTokens"],
            message["cacheReadTokens"],
            message["cacheWriteTokens"],
            message["outputTokens"],
            message["responseTimeMs"],
        ) == (model, 500, 4000, 500, 300, 1200)
    # and the convention each caller used is recorded
    stored = await models.Message.filter(conversation_id=conversation.id).order_by("seq")
    assert [m.input_tokens_include_cache for m in stored] == [True, False]
    assert [m.input_tokens for m in stored] == [500, 500]
    # and the conversation totals count every token once
    assert results[-1]["conversation"]["totalTokens"] == 2 * (500 + 4000 + 500 + 300)

    # given a small OpenAI report: input 5000 of which 4000 were read from the cache
    small = {"inputTokens": 5000, "cacheReadTokens": 4000, "inputTokensIncludeCache": True}

    # when
    message = (await send(agent, conversation_id, "Reply", "ASSISTANT", usage=small))["chatMessage"]

    # then 1000 uncached input and 4000 cache read are stored
    assert (message["inputTokens"], message["cacheReadTokens"]) == (1000, 4000)


async def test_the_send_message_service_splits_a_reported_convention_like_record_ai_usage(
    tenant: Tenant,
) -> None:
    # given a conversation, and a bot that calls the service itself (no GraphQL resolver)
    conversation = await seed.conversation(tenant)
    # OpenAI style: input 5000 includes 4000 cache reads and 500 cache writes; output 300
    # includes 100 reasoning tokens
    usage = inbox_messages.MessageUsage(
        model="gpt-4.1",
        input_tokens=5000,
        cache_read_tokens=4000,
        cache_write_tokens=500,
        output_tokens=300,
        reasoning_tokens=100,
        input_tokens_include_cache=True,
        output_tokens_include_reasoning=True,
    )

    # when it reports the reply's usage in its provider's convention
    message = await seed.message(
        tenant, conversation, "Reply", role=MessageRole.ASSISTANT, usage=usage
    )

    # then the message stores every kind once: 500 uncached, 200 output beside 100 reasoning
    stored = await models.Message.get(id=message.id)
    assert (
        stored.input_tokens,
        stored.cache_read_tokens,
        stored.cache_write_tokens,
        stored.output_tokens,
        stored.reasoning_tokens,
    ) == (500, 4000, 500, 200, 100)
    # and its usage event agrees, with the conventions the caller used
    event = await models.AiUsageEvent.get(message_id=message.id)
    assert (event.uncached_input_tokens, event.output_tokens, event.reasoning_tokens) == (
        500,
        200,
        100,
    )
    assert (event.input_tokens_include_cache, event.output_tokens_include_reasoning) == (
        True,
        True,
    )
    # and the conversation counts each token once
    assert (await models.Conversation.get(id=conversation.id)).total_tokens == 5300


async def test_token_totals_of_conversation_and_contact_are_the_sums_of_their_messages(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with two conversations
    contact = await seed.contact(tenant, "Dewi")
    first = seed.gid("Conversation", (await seed.conversation(tenant, contact)).id)
    second = seed.gid("Conversation", (await seed.conversation(tenant, contact)).id)
    other = seed.gid("Conversation", (await seed.conversation(tenant)).id)

    # when the bot answers in both, with usage, between plain messages
    usages = [
        {"inputTokens": 1200, "outputTokens": 80, **ANTHROPIC},
        {"inputTokens": 300, "cacheReadTokens": 2000, "outputTokens": 150, **ANTHROPIC},
        {"inputTokens": 9000, "cacheReadTokens": 8000, "inputTokensIncludeCache": True},
        {"inputTokens": 10, "cacheWriteTokens": 4000, "outputTokens": 1, **ANTHROPIC},
    ]
    for number, usage in enumerate(usages):
        conversation_id = (first, second)[number % 2]
        await send(agent, conversation_id, "Hi")
        await send(agent, conversation_id, "Answer", "ASSISTANT", usage=usage)
    await send(
        agent,
        other,
        "Answer",
        "ASSISTANT",
        usage={"inputTokens": 7, "outputTokens": 7, **ANTHROPIC},
    )

    # then each conversation's total is the sum over its messages
    totals = []
    for conversation_id in (first, second):
        conversation = await read(agent, conversation_id)
        messages = [edge["node"] for edge in conversation["messages"]["edges"]]
        assert conversation["totalTokens"] == sum(tokens_of(m) for m in messages) > 0
        totals.append(conversation["totalTokens"])
    assert totals == [1200 + 80 + 1000 + 8000, 300 + 2000 + 150 + 10 + 4000 + 1]
    # and the contact's is the sum over both of its conversations (not the other contact's)
    contact_state = (await read(agent, first))["contact"]
    assert contact_state["totalTokens"] == sum(totals)
    db_contact = await models.Contact.get(id=contact.id)
    assert db_contact.total_tokens == sum(totals)


async def test_send_message_refuses_invalid_input_naming_the_field_and_writes_nothing(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation with one message
    conversation = await seed.conversation(tenant)
    await seed.message(tenant, conversation)
    conversation_id = seed.gid("Conversation", conversation.id)
    contact_id = seed.gid("Contact", conversation.contact_id)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"content": ""}, "content"),
        ({"content": " \n\t "}, "content"),
        ({"content": "x" * 32_001}, "content"),
        ({"conversationId": "garbage"}, "conversationId"),
        ({"conversationId": contact_id}, "conversationId"),
        ({"usage": {"inputTokens": -1, **ANTHROPIC}}, "inputTokens"),
        ({"usage": {"outputTokens": -5, **ANTHROPIC}}, "outputTokens"),
        ({"usage": {"cacheReadTokens": -1, **ANTHROPIC}}, "cacheReadTokens"),
        ({"usage": {"cacheWriteTokens": -1, **ANTHROPIC}}, "cacheWriteTokens"),
        ({"usage": {"latencyMs": -1, **ANTHROPIC}}, "latencyMs"),
        (
            {
                "usage": {
                    "inputTokens": 100,
                    "cacheReadTokens": 101,
                    "inputTokensIncludeCache": True,
                }
            },
            "cacheReadTokens",
        ),
        (
            {
                "usage": {
                    "inputTokens": 100,
                    "cacheReadTokens": 60,
                    "cacheWriteTokens": 50,
                    "inputTokensIncludeCache": True,
                }
            },
            "cacheWriteTokens",
        ),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
    ]
    before = await seed.row_counts(tenant)
    state_before = await read(agent, conversation_id)

    for wrong, field in cases:
        message_input = {
            "conversationId": conversation_id,
            "role": "ASSISTANT",
            "content": "Fine text",
            **wrong,
        }
        # when
        data = await agent.data(SEND_MESSAGE, {"input": message_input})

        # then
        assert seed.error_of(data["sendMessage"]) == seed.validation_error(field), wrong
    assert await seed.row_counts(tenant) == before
    assert await read(agent, conversation_id) == state_before


async def test_send_message_to_an_unknown_or_foreign_conversation_is_not_found(
    agent: GraphQLClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # given another workspace's conversation and an id nobody has
    theirs = await seed.conversation(other_tenant)
    ids = [seed.gid("Conversation", theirs.id), seed.gid("Conversation", models.Conversation().id)]
    before = (await seed.row_counts(tenant), await seed.row_counts(other_tenant))

    for conversation_id in ids:
        # when
        result = await send(agent, conversation_id, "Hello")

        # then
        assert seed.error_of(result) == seed.not_found("conversationId")
    assert (await seed.row_counts(tenant), await seed.row_counts(other_tenant)) == before
    assert (await models.Conversation.get(id=theirs.id)).message_count == 0


async def test_send_message_needs_an_agent_and_credentials(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation, a VIEWER key and no key at all
    conversation = await seed.conversation(tenant)
    message_input = {
        "conversationId": seed.gid("Conversation", conversation.id),
        "role": "AGENT",
        "content": "Hello",
    }
    before = await seed.row_counts(tenant)

    for token, code in ((tenant.keys[Role.VIEWER], "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        # when
        body = await client.as_(token).execute(SEND_MESSAGE, {"input": message_input})

        # then
        assert error_codes(body) == [code]
        assert body["data"] is None
    assert await seed.row_counts(tenant) == before


async def test_concurrent_senders_get_seq_1_to_25_without_gaps_or_duplicates(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    roles = ["USER", "ASSISTANT", "AGENT"]

    # when 25 messages are sent at once
    results = await asyncio.gather(
        *(send(agent, conversation_id, f"message {i}", roles[i % 3]) for i in range(25))
    )

    # then each got its own number, 1 to 25
    assert all(result["__typename"] == "SendMessagePayload" for result in results)
    assert sorted(result["chatMessage"]["seq"] for result in results) == list(range(1, 26))
    stored = await models.Message.filter(conversation_id=conversation.id).order_by("seq")
    assert [message.seq for message in stored] == list(range(1, 26))
    assert sorted(message.content for message in stored) == sorted(
        f"message {i}" for i in range(25)
    )
    # and the conversation counted every one, its last message being number 25
    state = await read(agent, conversation_id)
    assert state["messageCount"] == 25
    assert state["lastMessage"]["seq"] == 25
    # and every message recorded exactly one event, numbered without gaps
    seqs = (
        await models.Event.filter(workspace_id=tenant.id)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert list(seqs) == list(range(1, len(seqs) + 1))
    assert await models.Event.filter(type="message.created").count() == 25


async def test_an_agent_message_sent_by_a_signed_in_user_names_its_author(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation, and an AGENT message sent as a user (not through an API key)
    conversation = await seed.conversation(tenant)
    await inbox_messages.send_message(
        workspace_id=tenant.id,
        actor=tenant.viewer(Role.AGENT),
        conversation_id=conversation.id,
        role=MessageRole.AGENT,
        content="Hi, I'm Agent!",
    )

    # when it is read
    data = await agent.data(AUTHORS, {"id": seed.gid("Conversation", conversation.id)})

    # then its author is that user
    (edge,) = data["conversation"]["messages"]["edges"]
    assert edge["node"]["author"] == {
        "id": seed.gid("User", tenant.users[Role.AGENT].id),
        "name": tenant.users[Role.AGENT].name,
    }


async def test_send_message_usage_must_say_its_token_convention(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)
    before = await seed.row_counts(tenant)

    # when a usage leaves out inputTokensIncludeCache (providers disagree, so no default)
    body = await agent.execute(
        SEND_MESSAGE,
        {
            "input": {
                "conversationId": conversation_id,
                "role": "ASSISTANT",
                "content": "Hi",
                "usage": {"inputTokens": 10, "latencyMs": 5},
            }
        },
    )

    # then the request is refused naming the field, and nothing is written
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "inputTokensIncludeCache" in body["errors"][0]["message"]
    assert await seed.row_counts(tenant) == before
