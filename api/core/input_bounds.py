"""The input bounds of api.core.validation, applied to every argument of every field.

`bound_inputs` adds the `InputBounds` field extension to every field with arguments of the
schema's root types and the object types they reach. Before a resolver runs (after its
permissions), the extension walks the converted arguments and checks each text with
`check_text`, with the bound declared next to the input field (`column(...)`/`limit(...)`
metadata) or MAX_TEXT; BadInput names the field at fault (`name`, `filter.search`,
`events.3.model`).
"""

from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import (
    StrawberryList,
    StrawberryOptional,
    get_object_definition,
    has_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.union import StrawberryUnion
from strawberry.utils.str_converters import to_camel_case

from api.core.validation import BOUNDS_KEY, MAX_TEXT, Bounds, check_text


def check_arguments(field: StrawberryField, arguments: dict[str, Any]) -> None:
    """Check every text inside the converted arguments of `field`.

    A mutation's single `input` argument is the form the client fills in: its fields are
    named without the prefix (`name`, `usage.model`); other arguments keep theirs
    (`filter.search`, `id`)."""
    for argument in field.arguments:
        value = arguments.get(argument.python_name)
        name = argument.graphql_name or to_camel_case(argument.python_name)
        prefix = "" if name == "input" else name
        _check_value(value, path=prefix or name, prefix=prefix, bounds=_bounds_of(argument))


def _check_value(value: Any, *, path: str, prefix: str, bounds: Bounds | None) -> None:
    if isinstance(value, str):
        check_text(value, field=path, max_length=bounds.max_length if bounds else MAX_TEXT)
    elif isinstance(value, list):
        # text in a list is named by the list (`labels`); an input object by its place in
        # it (`events.3.model`)
        for index, item in enumerate(value):
            item_path = path if isinstance(item, str) else f"{path}.{index}"
            _check_value(item, path=item_path, prefix=item_path, bounds=bounds)
    elif has_object_definition(value):
        for field in get_object_definition(value, strict=True).fields:
            name = field.graphql_name or to_camel_case(field.python_name)
            field_path = f"{prefix}.{name}" if prefix else name
            _check_value(
                getattr(value, field.python_name, None),
                path=field_path,
                prefix=field_path,
                bounds=_bounds_of(field),
            )


def _bounds_of(field: Any) -> Bounds | None:
    bounds = (getattr(field, "metadata", None) or {}).get(BOUNDS_KEY)
    return bounds if isinstance(bounds, Bounds) else None


class InputBounds(FieldExtension):
    """Checks a field's arguments before its resolver (after its permissions) runs."""

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        check_arguments(self.field, kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        check_arguments(self.field, kwargs)
        result = next_(source, info, **kwargs)
        if hasattr(result, "__aiter__"):
            return result  # a subscription's stream
        return await result


def bound_inputs(root_types: Iterable[type]) -> None:
    """Give every field with arguments, on the root types and every type reachable from
    them, the InputBounds extension (innermost: permissions are checked first). Idempotent:
    the types are global, the schema may be built more than once."""
    for field in _fields_with_arguments(root_types):
        if not any(isinstance(extension, InputBounds) for extension in field.extensions):
            field.extensions.insert(0, InputBounds())


def _fields_with_arguments(root_types: Iterable[type]) -> Iterator[StrawberryField]:
    seen: set[type] = set()
    pending = list(root_types)
    while pending:
        type_ = pending.pop()
        if type_ in seen:
            continue
        seen.add(type_)
        definition = get_object_definition(type_)
        if definition is None or definition.is_input:
            continue
        for field in definition.fields:
            if field.arguments:
                yield field
            pending.extend(_object_types_in(field.type))


def _object_types_in(type_: Any) -> Iterator[type]:
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if isinstance(type_, StrawberryOptional | StrawberryList):
        yield from _object_types_in(type_.of_type)
    elif isinstance(type_, StrawberryUnion):
        for member in type_.types:
            yield from _object_types_in(member)
    elif isinstance(type_, type) and has_object_definition(type_):
        yield type_
