"""Scalar overrides: Decimal is sent in plain notation ("0.000995", "0", never "0E-12")."""

import decimal

import strawberry
from strawberry.schema.types.base_scalars import DecimalDefinition
from strawberry.types.scalar import ScalarDefinition


def plain_decimal(value: decimal.Decimal) -> str:
    """Exact, without exponent or trailing zeros: 1E+2 -> "100", 0E-12 -> "0"."""
    return format(value.normalize(), "f")


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number as a string (money: USD unless stated).",
    serialize=plain_decimal,
    parse_value=DecimalDefinition.parse_value,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {decimal.Decimal: DECIMAL}
