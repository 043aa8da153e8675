"""Conversation and contact totals equal the sums of their usage events, whether the usage
came with sendMessage or through recordAiUsage; sendMessage with usage is idempotent."""

from decimal import Decimal
from typing import Any

import models
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3, haiku_call, money, record

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload {
      chatMessage { id cost }
      conversation { totalTokens totalCost }
      usage { costUsd cacheHitRate operation aiType inputTokensIncludeCache chatMessage { id } }
    }
    ... on Error { code field }
  }
}
"""


async def send(agent: GraphQLClient, conversation_id: str, usage: Any) -> dict[str, Any]:
    data = await agent.data(
        SEND,
        {
            "input": {
                "conversationId": conversation_id,
                "role": "ASSISTANT",
                "content": "Yes, the villa is free in June.",
                "usage": usage,
            }
        },
    )
    result: dict[str, Any] = data["sendMessage"]
    return result


async def test_send_message_with_usage_records_a_priced_event(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a conversation
    conversation = await seed.conversation(tenant)
    conversation_id = seed.gid("Conversation", conversation.id)

    # when the bot sends its reply with the example usage
    usage = {
        "model": HAIKU_3,
        "inputTokens": 5000,
        "cacheReadTokens": 4000,
        "outputTokens": 500,
        "inputTokensIncludeCache": True,
        "aiType": "MOUTH",
        "requestId": "send-1",
    }
    result = await send(agent, conversation_id, usage)

    # then the message, the event and the conversation carry $0.000995 (see test_recording)
    assert money(result["chatMessage"]["cost"]) == Decimal("0.000995")
    assert money(result["usage"]["costUsd"]) == Decimal("0.000995")
    assert result["usage"]["chatMessage"] == {"id": result["chatMessage"]["id"]}
    assert (result["usage"]["operation"], result["usage"]["aiType"]) == ("reply", "MOUTH")
    assert result["usage"]["inputTokensIncludeCache"] is True
    assert money(result["conversation"]["totalCost"]) == Decimal("0.000995")
    assert result["conversation"]["totalTokens"] == 5500

    # when the bot retries the same send
    again = await send(agent, conversation_id, usage)

    # then the first message comes back and nothing is counted twice
    assert again["chatMessage"]["id"] == result["chatMessage"]["id"]
    assert await models.Message.filter(conversation_id=conversation.id).count() == 1
    assert await models.AiUsageEvent.filter(workspace_id=tenant.id).count() == 1
    assert (await models.Conversation.get(id=conversation.id)).total_cost == Decimal("0.000995")


async def test_totals_are_the_sums_of_their_usage_events(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given a contact with two conversations and another contact
    contact = await seed.contact(tenant, "Dewi")
    first = await seed.conversation(tenant, contact)
    second = await seed.conversation(tenant, contact)
    other = await seed.conversation(tenant)

    # when usage arrives every way: with messages, recorded per conversation, per contact
    # only, and of an unknown model
    await send(agent, seed.gid("Conversation", first.id), haiku_call(operation="reply"))
    await send(
        agent,
        seed.gid("Conversation", second.id),
        {"inputTokens": 10, "outputTokens": 5, "inputTokensIncludeCache": False},
    )
    await record(agent, **haiku_call(conversationId=seed.gid("Conversation", first.id)))
    await record(agent, **haiku_call(contactId=seed.gid("Contact", contact.id)))
    await record(
        agent, **haiku_call(model="mystery-1", conversationId=seed.gid("Conversation", second.id))
    )
    await record(agent, **haiku_call(conversationId=seed.gid("Conversation", other.id)))

    # then each conversation's and contact's totals are the sums of their events
    for model, key in (
        (models.Conversation, first.id),
        (models.Conversation, second.id),
        (models.Conversation, other.id),
        (models.Contact, contact.id),
        (models.Contact, other.contact_id),
    ):
        row = await model.get(id=key)
        column = "conversation_id" if model is models.Conversation else "contact_id"
        usage = await models.AiUsageEvent.filter(**{column: key})
        assert row.total_tokens == sum(u.total_tokens for u in usage), (model, key)
        assert row.total_cost == sum((u.cost_usd or Decimal(0) for u in usage), Decimal(0))
    # by hand: the contact has 3 priced example calls (3 * 0.000995 = 0.002985), the
    # message without a model (10 + 5 tokens, unpriced) and the mystery call (5500, unpriced)
    dewi = await models.Contact.get(id=contact.id)
    assert (dewi.total_tokens, dewi.total_cost) == (4 * 5500 + 15, Decimal("0.002985"))
    unknown = await models.AiUsageEvent.get(conversation_id=second.id, reported_model="unknown")
    assert unknown.cost_usd is None
