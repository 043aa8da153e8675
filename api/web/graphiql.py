"""GraphiQL at GET /graphql (what strawberry renders for a browser), from Parley's own files.

The page (templates/graphiql.html) loads only /static: the vendored React, GraphiQL and
graphql-ws, and static/graphiql/playground.js, which holds every line of our script. No
script is inline, so the page is served with a Content-Security-Policy that lets it run
nothing and reach nothing but Parley (and this host's WebSocket, for subscriptions).
"""

import functools
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

PAGE = Path(__file__).resolve().parent / "templates" / "graphiql.html"

# a Host header goes into the policy only if it is a plain host[:port]
PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")


@functools.cache
def page_html() -> str:
    return PAGE.read_text(encoding="utf-8")


def content_security_policy(host: str | None) -> str:
    """Scripts, fonts and images from Parley only; requests to Parley and its WebSocket.

    `connect-src 'self'` covers ws(s):// of the page's host in CSP 3, but not in every
    browser, so that origin is named too: both schemes, since behind a TLS-terminating
    proxy the app cannot tell which one the browser sees. GraphiQL's dialogs (settings,
    shortcuts) add a <style> element whose text varies (react-remove-scroll measures the
    scrollbar), so styles, and only styles, allow 'unsafe-inline'; GraphiQL's stylesheet
    embeds its fonts and icons as data: URLs."""
    sockets = f" ws://{host} wss://{host}" if host and PLAIN_HOST.fullmatch(host) else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self'{sockets}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def graphiql_page(request: Request) -> HTMLResponse:
    """The playground, with its policy; never cached stale (it names the asset files)."""
    return HTMLResponse(
        page_html(),
        headers={
            "content-security-policy": content_security_policy(request.headers.get("host")),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "cache-control": "no-cache",
        },
    )
