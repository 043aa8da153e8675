"""A GraphQL type is built from its row one way (`api.core.rows.from_row`), and its enum
fields type-check without `# type: ignore`."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import strawberry

from api.core.rows import from_row

ROOT = Path(__file__).resolve().parents[2]
IGNORED_FIELD = re.compile(r"^\s+\w+: .*# type: ignore\[valid-type\]", re.MULTILINE)


@strawberry.type(description="A thing, for the test.")
class Thing:
    id: strawberry.ID = strawberry.field(description="Encoded, not the row's.")
    name: str = strawberry.field(description="Same name as the row's.")
    size: int = strawberry.field(description="Same name as the row's.")
    note: str | None = strawberry.field(default=None, description="Rows rarely have one.")
    _key: strawberry.Private[int]

    @strawberry.field(description="A resolver: not built from the row.")
    def shout(self) -> str:
        return self.name.upper()


def test_a_type_takes_its_fields_from_the_same_named_attributes_of_the_row() -> None:
    # given a row with the type's fields and more
    row = SimpleNamespace(id=7, name="ada", size=3, note="hi", unrelated=object())

    # when the type is built with only the fields that differ
    thing = from_row(Thing, row, id=strawberry.ID("Thing:7"), _key=row.id)

    # then the rest are the row's
    assert (thing.id, thing.name, thing.size, thing.note, thing._key) == (
        "Thing:7",
        "ada",
        3,
        "hi",
        7,
    )
    assert thing.shout() == "ADA"


def test_a_field_with_a_default_keeps_it_when_the_row_has_no_such_attribute() -> None:
    row = SimpleNamespace(name="ada", size=3)

    thing = from_row(Thing, row, id=strawberry.ID("Thing:1"), _key=1)

    assert thing.note is None


def test_a_row_without_a_required_field_is_an_error() -> None:
    row = SimpleNamespace(name="ada")

    with pytest.raises(AttributeError, match="size"):
        from_row(Thing, row, id=strawberry.ID("Thing:1"), _key=1)


def test_no_field_of_a_graphql_type_needs_a_type_ignore() -> None:
    # given every module of the API
    ignored = {
        str(path.relative_to(ROOT)): IGNORED_FIELD.findall(path.read_text())
        for path in (ROOT / "api").rglob("*.py")
    }

    # then no field (an enum one, typically) silences mypy's valid-type check
    assert {path: lines for path, lines in ignored.items() if lines} == {}
