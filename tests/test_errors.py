"""The three tiers of errors: data for expected failures (see the domain tests), codes for
authentication, and a masked error with a request id for anything unexpected."""

import logging

import pytest

from api.inbox import contacts as inbox_contacts
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient

CONTACTS = "query { contacts(first: 5) { edges { node { id } } } }"


async def test_unexpected_failure_is_masked_and_logged_with_the_request_id(
    client: GraphQLClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a service that fails in a way nobody planned for
    async def explode(**_: object) -> None:
        raise RuntimeError("connection to db-internal-7 refused")

    monkeypatch.setattr(inbox_contacts, "list_contacts", explode)
    # when a client asks, naming its request id
    response = await client.http.post(
        "/graphql",
        json={"query": CONTACTS},
        headers={"authorization": f"Bearer {tenant.keys[Role.VIEWER]}", "x-request-id": "req-42"},
    )
    # then the client sees a masked error carrying the request id, and no internals
    body = response.json()
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "req-42",
    }
    assert "db-internal-7" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-42"
    # and the log has the request id with the real cause
    logged = [r for r in caplog.records if r.name == "parley.errors"]
    assert len(logged) == 1 and "req-42" in logged[0].getMessage()
    assert logged[0].exc_info is not None and "db-internal-7" in str(logged[0].exc_info[1])


async def test_a_query_with_bad_input_gets_a_coded_top_level_error(
    client: GraphQLClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    # when a list is asked for with a cursor it never gave out
    body = await client.as_(tenant.keys[Role.VIEWER]).execute(
        'query { contacts(first: 5, after: "bm90LWEtY3Vyc29y") { edges { node { id } } } }'
    )
    # then the error names the argument, and nothing is logged as a server error
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_no_credentials_is_unauthenticated(client: GraphQLClient) -> None:
    body = await client.execute(CONTACTS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ viewer ", "GRAPHQL_PARSE_FAILED"),
        ("{ " + "viewer { role } " * 1500 + "}", "GRAPHQL_PARSE_FAILED"),  # over the tokens
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["syntax", "tokens", "validation"],
)
async def test_a_document_that_does_not_parse_or_validate_gets_its_code(
    client: GraphQLClient, document: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    # when a client sends a broken, too long or invalid document
    body = await client.execute(document)
    # then the error says which, with a code, and nothing is logged as a server error
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
