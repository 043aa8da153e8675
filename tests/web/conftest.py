"""Headless Chromium (Debian's, driven by Playwright) for the page tests.

Each test gets a fresh profile (`--user-data-dir` in its tmp_path) and a context in which
every request that is not to the Parley server under test is aborted and recorded, so a
page that would need a CDN fails its test.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Route, async_playwright

from tests.conftest import LiveServer
from tests.tools import CHROMIUM_ARGS, REPO, require_chromium

# where the tests save their screenshots; the README shows these files
SCREENSHOTS = REPO / "docs" / "screenshots"


@dataclass
class OfflineBrowser:
    """A Chromium context that reaches only `allowed_origin`; `blocked` lists what else the
    pages asked for."""

    context: BrowserContext
    allowed_origin: str
    blocked: list[str] = field(default_factory=list)

    async def _only_the_server(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.allowed_origin + "/") or url.startswith("data:"):
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("blockedbyclient")


@pytest.fixture
async def offline_browser(live_server: LiveServer, tmp_path: Path) -> AsyncIterator[OfflineBrowser]:
    """Chromium with a fresh profile, allowed to reach only the live server."""
    executable = require_chromium()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=[arg for arg in CHROMIUM_ARGS if arg != "--headless"],
            viewport={"width": 1280, "height": 800},
        )
        browser = OfflineBrowser(context, live_server.url)
        await context.route("**/*", browser._only_the_server)
        try:
            yield browser
        finally:
            await context.close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
