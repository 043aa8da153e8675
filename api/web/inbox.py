"""GET /inbox: the live inbox page (api/web/static/inbox/), a plain HTML file whose script
and styles are files under /static; it talks to /graphql like any other client."""

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from api.web import STATIC_DIR

INBOX_HTML = STATIC_DIR / "inbox" / "index.html"

# The page shows text written by strangers (contacts' messages): no inline script or style
# may run, and it reaches nothing but this server ('self' covers ws:// of the same host).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def inbox_page(request: Request) -> Response:
    return FileResponse(INBOX_HTML, media_type="text/html", headers=SECURITY_HEADERS)


def inbox_routes() -> list[BaseRoute]:
    """GET /inbox."""
    return [Route("/inbox", inbox_page, methods=["GET"])]
