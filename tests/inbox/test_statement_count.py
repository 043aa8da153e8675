"""No N+1: the inbox page runs the same few SQL statements for 5 conversations as for 20.

Tortoise logs every statement it executes on the "tortoise.db_client" logger at DEBUG
(`"%s: %s", query, values`, or the bare script); connection set-up and tear-down are
logged there too and are not statements, so they are not counted."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from models.enums import MessageRole, Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed

INBOX_PAGE = """
query InboxPage($first: Int!) {
  conversations(first: $first) {
    edges {
      node {
        id
        title
        contact { name }
        lastMessage { content }
        assignee { name }
      }
    }
  }
}
"""

NOT_STATEMENTS = ("Created connection", "Closed connection")


class StatementLog(logging.Handler):
    """Collects the SQL statements Tortoise logs."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(NOT_STATEMENTS):
            return
        self.statements.append(record.getMessage())


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The statements executed inside the block."""
    logger = logging.getLogger("tortoise.db_client")
    handler = StatementLog()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


async def seed_conversations(tenant: Tenant, count: int) -> None:
    """Conversations, each with its own contact, two messages and an assignee (the
    workspace's members in turn)."""
    members = [tenant.users[role] for role in Role]
    for number in range(count):
        contact = await seed.contact(tenant, f"Lead {number}")
        conversation = await seed.conversation(
            tenant,
            contact,
            title=f"Conversation {number}",
            assignee_id=members[number % len(members)].id,
        )
        await seed.message(tenant, conversation, f"Question {number}")
        await seed.message(tenant, conversation, f"Answer {number}", role=MessageRole.ASSISTANT)


async def test_the_inbox_page_runs_as_many_statements_for_20_conversations_as_for_5(
    agent: GraphQLClient, tenant: Tenant
) -> None:
    # given five conversations, and the API key used once (its last-used time is written)
    await seed_conversations(tenant, 5)
    await agent.data(INBOX_PAGE, {"first": 1})

    # when the inbox page is read
    with sql_statements() as for_5:
        five = (await agent.data(INBOX_PAGE, {"first": 50}))["conversations"]["edges"]

    # given twenty conversations
    await seed_conversations(tenant, 15)

    # when the inbox page is read again
    with sql_statements() as for_20:
        twenty = (await agent.data(INBOX_PAGE, {"first": 50}))["conversations"]["edges"]

    # then every nested field was resolved
    assert len(five) == 5 and len(twenty) == 20
    members = {user.name for user in tenant.users.values()}
    for edge in twenty:
        node = edge["node"]
        number = node["title"].removeprefix("Conversation ")
        assert node["contact"] == {"name": f"Lead {number}"}
        assert node["lastMessage"] == {"content": f"Answer {number}"}
        assert node["assignee"]["name"] in members
    # and the statements did not grow with the rows: authentication, the page, and one
    # batch per kind of nested object
    assert len(for_20) == len(for_5), "\n".join(for_20)
    assert len(for_20) <= 8, "\n".join(for_20)
