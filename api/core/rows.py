"""One way to build a GraphQL object type from a row (a model, or a service's result).

A type declares its fields; `from_row` fills each from the row's attribute of the same
name. The caller passes only the fields that differ (ids encoded for the client, renamed
or computed fields, private keys), so a field added to a type and its row needs no copy."""

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: object, **differing: Any) -> T:
    """An instance of the strawberry type `cls` whose fields are `differing` where given,
    otherwise the same-named attributes of `row`. A field with a default (say a value only
    one caller sets) keeps it when the row has no such attribute; a field without one that
    the row lacks is a programming error (AttributeError), found by any test of the type."""
    values = dict(differing)
    for field in _constructor_fields(cls):
        if field.name in values:
            continue
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        if has_default and not hasattr(row, field.name):
            continue
        values[field.name] = getattr(row, field.name)
    return cls(**values)


def _constructor_fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    """The fields `cls(...)` takes: data and private fields, not resolvers."""
    return tuple(field for field in dataclasses.fields(cls) if field.init)
