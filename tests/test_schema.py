"""The schema as clients see it: committed SDL in step with the code, every field guarded by
a permission class, everything described, and the query limits on."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from api.schema import Mutation, Query, Subscription, schema
from tests.graphql import GraphQLClient, error_codes

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_file_is_generated_from_the_code() -> None:
    # when the schema is exported from the code, then it equals the committed file
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `parley export-schema` and commit it"
    )


def test_every_root_field_declares_its_permission_classes() -> None:
    # a field without permission classes would be open to anyone by accident
    unguarded = [
        f"{root.__name__}.{field.python_name}"
        for root in (Query, Mutation, Subscription)
        for field in root.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if not field.permission_classes
    ]
    assert unguarded == []


def test_every_type_and_field_has_a_description() -> None:
    missing: list[str] = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType | GraphQLUnionType):
            continue
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            missing += [
                f"{name}.{field}"
                for field, definition in graphql_type.fields.items()
                if not definition.description
            ]
    assert missing == []


DEEP = (
    "query { conversations { edges { node { "
    + "lastMessage { conversation { " * 5
    + "id"
    + " } }" * 5
    + " } } } }"
)
ALIASES = "query { " + " ".join(f"a{i}: workspace {{ name }}" for i in range(16)) + " }"


async def test_too_deep_a_query_is_refused(client: GraphQLClient) -> None:
    body = await client.execute(DEEP)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(client: GraphQLClient) -> None:
    body = await client.execute(ALIASES)
    assert "aliases" in body["errors"][0]["message"]
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_too_long_a_query_is_refused(client: GraphQLClient) -> None:
    body = await client.execute("query { " + "workspace { name } " * 700 + "}")
    assert "token" in body["errors"][0]["message"].lower()
