"""What a query selected, so a list resolver can load related rows up front (in parallel,
before the fields resolve) instead of one awaited loader call per row."""

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from api.core.context import Info


def _fields(selections: Iterable[Any]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)
        elif isinstance(selection, SelectedField):
            yield selection


def selected_under(info: Info, *path: str) -> set[str]:
    """Names of the fields selected at `path` below the current field, e.g.
    `selected_under(info, "edges", "node")` in a connection resolver."""
    level: list[Any] = list(_fields(info.selected_fields[0].selections))
    for name in path:
        level = [
            child for field in level if field.name == name for child in _fields(field.selections)
        ]
    return {field.name for field in level}
