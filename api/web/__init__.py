"""Pages and static assets Parley serves itself: GraphiQL at GET /graphql, the inbox at
/inbox, and their assets under /static (vendored copies, so nothing comes from a CDN)."""

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def static_routes() -> list[BaseRoute]:
    """/static: the vendored libraries and the pages' own scripts and styles."""
    return [Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]
