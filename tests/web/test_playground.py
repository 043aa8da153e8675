"""The playground at GET /graphql: GraphiQL from Parley's own files, under a strict
Content-Security-Policy, running queries over HTTP and subscriptions over WebSocket in an
offline Chromium."""

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
from playwright.async_api import ConsoleMessage, Error, Page

from api.web.graphiql import content_security_policy
from models.enums import Channel, Role
from tests.conftest import LiveServer, Tenant, sqlite_only
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.web.conftest import OfflineBrowser, screenshot_path

# generous: CI is a busy 2-core machine
DEADLINE_MS = 30_000

VIEWER = "{ viewer { role workspace { name } } }"

MESSAGE_ADDED = """
subscription Follow($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { role content }
}
"""

SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload { chatMessage { cursor } }
    ... on Error { code message }
  }
}
"""


class AssetReferences(HTMLParser):
    """Every `src` and `href` of a page, and whether it has an inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "script" and "src" not in values:
            self.inline_scripts += 1


@sqlite_only  # the page does not depend on the database
async def test_get_graphql_from_a_browser_is_the_playground_with_only_parleys_assets(
    client: GraphQLClient,
) -> None:
    response = await client.http.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == content_security_policy("parley.test")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert (
        "connect-src 'self' ws://parley.test wss://parley.test;"
        in (response.headers["content-security-policy"])
    )
    page = AssetReferences()
    page.feed(response.text)
    assert page.inline_scripts == 0
    assert "/static/graphiql/playground.js" in page.urls
    for url in page.urls:
        assert url.startswith("/static/"), url  # nothing from another origin
        asset = await client.http.get(urljoin("http://parley.test/graphql", url))
        assert asset.status_code == 200, url


@sqlite_only  # the page does not depend on the database
async def test_a_host_header_that_is_not_a_plain_host_stays_out_of_the_policy(
    client: GraphQLClient,
) -> None:
    response = await client.http.get(
        "/graphql", headers={"accept": "text/html", "host": "evil.test; script-src *"}
    )

    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "evil" not in policy
    assert "connect-src 'self';" in policy


class PageProblems:
    """What a page reported as wrong: console errors and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")

    def _page_error(self, error: Error) -> None:
        self.messages.append(f"page error: {error}")


async def open_playground(
    browser: OfflineBrowser, url: str, **editors: str
) -> tuple[Page, PageProblems]:
    """The playground in the offline browser, its `editors` (query, variables, headers)
    filled from the URL's fragment; the page's problems are recorded from the start."""
    page = await browser.context.new_page()
    problems = PageProblems(page)
    await page.goto(f"{url}#{urlencode(editors)}" if editors else url)
    # GraphiQL has rendered its editors (React replaced the "Loading" text)
    await page.wait_for_selector(QUERY_EDITOR, timeout=DEADLINE_MS)
    return page, problems


async def editor_text(page: Page, editor: str) -> str:
    """The text of one of GraphiQL's CodeMirror editors (query, headers, result)."""
    text: str = await page.evaluate(
        "(selector) => document.querySelector(selector).CodeMirror.getValue()", editor
    )
    return text


async def type_into(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text, as a user's paste does (GraphiQL hears the change)."""
    await page.evaluate(
        "([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text)",
        [editor, text],
    )


QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
# the Variables or the Headers editor under the query editor, whichever tab is open
EDITOR_TOOL = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"


async def show_editor_tool(page: Page, name: str) -> None:
    """Open the "variables" or "headers" tab under the query editor."""
    await page.click(f".graphiql-editor-tools button[data-name={name}]")


async def wait_for_result(page: Page, contains: str) -> dict[str, Any]:
    await page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).CodeMirror.getValue()"
        ".includes(text)",
        arg=[RESULT, contains],
        timeout=DEADLINE_MS,
    )
    result: dict[str, Any] = json.loads(await editor_text(page, RESULT))
    return result


async def run(page: Page, query: str, *, variables: dict[str, Any] | None = None) -> None:
    await type_into(page, QUERY_EDITOR, query)
    if variables is not None:
        await show_editor_tool(page, "variables")
        await type_into(page, EDITOR_TOOL, json.dumps(variables))
    await page.click(".graphiql-execute-button")


async def use_authorization(page: Page, value: str) -> None:
    await show_editor_tool(page, "headers")
    await type_into(page, EDITOR_TOOL, json.dumps({"Authorization": value}))


async def send_message(live_server: LiveServer, conversation_id: str, content: str) -> str:
    """Send a message through the live server's API, as another client would; its cursor."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        api = GraphQLClient(http, live_server.tenant.keys[Role.AGENT])
        data = await api.data(
            SEND_MESSAGE,
            {"input": {"conversationId": conversation_id, "role": "USER", "content": content}},
        )
    assert data["sendMessage"]["__typename"] == "SendMessagePayload", data
    cursor: str = data["sendMessage"]["chatMessage"]["cursor"]
    return cursor


async def seeded_conversation(tenant: Tenant) -> str:
    conversation = await seed.conversation(tenant, channel=Channel.WEB)
    return seed.gid("Conversation", conversation.id)


@sqlite_only
async def test_the_playground_runs_a_query_and_a_subscription_offline(
    offline_browser: OfflineBrowser, live_server: LiveServer
) -> None:
    page, problems = await open_playground(offline_browser, live_server.graphql_url)
    conversation_id = await seeded_conversation(live_server.tenant)
    first_cursor = await send_message(live_server, conversation_id, "Is the villa free?")

    # the header editor is prefilled for a bearer credential, to be completed
    await show_editor_tool(page, "headers")
    assert json.loads(await editor_text(page, EDITOR_TOOL)) == {"Authorization": "Bearer "}

    await use_authorization(page, f"Bearer {live_server.tenant.keys[Role.AGENT]}")
    await run(page, VIEWER)
    result = await wait_for_result(page, "workspace")
    assert result == {"data": {"viewer": {"role": "AGENT", "workspace": {"name": "Acme"}}}}

    # after the first message: race-free, what is sent once the subscription runs arrives
    await run(
        page, MESSAGE_ADDED, variables={"conversationId": conversation_id, "after": first_cursor}
    )
    await send_message(live_server, conversation_id, "And in June, for four?")
    result = await wait_for_result(page, "And in June")
    assert result == {
        "data": {"messageAdded": {"role": "USER", "content": "And in June, for four?"}}
    }

    await page.screenshot(path=screenshot_path("graphiql.png"))
    # a dialog adds a <style> element: the policy's styles allow it
    await page.click("[data-value=settings]")
    await page.wait_for_selector("[role=dialog]", timeout=DEADLINE_MS)
    await page.keyboard.press("Escape")
    await page.wait_for_selector("[role=dialog]", state="detached", timeout=DEADLINE_MS)
    assert offline_browser.blocked == []
    assert problems.messages == []


@sqlite_only
async def test_a_subscription_with_a_wrong_key_shows_why_it_ended(
    offline_browser: OfflineBrowser, live_server: LiveServer
) -> None:
    conversation_id = await seeded_conversation(live_server.tenant)
    # a link that fills the editors: the playground's URL fragment
    page, problems = await open_playground(
        offline_browser,
        live_server.graphql_url,
        query=MESSAGE_ADDED,
        variables=json.dumps({"conversationId": conversation_id}),
        headers=json.dumps({"Authorization": "Bearer prly_not-a-key"}),
    )

    await page.click(".graphiql-execute-button")
    result = await wait_for_result(page, "Subscription ended")

    [error] = result["errors"]
    assert error["extensions"] == {"code": "WEBSOCKET_CLOSED"}
    assert (
        "key or token is missing, wrong, revoked or expired (4403 Forbidden)" in (error["message"])
    )
    assert problems.messages == []
