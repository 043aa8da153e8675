"""graphql-http's conformance audit (GraphQL over HTTP, every MUST and SHOULD) against a
real `parley serve`: clients/reference/audit.mjs exits non-zero on any error or warning."""

import asyncio
import json

from models.enums import Role
from tests.clients.conftest import REFERENCE
from tests.conftest import LiveServer, sqlite_only
from tests.tools import run_node


@sqlite_only
async def test_every_must_and_should_of_graphql_over_http_passes(live_server: LiveServer) -> None:
    # when graphql-http audits /graphql (with an API key, as a client would send)
    result = await asyncio.to_thread(
        run_node,
        REFERENCE / "audit.mjs",
        live_server.graphql_url,
        env={"PARLEY_API_KEY": live_server.tenant.keys[Role.AGENT]},
    )
    # then it passed (run_node fails the test on a warning, with the audit's report) and
    # the summary counts every MUST and every SHOULD as passed
    summary_line = result.stdout.strip().splitlines()[-1]
    assert summary_line.startswith("summary "), result.stdout
    summary = json.loads(summary_line.removeprefix("summary "))
    for level in ("MUST", "SHOULD"):
        assert summary[level]["total"] > 0
        assert summary[level]["passed"] == summary[level]["total"], result.stdout
