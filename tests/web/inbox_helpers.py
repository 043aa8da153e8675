"""Seeding and page helpers of the inbox page tests (tests/web/test_inbox_page.py)."""

from dataclasses import dataclass
from typing import Any

from playwright.async_api import BrowserContext, Page, expect

import models
from api.core.ids import encode_id
from api.inbox import service as inbox
from models.enums import AiState, Channel, LeadTemperature, MessageRole, Role
from tests.conftest import PASSWORD, LiveServer, Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.usage.helpers import HAIKU_3
from tests.web.conftest import OfflineBrowser

# setting up (page load, sign-in, first subscription) may be slow on a busy machine
SETUP_MS = 30_000

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { __typename ... on Error { code field message } }
}"""

START = """
mutation Start($input: StartConversationInput!) {
  startConversation(input: $input) {
    __typename
    ... on StartConversationPayload { conversation { id } }
    ... on Error { code field message }
  }
}"""

CREATE_CONTACT = """
mutation Contact($input: CreateContactInput!) {
  createContact(input: $input) {
    __typename
    ... on CreateContactPayload { contact { id } }
    ... on Error { code field message }
  }
}"""

RECORD = """
mutation Record($input: RecordAiUsageInput!) {
  recordAiUsage(input: $input) { __typename ... on Error { code field message } }
}"""

# one LLM call of 4M input and 8M output tokens: $1 + $10 on Claude 3 Haiku
HAIKU_CALL = {
    "model": HAIKU_3,
    "operation": "chat",
    "inputTokensIncludeCache": False,
    "inputTokens": 4_000_000,
    "outputTokens": 8_000_000,
}


@dataclass
class Inbox:
    """The seeded workspace: its conversations by contact name."""

    conversations: dict[str, models.Conversation]

    def id_of(self, contact_name: str) -> str:
        return encode_id("Conversation", self.conversations[contact_name].id)


async def seed_inbox(tenant: Tenant) -> Inbox:
    """Four conversations a sales inbox would have: different channels, AI states,
    temperatures and assignees, each with a short exchange."""
    agent = tenant.users[Role.AGENT]
    rows: list[
        tuple[str, Channel, LeadTemperature | None, AiState, Any, list[tuple[MessageRole, str]]]
    ] = [
        (
            "Dewi Lestari",
            Channel.WHATSAPP,
            LeadTemperature.HOT,
            AiState.BOOKING,
            agent.id,
            [
                (MessageRole.USER, "Hi! Is the Ubud villa free from 12 to 19 June?"),
                (MessageRole.ASSISTANT, "It is! For 2 adults the week is IDR 14,500,000."),
                (MessageRole.USER, "Great. Can we add airport pickup?"),
                (MessageRole.USER, "And is breakfast included?"),
            ],
        ),
        (
            "Marco Rossi",
            Channel.EMAIL,
            LeadTemperature.WARM,
            AiState.QUALIFYING,
            None,
            [
                (MessageRole.USER, "We are a team of 12 looking for an offsite in September."),
                (MessageRole.ASSISTANT, "Lovely — which dates, and do you need a meeting room?"),
            ],
        ),
        (
            "Aiko Tanaka",
            Channel.WEB,
            LeadTemperature.COLD,
            AiState.GREETING,
            None,
            [(MessageRole.USER, "Just browsing, what are your prices in December?")],
        ),
        (
            "Budi Santoso",
            Channel.WHATSAPP,
            None,
            AiState.QUALIFYING,
            tenant.users[Role.ADMIN].id,
            [
                (MessageRole.USER, "Can I pay the deposit by bank transfer?"),
                (MessageRole.AGENT, "Yes, I'll send you our BCA account details now."),
            ],
        ),
    ]
    conversations = {}
    for name, channel, temperature, ai_state, assignee_id, messages in reversed(rows):
        contact = await seed.contact(
            tenant,
            name,
            email=f"{name.split()[0].lower()}@example.com",
            lead_temperature=temperature,
        )
        conversation = await seed.conversation(
            tenant, contact, channel=channel, title=None, assignee_id=assignee_id
        )
        await inbox.set_conversation_ai_state(
            workspace_id=tenant.id, conversation_id=conversation.id, ai_state=ai_state
        )
        for role, content in messages:
            await seed.message(tenant, conversation, content, role=role)
        conversations[name] = conversation
    return Inbox(conversations)


class PageErrors:
    """Uncaught errors and console errors of the pages."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        return page


async def open_inbox(context: BrowserContext, server: LiveServer, errors: PageErrors) -> Page:
    page = errors.watch(await context.new_page())
    await page.goto(f"{server.url}/inbox")
    return page


async def sign_in_with_password(page: Page, email: str) -> None:
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#live")).to_have_attribute(
        "data-state", "connected", timeout=SETUP_MS
    )


async def sign_in_with_key(page: Page, key: str) -> None:
    await page.get_by_role("tab", name="API key").click()
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Use key").click()
    await expect(page.locator("#live")).to_have_attribute(
        "data-state", "connected", timeout=SETUP_MS
    )


def list_item(page: Page, contact_name: str) -> Any:
    return page.locator(".conversation", has_text=contact_name)


def thread_message(page: Page, text: str) -> Any:
    return page.locator("#messages .message", has_text=text)


async def open_conversation(page: Page, contact_name: str) -> None:
    await list_item(page, contact_name).click()
    await expect(page.locator("#thread-title")).to_have_text(contact_name, timeout=SETUP_MS)


async def send_through_page(page: Page, text: str) -> None:
    await page.locator("#reply-text").fill(text)
    await page.get_by_role("button", name="Send").click()


def assert_clean(browser: OfflineBrowser, errors: PageErrors) -> None:
    assert browser.blocked == []
    assert errors.errors == []


async def signed_in_agent(server: LiveServer, browser: OfflineBrowser, errors: PageErrors) -> Page:
    """A page with the AGENT user signed in and the seeded list shown."""
    page = await open_inbox(browser.context, server, errors)
    await sign_in_with_password(page, server.tenant.users[Role.AGENT].email)
    await expect(page.locator(".conversation")).to_have_count(4, timeout=SETUP_MS)
    return page


async def start_conversation_through_api(api: GraphQLClient, name: str, text: str) -> str:
    contact = (await api.data(CREATE_CONTACT, {"input": {"name": name}}))["createContact"]
    started = (
        await api.data(
            START,
            {"input": {"contactId": contact["contact"]["id"], "channel": "WEB"}},
        )
    )["startConversation"]
    conversation_id: str = started["conversation"]["id"]
    await send_through_api(api, conversation_id, text)
    return conversation_id


async def send_through_api(api: GraphQLClient, conversation_id: str, text: str) -> None:
    result = await api.data(
        SEND, {"input": {"conversationId": conversation_id, "role": "USER", "content": text}}
    )
    assert result["sendMessage"]["__typename"] == "SendMessagePayload", result


async def choose(page: Page, filter_label: str, option: str) -> None:
    await page.get_by_label(filter_label, exact=True).select_option(label=option)


def contact_names(page: Page) -> Any:
    return page.locator(".conversation .contact")
