"""Bad input, table-driven: every hostile value at every text, JSON, number, date and ID
input of every query and mutation (found by walking the schema) is refused with an error
naming the field, never a masked error, and nothing is written.

The inputs around the hostile one only need to be well-typed: bounds are checked before any
resolver runs (api.core.validation) and scalars refuse what they cannot represent before
execution (api.core.scalars), so an unknown conversation id next to a NUL byte never matters.
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    get_nullable_type,
)
from tortoise import Tortoise

import models
from api.core.validation import BOUNDS_KEY, MAX_TEXT
from api.schema import schema
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient

SCHEMA = schema._schema

NOT_A_NODE_ID = "UXVlcnk6eA=="  # base64("Query:x"): a type that is not a node


@dataclass(frozen=True)
class Raw:
    """A value written verbatim into a document (what JSON variables cannot carry)."""

    text: str


@dataclass(frozen=True)
class Position:
    """One leaf input: a scalar at `path` below `argument` of a root field."""

    operation: str
    root_field: str
    argument: str
    path: tuple[str | int, ...]
    scalar: str
    in_list: bool
    max_length: int

    @property
    def error_field(self) -> str:
        """What a BadInput names: a mutation's `input` prefix is left out, text in a list is
        named by the list, an input object in a list by its place (`events.0.model`)."""
        parts = [str(part) for part in self.path]
        if self.argument != "input":
            parts.insert(0, self.argument)
        return ".".join(parts)

    @property
    def variable_path(self) -> str:
        """How graphql-core names it in a coercion error: `'$input' … at .events[0].model`."""
        inner = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.path)
        return f"'${self.argument}' has invalid value at {inner}:" if inner else f"${self.argument}"

    def __str__(self) -> str:
        return f"{self.root_field}({self.argument}/{self.error_field}: {self.scalar})"


def input_positions() -> Iterator[Position]:
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, root_field in root.fields.items():
            for argument_name, argument in root_field.args.items():
                yield from _positions(
                    operation, name, argument_name, (), argument.type, argument.extensions
                )


def _positions(
    operation: str,
    root_field: str,
    argument: str,
    path: tuple[str | int, ...],
    type_: GraphQLInputType,
    extensions: dict[str, Any],
) -> Iterator[Position]:
    named = get_named_type(type_)
    in_list = isinstance(get_nullable_type(type_), GraphQLList)  # type: ignore[arg-type]
    if isinstance(named, GraphQLInputObjectType):
        prefix = (*path, 0) if in_list else path
        for name, input_field in named.fields.items():
            yield from _positions(
                operation,
                root_field,
                argument,
                (*prefix, name),
                input_field.type,
                input_field.extensions,
            )
    elif isinstance(named, GraphQLScalarType) and named.name != "Boolean":
        yield Position(
            operation, root_field, argument, path, named.name, in_list, _max_length(extensions)
        )


def _max_length(extensions: dict[str, Any]) -> int:
    definition = extensions.get("strawberry-definition")
    bounds = (getattr(definition, "metadata", None) or {}).get(BOUNDS_KEY)
    return bounds.max_length if bounds else MAX_TEXT


# --- well-typed values around the hostile one ---------------------------------------------

SCALAR_EXAMPLES: dict[str, Any] = {
    "String": "x",
    "ID": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "JSON": {},
    "Decimal": "1",
    "DateTime": "2030-01-01T00:00:00Z",
    "Date": "2030-01-01",
    "Long": 1,
}


def example(type_: GraphQLInputType) -> Any:
    """A well-typed value with every required field filled in."""
    nullable = get_nullable_type(type_)  # type: ignore[arg-type]
    if isinstance(nullable, GraphQLList):
        return [example(nullable.of_type)]
    if isinstance(nullable, GraphQLInputObjectType):
        return {
            name: example(input_field.type)
            for name, input_field in nullable.fields.items()
            if isinstance(input_field.type, GraphQLNonNull)
            and input_field.default_value is Undefined
        }
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    assert isinstance(nullable, GraphQLScalarType)
    return SCALAR_EXAMPLES[nullable.name]


def arguments_with(position: Position, hostile: Any) -> dict[str, Any]:
    """The root field's required arguments, well-typed, and `hostile` at `position`."""
    root = SCHEMA.query_type if position.operation == "query" else SCHEMA.mutation_type
    assert root is not None
    definitions = root.fields[position.root_field].args
    values = {
        name: example(argument.type)
        for name, argument in definitions.items()
        if isinstance(argument.type, GraphQLNonNull) or name == position.argument
    }
    leaf = [hostile] if position.in_list else hostile
    if not position.path:
        values[position.argument] = leaf
        return values
    container: Any = values[position.argument]
    if isinstance(container, list):
        container = container[0]
    type_ = get_named_type(definitions[position.argument].type)
    for step in position.path[:-1]:
        if isinstance(step, int):
            continue  # the list's one element
        assert isinstance(type_, GraphQLInputObjectType)
        field_type = type_.fields[step].type
        if step not in container:
            container[step] = example(field_type)
        container = container[step]
        if isinstance(container, list):
            container = container[0]
        type_ = get_named_type(field_type)
    container[position.path[-1]] = leaf
    return values


def literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` written as a GraphQL literal of `type_` (enums bare, objects unquoted)."""
    nullable = get_nullable_type(type_)  # type: ignore[arg-type]
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(nullable, GraphQLList):
        return "[" + ", ".join(literal(item, nullable.of_type) for item in value) + "]"
    if isinstance(nullable, GraphQLInputObjectType):
        fields = nullable.fields
        return "{" + ", ".join(f"{k}: {literal(v, fields[k].type)}" for k, v in value.items()) + "}"
    if isinstance(nullable, GraphQLEnumType):
        return str(value)
    if isinstance(value, dict):  # JSON
        return "{" + ", ".join(f"{k}: {literal(v, nullable)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item, nullable) for item in value) + "]"
    return json.dumps(value)


# --- hostile values -------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    value: Any
    expect: str
    """"bad_input": a BadInput naming the field (a mutation's ValidationError, a query's
    top-level BAD_USER_INPUT); "coercion": a validation error naming the variable;
    "literal": a validation error at the literal's position; "null": no such object (a
    query answers null, or BAD_USER_INPUT for a required argument)."""
    in_document: bool = field(default=False)


def hostile_values(position: Position) -> list[Hostile]:
    text = [
        Hostile("NUL byte", "a\x00b", "bad_input"),
        Hostile("lone surrogate", "a\ud800b", "bad_input"),
        Hostile("one character too long", "x" * (position.max_length + 1), "bad_input"),
        Hostile("50 KB of LIKE wildcards", "a%_" * 17_000, "bad_input"),
    ]
    # decode_id refuses a global ID of the wrong type in mutations (tests of each domain)
    not_a_node = (
        [Hostile("not a node type", NOT_A_NODE_ID, "null")] if position.operation == "query" else []
    )
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    by_scalar: dict[str, list[Hostile]] = {
        "String": text,
        "ID": [*text, *not_a_node],
        "JSON": [
            Hostile("NaN", {"x": math.nan}, "coercion"),
            Hostile("Infinity", {"x": math.inf}, "coercion"),
            Hostile("NUL in text", {"x": "a\x00b"}, "coercion"),
            Hostile("lone surrogate in a key", {"a\ud800": 1}, "coercion"),
            Hostile("nested 40 deep", {"x": deep}, "coercion"),
            Hostile("100 KB", {"x": "y" * 100_000}, "coercion"),
            Hostile("integer beyond 2^53", {"x": 2**60}, "coercion"),
            Hostile("1e999 literal", {"x": Raw("1e999")}, "literal", in_document=True),
            Hostile("5000-digit literal", {"x": Raw("9" * 5000)}, "literal", in_document=True),
        ],
        "Decimal": [
            Hostile("padded", " 1 ", "coercion"),
            Hostile("underscore", "1_0", "coercion"),
            Hostile("exponent", "1e3", "coercion"),
            Hostile("NaN", "NaN", "coercion"),
            Hostile("Infinity", "Infinity", "coercion"),
            Hostile("60 digits", "1" * 60, "coercion"),
            Hostile("a float", 0.1, "coercion"),
            Hostile("5000-digit literal", Raw("9" * 5000), "literal", in_document=True),
        ],
        "DateTime": [
            Hostile("year 10000 in UTC", "9999-12-31T23:59:59-23:59", "coercion"),
            Hostile("year 1", "0001-01-01T00:00:00Z", "coercion"),
            Hostile("not a date", "yesterday", "coercion"),
        ],
        "Int": [
            Hostile("2^31", 2**31, "coercion"),
            Hostile("5000-digit literal", Raw("9" * 5000), "literal", in_document=True),
        ],
    }
    return by_scalar.get(position.scalar, [])


# --- one request per (position, value) --------------------------------------------------------


def document(position: Position, arguments: dict[str, Any], *, inline: bool) -> str:
    root = SCHEMA.query_type if position.operation == "query" else SCHEMA.mutation_type
    assert root is not None
    definitions = root.fields[position.root_field].args
    selection = (
        "{ __typename ... on Error { code field } }"
        if position.operation == "mutation"
        else "{ __typename }"
    )
    if inline:
        call = ", ".join(
            f"{name}: {literal(value, definitions[name].type)}" for name, value in arguments.items()
        )
        return f"{position.operation} {{ {position.root_field}({call}) {selection} }}"
    declared = ", ".join(f"${name}: {definitions[name].type}" for name in arguments)
    call = ", ".join(f"{name}: ${name}" for name in arguments)
    return f"{position.operation}({declared}) {{ {position.root_field}({call}) {selection} }}"


async def send(owner: GraphQLClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    # json.dumps writes NaN/Infinity as a lenient client would; the server's parser reads them
    response = await owner.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"authorization": f"Bearer {owner.token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text[:500]
    body: dict[str, Any] = response.json()
    return body


def problem(position: Position, hostile: Hostile, body: dict[str, Any]) -> str | None:
    """What is wrong with the answer to one hostile value, or None."""
    errors = body.get("errors") or []
    codes = [error.get("extensions", {}).get("code") for error in errors]
    if "INTERNAL_SERVER_ERROR" in codes:
        return f"masked error {errors}"
    result = (body.get("data") or {}).get(position.root_field)
    if hostile.expect == "bad_input":
        if position.operation == "mutation":
            expected = {"__typename": "ValidationError", "code": "BAD_USER_INPUT"}
            if result != {**expected, "field": position.error_field}:
                return f"expected a ValidationError naming {position.error_field}: {body}"
            return None
        fields = [
            (error.get("extensions", {}).get("code"), error.get("extensions", {}).get("field"))
            for error in errors
        ]
        if ("BAD_USER_INPUT", position.error_field) not in fields:
            return f"expected BAD_USER_INPUT naming {position.error_field}: {body}"
        return None
    if hostile.expect == "null":
        if errors and set(codes) != {"BAD_USER_INPUT"}:
            return f"expected null or BAD_USER_INPUT: {body}"
        return None
    if codes != ["GRAPHQL_VALIDATION_FAILED"] * len(codes) or not codes:
        return f"expected a validation error: {body}"
    if body.get("data") is not None:
        return f"expected no execution: {body}"
    if hostile.expect == "coercion":
        if not any(position.variable_path in error["message"] for error in errors):
            return f"expected the error to name {position.variable_path}: {errors}"
    elif not all(error.get("locations") for error in errors):
        return f"expected the literal's position: {errors}"
    return None


async def row_counts() -> dict[str, int]:
    """Rows of every table, all workspaces (the model catalog is global)."""
    return {
        name: await model.all().count() for name, model in sorted(Tortoise.apps["models"].items())
    }


async def test_every_hostile_value_at_every_input_is_refused_by_name_and_nothing_is_written(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER, and the inputs of every query and mutation
    owner = client.as_(tenant.keys[Role.OWNER])
    positions = list(input_positions())
    scalars = {position.scalar for position in positions}
    assert {"String", "ID", "JSON", "Decimal", "DateTime", "Int"} <= scalars, scalars
    before = await row_counts()

    # when every hostile value is sent to every position
    problems: list[str] = []
    sent = 0
    for position in positions:
        for hostile in hostile_values(position):
            arguments = arguments_with(position, hostile.value)
            query = document(position, arguments, inline=hostile.in_document)
            body = await send(owner, query, {} if hostile.in_document else arguments)
            sent += 1
            if (found := problem(position, hostile, body)) is not None:
                problems.append(f"{position} <- {hostile.name}: {found[:400]}")

    # then each is refused, naming the field, and nothing was written
    assert problems == [], f"{len(problems)} of {sent}:\n" + "\n".join(problems)
    assert sent > 500
    assert await row_counts() == before


async def test_text_as_long_as_its_bound_is_never_an_internal_error(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER, and every text input with the bound it declares
    owner = client.as_(tenant.keys[Role.OWNER])
    texts = [p for p in input_positions() if p.scalar in ("String", "ID")]

    # when each gets text exactly as long as its bound (PostgreSQL refuses a longer value
    # than its column holds: a bound above the column shows here)
    masked: list[str] = []
    for position in texts:
        arguments = arguments_with(position, "x" * position.max_length)
        body = await send(owner, document(position, arguments, inline=False), arguments)
        codes = [error.get("extensions", {}).get("code") for error in body.get("errors") or []]
        if "INTERNAL_SERVER_ERROR" in codes:
            masked.append(str(position))

    # then each is taken or refused, never an internal error
    assert masked == []


# --- the defects one by one, as a user meets them -------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { id } }"
CONTACTS = """query($search: String) {
  contacts(filter: {search: $search}) { edges { node { name } } }
}"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) {
  createContact(input: $input) { __typename ... on Error { code field } }
}"""
SET_BUDGET = """mutation($input: SetAiBudgetInput!) {
  setAiBudget(input: $input) {
    __typename ... on SetAiBudgetPayload { budget { limitUsd } } ... on Error { code field }
  }
}"""
RESERVE = """mutation($input: ReserveAiBudgetInput!) {
  reserveAiBudget(input: $input) { __typename ... on Error { code field } }
}"""


async def test_node_of_an_id_whose_type_is_not_a_node_is_null(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER
    owner = client.as_(tenant.keys[Role.OWNER])

    # when asking for the node of base64("Query:x")
    body = await owner.execute(NODE, {"id": NOT_A_NODE_ID})

    # then there is no such node, and no error
    assert body == {"data": {"node": None}}


async def test_a_search_matches_like_wildcards_literally(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given contacts with and without an underscore
    owner = client.as_(tenant.keys[Role.OWNER])
    for name in ("Dewi_Lestari", "Dewi Lestari", "100% Budi"):
        result = await owner.data(CREATE_CONTACT, {"input": {"name": name}})
        assert result["createContact"]["__typename"] == "CreateContactPayload"

    # when searching for "_" and for "%"
    underscore = await owner.data(CONTACTS, {"search": "_"})
    percent = await owner.data(CONTACTS, {"search": "%"})

    # then each matches only the names that contain it
    assert [edge["node"]["name"] for edge in underscore["contacts"]["edges"]] == ["Dewi_Lestari"]
    assert [edge["node"]["name"] for edge in percent["contacts"]["edges"]] == ["100% Budi"]


async def test_a_search_longer_than_its_bound_is_refused_naming_the_filter_field(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER
    owner = client.as_(tenant.keys[Role.OWNER])

    # when searching for 50 KB of text (SQLite: "LIKE pattern too complex")
    body = await owner.execute(CONTACTS, {"search": "a%" * 25_000})

    # then the search is refused, naming filter.search
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "BAD_USER_INPUT", "field": "filter.search"}
    ]


async def test_decimal_takes_plain_notation_only(client: GraphQLClient, tenant: Tenant) -> None:
    # given an OWNER
    owner = client.as_(tenant.keys[Role.OWNER])

    # when setting a budget in plain notation, and in notations Python would also read
    plain = await owner.data(SET_BUDGET, {"input": {"amountUsd": "12.50", "mode": "SOFT"}})
    refused = [
        await owner.execute(SET_BUDGET, {"input": {"amountUsd": amount, "mode": "SOFT"}})
        for amount in (" 1 ", "1_0", "1e1", "+1", ".5", "NaN")
    ]

    # then plain notation is taken exactly, the others are refused naming the field
    assert plain["setAiBudget"] == {
        "__typename": "SetAiBudgetPayload",
        "budget": {"limitUsd": "12.5"},
    }
    for body in refused:
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == [
            "GRAPHQL_VALIDATION_FAILED"
        ]
        assert "at .amountUsd:" in body["errors"][0]["message"]


async def test_a_reservation_of_zero_seconds_is_refused_not_given_the_default(
    client: GraphQLClient, tenant: Tenant
) -> None:
    # given an OWNER
    owner = client.as_(tenant.keys[Role.OWNER])
    reservation = {"model": "claude-3-haiku-20240307", "maxInputTokens": 10, "maxOutputTokens": 10}

    # when reserving for 0 seconds
    result = await owner.data(RESERVE, {"input": {**reservation, "ttlSeconds": 0}})

    # then it is refused naming ttlSeconds, and nothing is held
    assert result["reserveAiBudget"] == {
        "__typename": "ValidationError",
        "code": "BAD_USER_INPUT",
        "field": "ttlSeconds",
    }
    assert await models.AiBudgetReservation.filter(workspace_id=tenant.id).count() == 0
