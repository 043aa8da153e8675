"""The live inbox page at /inbox, in Chromium against a real `parley serve`.

The workspace is seeded through the services (the server reads the same database); what
must arrive live is sent through the server's API, whose process wakes its subscribers.
Every page runs offline: a request outside the server fails the test (`blocked`)."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.async_api import WebSocketRoute, expect

from api.tenancy import service as tenancy
from api.usage import budgets
from models.enums import Role
from models.usage import BudgetMode
from tests.conftest import PASSWORD, LiveServer, Tenant, sqlite_only
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.web.conftest import OfflineBrowser, screenshot_path
from tests.web.inbox_helpers import (
    HAIKU_CALL,
    RECORD,
    SETUP_MS,
    PageErrors,
    assert_clean,
    choose,
    contact_names,
    list_item,
    open_conversation,
    open_inbox,
    seed_inbox,
    send_through_api,
    send_through_page,
    sign_in_with_key,
    sign_in_with_password,
    signed_in_agent,
    start_conversation_through_api,
    thread_message,
)

# the requirement: a message sent in one page shows in the other within a second
LIVE_MS = 1_000


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[GraphQLClient]:
    """The live server's API as the workspace's AGENT key (what arrives live goes here)."""
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        yield GraphQLClient(http, live_server.tenant.keys[Role.AGENT])


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@sqlite_only
async def test_a_reply_in_one_agents_page_shows_in_the_others_within_a_second(
    live_server: LiveServer,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
    api: GraphQLClient,
) -> None:
    # given a seeded inbox, one agent signed in with a login, the other with an API key
    tenant = live_server.tenant
    await seed_inbox(tenant)
    await budgets.set_budget(workspace_id=tenant.id, amount_usd=Decimal("50"), mode=BudgetMode.SOFT)
    first = await open_inbox(offline_browser.context, live_server, page_errors)
    await sign_in_with_password(first, tenant.users[Role.AGENT].email)
    second = await open_inbox(offline_browser.context, live_server, page_errors)
    await sign_in_with_key(second, tenant.keys[Role.AGENT])
    await expect(first.locator(".conversation")).to_have_count(4, timeout=SETUP_MS)
    await expect(first.locator("#me-name")).to_have_text(tenant.users[Role.AGENT].name)
    await expect(second.locator("#me-name")).to_have_text("API key “AGENT key”")
    # both have Dewi's thread open, with its two unanswered messages counted in the list
    await expect(list_item(second, "Dewi Lestari").locator(".unread")).to_have_text("2")
    await open_conversation(first, "Dewi Lestari")
    await open_conversation(second, "Dewi Lestari")
    await expect(first.locator("#messages .message")).to_have_count(4)

    # when the first agent replies, and the second page has shown it (it is subscribed)
    await send_through_page(first, "Pickup is included, and breakfast too!")
    await expect(thread_message(second, "Pickup is included")).to_be_visible(timeout=SETUP_MS)
    # and then the first agent sends another
    await send_through_page(first, "Shall I hold the dates for you?")

    # then the second page shows it within a second, once
    await expect(thread_message(second, "Shall I hold the dates")).to_be_visible(timeout=LIVE_MS)
    await expect(second.locator("#messages .message")).to_have_count(6)
    await expect(first.locator("#messages .message")).to_have_count(6)
    await expect(thread_message(first, "Shall I hold").locator(".message-meta")).to_contain_text(
        tenant.users[Role.AGENT].name
    )
    # and both lists show it as the last message
    await expect(list_item(second, "Dewi Lestari").locator(".preview")).to_have_text(
        "Agent: Shall I hold the dates for you?"
    )
    # and a bot's AI call shows in both headers (the screenshots' spend bar)
    recorded = await api.data(RECORD, {"input": HAIKU_CALL})
    assert recorded["recordAiUsage"]["__typename"] == "RecordAiUsagePayload", recorded
    for page in (first, second):
        await expect(page.locator("#spend-amount")).to_have_text("$11.00", timeout=SETUP_MS)
        await expect(page.locator("#spend")).to_have_attribute("data-percent", "22")
    await first.screenshot(path=screenshot_path("inbox.png"), animations="disabled")
    await second.screenshot(path=screenshot_path("inbox-second-agent.png"), animations="disabled")
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_the_list_follows_new_conversations_and_messages_live(
    live_server: LiveServer,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
    api: GraphQLClient,
) -> None:
    # given an agent's inbox
    inbox_rows = await seed_inbox(live_server.tenant)
    page = await signed_in_agent(live_server, offline_browser, page_errors)

    # when a new lead writes in, and then an existing one writes again
    sari_id = await start_conversation_through_api(
        api, "Sari Wijaya", "Halo, do you have a room tonight?"
    )
    await expect(page.locator(".conversation")).to_have_count(5, timeout=SETUP_MS)
    await send_through_api(api, inbox_rows.id_of("Marco Rossi"), "Any news on the dates?")

    # then both are at the top, newest first, with their last message and unread count
    await expect(contact_names(page).first).to_have_text("Marco Rossi", timeout=SETUP_MS)
    await expect(contact_names(page).nth(1)).to_have_text("Sari Wijaya")
    sari = list_item(page, "Sari Wijaya")
    await expect(sari.locator(".preview")).to_have_text("Halo, do you have a room tonight?")
    await expect(sari.locator(".unread")).to_have_text("1")
    await expect(sari.locator("[data-status]")).to_have_text("Open")
    await expect(sari.locator("[data-channel]")).to_have_text("Web chat")
    await expect(list_item(page, "Marco Rossi").locator(".unread")).to_have_text("1")
    # and opening a conversation reads it
    await open_conversation(page, "Sari Wijaya")
    await expect(sari.locator(".unread")).to_have_count(0)

    # when a stranger writes markup, then it is shown as the text it is
    markup = '<img src="x" onerror="document.title=1"> <b>hi</b>'
    await send_through_api(api, sari_id, markup)
    await expect(thread_message(page, "onerror")).to_have_count(1, timeout=SETUP_MS)
    await expect(thread_message(page, "onerror").locator(".bubble")).to_have_text(markup)
    await expect(sari.locator(".preview")).to_have_text(markup)
    assert await page.locator("#app img, #app b").count() == 0
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_filters_narrow_the_list_and_hold_for_live_arrivals(
    live_server: LiveServer,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
    api: GraphQLClient,
) -> None:
    # given an agent's inbox
    await seed_inbox(live_server.tenant)
    page = await signed_in_agent(live_server, offline_browser, page_errors)

    # when filtering by channel, AI state, assignee and status, then the list narrows
    await choose(page, "Channel", "E-mail")
    await expect(contact_names(page)).to_have_text(["Marco Rossi"], timeout=SETUP_MS)
    # and a web chat arriving meanwhile stays out of an e-mail list
    await start_conversation_through_api(api, "Sari Wijaya", "Halo!")
    await choose(page, "Channel", "All channels")
    await expect(page.locator(".conversation")).to_have_count(5, timeout=SETUP_MS)
    await choose(page, "Channel", "E-mail")
    await expect(contact_names(page)).to_have_text(["Marco Rossi"], timeout=SETUP_MS)
    await choose(page, "Channel", "All channels")

    await choose(page, "AI state", "Qualifying")
    await expect(contact_names(page)).to_have_text(
        ["Marco Rossi", "Budi Santoso"], timeout=SETUP_MS
    )
    await choose(page, "AI state", "Any AI state")

    await choose(page, "Assignee", "Assigned to me")
    await expect(contact_names(page)).to_have_text(["Dewi Lestari"], timeout=SETUP_MS)
    await choose(page, "Assignee", "Unassigned")
    await expect(contact_names(page)).to_have_text(
        ["Sari Wijaya", "Marco Rossi", "Aiko Tanaka"], timeout=SETUP_MS
    )
    await choose(page, "Assignee", "Anyone")

    await choose(page, "Status", "Resolved")
    await expect(page.locator("#list-empty")).to_be_visible(timeout=SETUP_MS)
    await expect(page.locator(".conversation")).to_have_count(0)
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_assign_hand_off_and_resolve_change_the_chips(
    live_server: LiveServer, offline_browser: OfflineBrowser, page_errors: PageErrors
) -> None:
    # given an agent looking at an unassigned conversation the bot is greeting
    await seed_inbox(live_server.tenant)
    page = await signed_in_agent(live_server, offline_browser, page_errors)
    await open_conversation(page, "Aiko Tanaka")
    aiko = list_item(page, "Aiko Tanaka")
    await expect(aiko.locator(".assignee")).to_have_text("Unassigned")

    # when they assign it to themselves, then to the admin
    await page.get_by_role("button", name="Assign to me").click()
    await expect(aiko.locator(".assignee")).to_have_text("Agent of Acme", timeout=SETUP_MS)
    await page.get_by_label("Assign to").select_option(label="Admin of Acme")
    await expect(aiko.locator(".assignee")).to_have_text("Admin of Acme", timeout=SETUP_MS)

    # when they hand off without a reason, then the API's refusal is shown
    await page.get_by_role("button", name="Hand off").click()
    await expect(page.locator("#action-error")).to_contain_text("(reason)", timeout=SETUP_MS)
    await expect(aiko.locator("[data-ai]")).to_have_text("Greeting")
    # and with a reason, the AI state becomes Handoff
    await page.get_by_label("Handoff reason").fill("Wants to talk to a person")
    await page.get_by_role("button", name="Hand off").click()
    await expect(aiko.locator("[data-ai]")).to_have_text("Handoff", timeout=SETUP_MS)
    await expect(page.locator("#thread-chips [data-ai]")).to_have_text("Handoff")
    await expect(page.locator("#action-error")).to_be_hidden()
    await expect(page.locator("#conversation-facts")).to_contain_text("Wants to talk to a person")

    # when they resolve it, then its status chip says so, and it can be reopened
    await page.get_by_role("button", name="Resolve").click()
    await expect(aiko.locator("[data-status]")).to_have_text("Resolved", timeout=SETUP_MS)
    await expect(page.locator("#thread-chips [data-status]")).to_have_text("Resolved")
    await page.get_by_role("button", name="Reopen").click()
    await expect(aiko.locator("[data-status]")).to_have_text("Open", timeout=SETUP_MS)
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_the_spend_bar_follows_recorded_ai_usage(
    live_server: LiveServer,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
    api: GraphQLClient,
) -> None:
    # given a workspace with a $25 budget and nothing spent, and an agent's inbox
    tenant = live_server.tenant
    await seed_inbox(tenant)
    await budgets.set_budget(workspace_id=tenant.id, amount_usd=Decimal("25"), mode=BudgetMode.SOFT)
    page = await signed_in_agent(live_server, offline_browser, page_errors)
    await expect(page.locator("#spend-amount")).to_have_text("$0.00")
    await expect(page.locator("#spend-limit")).to_have_text("of $25.00 this month")

    # when a bot records a call of 4M input and 8M output tokens ($1 + $10 on Haiku 3)
    recorded = await api.data(RECORD, {"input": HAIKU_CALL})
    assert recorded["recordAiUsage"]["__typename"] == "RecordAiUsagePayload", recorded

    # then the page shows the month's spend and the bar at 44 %, live
    await expect(page.locator("#spend-amount")).to_have_text("$11.00", timeout=SETUP_MS)
    await expect(page.locator("#spend")).to_have_attribute("data-percent", "44", timeout=SETUP_MS)
    fill = await page.locator("#budget-fill").evaluate("element => element.style.width")
    assert fill == "44%"
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_the_thread_resumes_after_a_reconnect_without_loss_or_duplicates(
    live_server: LiveServer,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
    api: GraphQLClient,
) -> None:
    # given an agent's page whose WebSocket goes through a switch the test controls
    inbox_rows = await seed_inbox(live_server.tenant)
    sockets: list[WebSocketRoute] = []
    offline = False

    async def through_the_switch(socket: WebSocketRoute) -> None:
        if offline:  # the network is down: refuse, and the client retries later
            await socket.close(code=4499, reason="offline")
            return
        socket.connect_to_server()
        sockets.append(socket)

    page = page_errors.watch(await offline_browser.context.new_page())
    await page.route_web_socket("**/graphql", through_the_switch)
    await page.goto(f"{live_server.url}/inbox")
    await sign_in_with_password(page, live_server.tenant.users[Role.AGENT].email)
    await open_conversation(page, "Marco Rossi")
    marco = inbox_rows.id_of("Marco Rossi")
    await send_through_api(api, marco, "One more question before I book.")
    await expect(thread_message(page, "One more question")).to_be_visible(timeout=SETUP_MS)

    # when the connection drops, and messages are sent while it is down
    offline = True
    await sockets[-1].close(code=4499, reason="network drop")
    await expect(page.locator("#live")).to_have_attribute("data-state", "reconnecting")
    await send_through_api(api, marco, "Is parking free?")
    await send_through_api(api, marco, "And can we bring a dog?")
    offline = False

    # then after it reconnects the thread has them, once each, in order
    await expect(page.locator("#live")).to_have_attribute(
        "data-state", "connected", timeout=SETUP_MS
    )
    await expect(thread_message(page, "And can we bring a dog?")).to_be_visible(timeout=SETUP_MS)
    await expect(page.locator("#messages .message .bubble")).to_have_text(
        [
            "We are a team of 12 looking for an offsite in September.",
            "Lovely — which dates, and do you need a meeting room?",
            "One more question before I book.",
            "Is parking free?",
            "And can we bring a dog?",
        ]
    )
    # and the list, resumed from its own cursor, has the last one
    await expect(list_item(page, "Marco Rossi").locator(".preview")).to_have_text(
        "And can we bring a dog?"
    )
    assert len(sockets) >= 2
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_sign_in_failures_are_shown_and_sign_out_returns_to_the_card(
    live_server: LiveServer, offline_browser: OfflineBrowser, page_errors: PageErrors
) -> None:
    # given the sign-in card
    page = await open_inbox(offline_browser.context, live_server, page_errors)

    # when the password is wrong, then the API's message is shown
    await page.get_by_label("E-mail").fill(live_server.tenant.users[Role.AGENT].email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#signin-error")).to_be_visible(timeout=SETUP_MS)
    await expect(page.locator("#app")).to_be_hidden()
    # and an unknown API key is refused with its code
    await page.get_by_role("tab", name="API key").click()
    await page.get_by_label("API key").fill("prly_00000000_nope")
    await page.get_by_role("button", name="Use key").click()
    await expect(page.locator("#signin-error")).to_contain_text("UNAUTHENTICATED", timeout=SETUP_MS)

    # when signed in, the token survives a reload; signing out ends it
    await page.get_by_role("tab", name="E-mail").click()
    await sign_in_with_password(page, live_server.tenant.users[Role.AGENT].email)
    await page.reload()
    await expect(page.locator("#live")).to_have_attribute(
        "data-state", "connected", timeout=SETUP_MS
    )
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("#signin")).to_be_visible(timeout=SETUP_MS)
    assert await page.evaluate("sessionStorage.length") == 0
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_a_member_of_two_workspaces_picks_one_and_sees_only_its_inbox(
    live_server: LiveServer,
    other_tenant: Tenant,
    offline_browser: OfflineBrowser,
    page_errors: PageErrors,
) -> None:
    # given the agent is also an agent of Globex, which has one conversation of its own
    tenant = live_server.tenant
    await seed_inbox(tenant)
    agent = tenant.users[Role.AGENT]
    await tenancy.add_member(workspace_id=other_tenant.id, user_id=agent.id, role=Role.AGENT)
    globex_lead = await seed.contact(other_tenant, "Globex Lead")
    await seed.conversation(other_tenant, globex_lead)

    # when they sign in and pick Globex
    page = await open_inbox(offline_browser.context, live_server, page_errors)
    await page.get_by_label("E-mail").fill(agent.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("Workspace").select_option(label="Globex (Agent)")
    await page.get_by_role("button", name="Continue").click()

    # then they see Globex's inbox, and none of Acme's conversations
    await expect(page.locator("#workspace-name")).to_have_text("Globex", timeout=SETUP_MS)
    await expect(contact_names(page)).to_have_text(["Globex Lead"], timeout=SETUP_MS)
    assert_clean(offline_browser, page_errors)


@sqlite_only
async def test_the_page_is_served_with_a_strict_content_security_policy(app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://parley.test"
    ) as http:
        response = await http.get("/inbox")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert "<script>" not in response.text and "style=" not in response.text
    assert '<script src="/static/vendor/graphql-ws.min.js"></script>' in response.text
