"""GraphQL over HTTP's two media types: a client naming application/graphql-response+json
gets status codes that mean something (a request error is a 400 without `data`); every
other client gets application/json, where a GraphQL response is a 200, as before."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from api.app import create_app
from api.core.http_responses import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from api.settings import Settings
from models.enums import Role
from tests.conftest import Tenant

NEW = "application/graphql-response+json"
# what Apollo Client 4 and graphql-http's client send
NEW_FIRST = "application/graphql-response+json, application/json;q=0.9"
DEEP = "{ viewer { " + "workspace { " * 12 + "id" + " }" * 12 + " } }"


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield client


async def post(
    http: httpx.AsyncClient,
    accept: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> httpx.Response:
    headers = {"accept": accept} if accept is not None else {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("text/html", JSON),
        (NEW, GRAPHQL_RESPONSE_JSON),
        (NEW_FIRST, GRAPHQL_RESPONSE_JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0, application/json", JSON),
        ("application/graphql-response+json;q=nonsense, */*", JSON),
        ("*/*;q=0.8, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
    ],
)
def test_the_media_type_follows_the_accept_header(accept: str | None, media_type: str) -> None:
    assert response_media_type(accept) == media_type


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ viewer { role ", None, None),  # does not parse
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        (DEEP, None, "GRAPHQL_VALIDATION_FAILED"),  # Parley's depth limit
        (
            "query ($first: Int!) { conversations(first: $first) { pageInfo { hasNextPage } } }",
            {"first": "twenty"},
            None,
        ),  # variables that do not coerce
    ],
    ids=["parse", "validation", "depth-limit", "variable-coercion"],
)
async def test_a_request_error_is_a_400_without_data_for_graphql_response_json(
    http: httpx.AsyncClient,
    tenant: Tenant,
    query: str,
    variables: dict[str, Any] | None,
    code: str | None,
) -> None:
    # when a request that fails before execution accepts application/graphql-response+json
    response = await post(http, NEW_FIRST, query, variables, tenant.keys[Role.AGENT])
    # then it is a 400 in that media type, with the errors and no data entry
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == f"{NEW}; charset=utf-8"
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["message"]
    if code is not None:
        assert body["errors"][0]["extensions"]["code"] == code
    # and the same request accepting application/json is a 200 with data null, as before
    legacy = await post(http, "application/json", query, variables, tenant.keys[Role.AGENT])
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None
    assert legacy.json()["errors"] == body["errors"]


async def test_what_executed_is_a_200_with_data_even_when_a_field_failed(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    # when a valid query runs without credentials (the field refuses: UNAUTHENTICATED)
    response = await post(http, NEW, "{ viewer { role } }")
    # then it executed: 200, data null, the error has a path
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(NEW)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["viewer"]
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # and with credentials it is data, in the same media type
    response = await post(http, NEW, "{ viewer { role } }", token=tenant.keys[Role.AGENT])
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "AGENT"}}}


async def test_http_refusals_answer_in_the_accepted_media_type(http: httpx.AsyncClient) -> None:
    # when the body is not JSON, or has no query, accepting application/graphql-response+json
    for content in (b"{not json", b"{}"):
        response = await http.post(
            "/graphql",
            content=content,
            headers={"content-type": "application/json", "accept": NEW},
        )
        # then the refusal keeps its 400 and its GraphQL error body, in that media type
        assert response.status_code == 400
        assert response.headers["content-type"] == f"{NEW}; charset=utf-8"
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_graphiql_is_still_served_to_a_browser(http: httpx.AsyncClient) -> None:
    # when a browser opens /graphql
    response = await http.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
    # then it gets the page, not JSON
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_a_body_over_the_cap_is_refused_in_the_accepted_media_type(
    settings: Settings,
) -> None:
    # given the app with a 1 KiB body cap
    application = create_app(settings.model_copy(update={"max_body_bytes": 1024}))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as c:
            # when a larger body accepts application/graphql-response+json
            response = await c.post(
                "/graphql", json={"query": "{ __typename }" + " " * 2000}, headers={"accept": NEW}
            )
    # then it is a 413 in that media type
    assert response.status_code == 413
    assert response.headers["content-type"] == f"{NEW}; charset=utf-8"
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
