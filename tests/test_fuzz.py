"""Fuzz: operations generated from the schema by hypothesis-graphql, sent to the running app
with an OWNER key, never get an HTTP 5xx or a masked error.

The documents are drawn once, derandomized (the same ones on every run, so CI is
reproducible), then sent one by one to one app; a failure names the document to replay.
"""

import json
from datetime import UTC
from decimal import Decimal
from typing import Any

import graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from api.schema import schema
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient

OPERATIONS_PER_FIELD = 30
"""30 for each of the 40 root fields: over 1,000 distinct operations."""


def _json_node(value: Any) -> graphql.ValueNode:
    """A JSON value written as a GraphQL literal."""
    if isinstance(value, dict):
        return nodes.Object(
            [
                graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_json_node(item))
                for key, item in value.items()
            ]
        )
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_node(item) for item in value))
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if value is None:
        return graphql.NullValueNode()
    return nodes.String(value)


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
_json = st.recursive(
    _json_leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_names, children, max_size=3),
    max_leaves=8,
)

# What a hostile client sends, mixed into the generated text and numbers.
HOSTILE_TEXT = (
    "a\x00b",
    "\ud800",
    "x" * 201,
    "x" * 321 + "@example.com",
    "a%_" * 17_000,
    "UXVlcnk6eA==",
)
_text = st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE_TEXT)).map(nodes.String)
_int = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(str),
    st.just("9" * 5000),
).map(lambda digits: graphql.IntValueNode(value=digits))

# Built-in and custom scalars: mostly valid values (so operations reach the resolvers),
# some garbage, some hostile.
CUSTOM_SCALARS = {
    "String": _text,
    "ID": _text,
    "Int": _int,
    "Decimal": st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6))
        .filter(lambda value: value <= Decimal(10**6))
        .map(lambda value: nodes.String(format(value, "f"))),
        st.text(max_size=12).map(nodes.String),
    ),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda value: nodes.String(value.isoformat())),
        st.datetimes().map(lambda value: nodes.String(value.isoformat())),
        st.text(max_size=12).map(nodes.String),
    ),
    "Date": st.one_of(
        st.dates().map(lambda value: nodes.String(value.isoformat())),
        st.text(max_size=12).map(nodes.String),
    ),
    "JSON": _json.map(_json_node),
    "Long": st.integers().map(nodes.Int),
}


def draw(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` documents from `strategy`, the same ones on every run."""
    documents: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        documents.append(document)

    collect()
    return documents


def generated_operations() -> list[str]:
    """OPERATIONS_PER_FIELD documents for each root field of Query and Mutation (drawn per
    field: drawn over the whole type, the first fields crowd out the others)."""
    graphql_schema = schema._schema
    documents: list[str] = []
    for strategy_of, root in (
        (queries, graphql_schema.query_type),
        (mutations, graphql_schema.mutation_type),
    ):
        assert root is not None
        for name in root.fields:
            strategy = strategy_of(
                graphql_schema,
                fields=[name],
                custom_scalars=CUSTOM_SCALARS,
                codec=None,  # any code point: lone surrogates too, as a hostile client sends
            )
            documents += draw(strategy, OPERATIONS_PER_FIELD)
    return documents


async def test_generated_operations_never_get_a_server_error_or_a_masked_error(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER, and operations generated over the whole schema
    owner = client.as_(tenant.keys[Role.OWNER])
    operations = generated_operations()
    assert len(set(operations)) >= 1000

    # when each is sent
    failures: list[str] = []
    for document in operations:
        response = await owner.http.post(
            "/graphql",
            # json.dumps escapes a lone surrogate as \ud800, as a JavaScript client would
            content=json.dumps({"query": document}),
            headers={
                "authorization": f"Bearer {owner.token}",
                "content-type": "application/json",
            },
        )
        codes = [
            (error.get("extensions") or {}).get("code")
            for error in (response.json().get("errors") or [])
        ]

        # then none is a server error, and none is masked
        if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in codes:
            failures.append(f"{response.status_code} {response.text[:300]}\n  for {document}")

    assert not failures, f"{len(failures)} of {len(operations)}:\n" + "\n".join(failures[:20])
