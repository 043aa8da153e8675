"""What an operator polls, in process: /healthz, /readyz and /metrics (counted from real
requests, sockets, subscriptions and usage)."""

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.applications import Starlette

from api.app import create_app
from api.core import metrics
from api.core.metrics import BoundedLabel
from api.settings import Settings, load_settings
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient
from tests.inbox import seed
from tests.lifespan import lifespan
from tests.services import POSTGRES_URL
from tests.usage.helpers import RECORD, haiku_call
from tests.ws import asgi_socket, message_cursor

MESSAGE_ADDED = """subscription($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { seq content } }"""
SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) { __typename } }"""
WAIT_S = 20


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics: every sample by (name, sorted labels)."""
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    async with asyncio.timeout(WAIT_S):
        while not await check():
            await asyncio.sleep(0.05)


def app_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://parley.test")


@pytest.fixture
def http(client: GraphQLClient) -> httpx.AsyncClient:
    return client.http


async def test_healthz_and_readyz_answer_when_database_and_broadcast_do(
    http: httpx.AsyncClient,
) -> None:
    # when an operator probes a running app (memory:// broadcast)
    health = await http.get("/healthz", headers={"x-request-id": "probe-7"})
    ready = await http.get("/readyz")
    # then it is alive and ready, each dependency checked
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers.get_list("x-request-id") == ["probe-7"]  # as every response
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broadcast": "ok"}}


@pytest.mark.postgres
async def test_readyz_is_503_naming_the_database_when_it_refuses_connections(
    postgres_url: str,
) -> None:
    # given a running app on a PostgreSQL database
    app = create_app(
        load_settings(
            database_url=postgres_url,
            broadcast_url="memory://",
            secret_key="test-secret-key-0123456789",
        )
    )
    name = postgres_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        async with lifespan(app), app_client(app) as http:
            assert (await http.get("/readyz")).status_code == 200
            # when the database stops taking connections and drops the app's
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            response = await http.get("/readyz")
            health = await http.get("/healthz")
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    # then it is not ready, and says which dependency failed; it is still alive
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broadcast"] == "ok"
    assert body["checks"]["database"] != "ok"
    assert health.status_code == 200


async def test_metrics_count_operations_by_name_type_and_outcome(
    http: httpx.AsyncClient, agent: GraphQLClient
) -> None:
    before = await scrape(http)
    # when a client runs a named query twice, an anonymous one, and one it may not run
    await agent.data("query Inbox { viewer { role } }")
    await agent.data("query Inbox { viewer { role } }")
    await agent.data("{ __typename }")
    refused = await agent.as_(None).execute("query Members { members { role } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and one that is not valid
    await agent.execute("query Broken { nope }")
    after = await scrape(http)

    # then each is counted under its name, type and outcome
    def delta(**labels: str) -> float:
        name = "parley_graphql_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(operation_name="Inbox", operation_type="query", outcome="ok") == 2
    assert delta(operation_name="anonymous", operation_type="query", outcome="ok") == 1
    assert delta(operation_name="Members", operation_type="query", outcome="UNAUTHENTICATED") == 1
    assert (
        delta(operation_name="Broken", operation_type="query", outcome="GRAPHQL_VALIDATION_FAILED")
        == 1
    )
    # and a body refused before GraphQL is counted among the HTTP responses
    too_large = await http.post("/graphql", content=b"{" + b" " * 2_000_000 + b"}")
    assert too_large.status_code == 413
    assert len(too_large.headers.get_list("x-request-id")) == 1
    responses = await scrape(http)
    http_responses = "parley_http_responses_total"
    assert value(responses, http_responses, route="/graphql", status="413") == (
        value(before, http_responses, route="/graphql", status="413") + 1
    )
    assert value(responses, http_responses, route="/graphql", status="200") >= (
        value(before, http_responses, route="/graphql", status="200") + 5
    )
    # and queries are timed
    timed = "parley_graphql_request_duration_seconds_count"
    assert (
        value(after, timed, operation_type="query") - value(before, timed, operation_type="query")
        == 5
    )


def test_client_chosen_names_cannot_grow_the_labels_without_bound() -> None:
    # given a label that keeps at most 3 names
    label = BoundedLabel(r"[_A-Za-z][_0-9A-Za-z]{0,63}", 3)
    # when clients send names, some odd
    kept = [label(name) for name in ("A", "B", "A", "x" * 65, "not-a-name", "C", "D", "B")]
    # then plain names are kept until the cap, the rest are one fixed value
    assert kept == ["A", "B", "A", "other", "other", "C", "other", "B"]


async def test_metrics_follow_sockets_subscriptions_events_and_usage(
    app: Starlette, http: httpx.AsyncClient, agent: GraphQLClient, tenant: Tenant
) -> None:
    conversation = await seed.conversation(tenant)
    before = await scrape(http)

    async def gauge(name: str) -> float:
        return value(await scrape(http), name)

    # given a subscriber on a WebSocket
    async with asgi_socket(app) as ws:
        assert (await ws.init(tenant.keys[Role.VIEWER]))["type"] == "connection_ack"
        await ws.subscribe(
            MESSAGE_ADDED,
            {
                "conversationId": seed.gid("Conversation", conversation.id),
                "after": message_cursor(),
            },
        )
        # when a message is sent and the subscriber receives it
        await agent.data(
            SEND,
            {
                "input": {
                    "conversationId": seed.gid("Conversation", conversation.id),
                    "role": "USER",
                    "content": "Is the villa free in June?",
                }
            },
        )
        assert (await ws.next_data())["messageAdded"]["seq"] == 1
        during = await scrape(http)
        # then the socket and the subscription are open, the event published and delivered
        assert (
            value(during, "parley_open_websockets") == value(before, "parley_open_websockets") + 1
        )
        assert (
            value(during, "parley_active_subscriptions")
            == value(before, "parley_active_subscriptions") + 1
        )
        published = value(during, "parley_events_published_total", outcome="ok")
        assert published >= value(before, "parley_events_published_total", outcome="ok") + 1
        delivered = value(during, "parley_events_delivered_total")
        assert delivered == value(before, "parley_events_delivered_total") + 1
    # and once the socket is closed, both gauges are back
    opened = value(before, "parley_open_websockets")
    active = value(before, "parley_active_subscriptions")

    async def back() -> bool:
        return (
            await gauge("parley_open_websockets") == opened
            and await gauge("parley_active_subscriptions") == active
        )

    await eventually(back, "sockets and subscriptions closed")
    # and the subscription, once ended, was counted as an operation
    name = "parley_graphql_requests_total"
    labels = {"operation_name": "anonymous", "operation_type": "subscription", "outcome": "ok"}
    assert value(await scrape(http), name, **labels) == value(before, name, **labels) + 1

    # when a bot worker records a call twice with the same requestId
    for _ in range(2):
        await agent.data(RECORD, {"input": haiku_call(requestId="call-1")})
    # then one usage event is counted
    recorded = "parley_usage_events_recorded_total"
    assert value(await scrape(http), recorded) == value(before, recorded) + 1


async def test_metrics_may_require_a_bearer_token(settings: Settings) -> None:
    # given an app with PARLEY_METRICS_TOKEN set
    token = "metrics-token-0123456789"
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(token)}))
    async with lifespan(app), app_client(app) as http:
        # when /metrics is asked without it, with another, and with it
        without = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"authorization": f"Bearer {token}"})
        posted = await http.post("/metrics")
    # then only the right token gets the metrics, and only with GET
    assert without.status_code == wrong.status_code == 401
    assert right.status_code == 200 and "parley_graphql_requests_total" in right.text
    assert posted.status_code == 405
    assert metrics.MULTIPROCESS is False  # in-process tests: one registry
